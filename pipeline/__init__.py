"""Sprint convergence reporting pipeline: Prometheus -> scores -> reports per agent."""

__version__ = "0.1.0"

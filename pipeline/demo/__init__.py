"""The bundled demo sprint: generated metrics, a local Prometheus, and `make demo`."""

"""config.yaml: the user's spec (spec.py), its checks (checks.py), and the one mapping to the
settings every stage sees (mapping.py); load.py ties them together."""

from pipeline.config.load import load_config, validate_config

__all__ = ["load_config", "validate_config"]

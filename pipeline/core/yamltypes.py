"""A SafeLoader whose values that cannot be built are YAML errors at their line, for every
YAML file the pipeline reads (the config, the check-ins).

PyYAML raises a bare exception, naming no line, for a date that does not exist (`2026-02-30`,
hour 25, a `+99:00` offset) or an explicit tag on a value that is not of its type (`!!int abc`,
`!!bool maybe`, `!!timestamp soon`); a reader that expects only YAMLError would let it out as
an unexpected error.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import Node

KINDS = {
    "tag:yaml.org,2002:timestamp": "date or time",
    "tag:yaml.org,2002:int": "integer",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
}


class CheckedLoader(yaml.SafeLoader):
    """Safe types; a value its type cannot be built from is a ConstructorError at its mark."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, KeyError, AttributeError) as exc:
            kind = KINDS.get(node.tag, node.tag)
            detail = f" ({exc})" if isinstance(exc, (ValueError, OverflowError)) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"'{node.value}' is not a valid {kind}{detail}", node.start_mark
            ) from None

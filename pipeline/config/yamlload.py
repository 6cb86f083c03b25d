"""YAML as the config needs it: safe types only, and a key given twice in one mapping is an error.

PyYAML keeps the last of two equal keys silently, so a second `agents:` block would replace the
first. Keys brought in by a merge (`<<: *base`) may be overridden; that is what merges are for.
"""

from __future__ import annotations

import re
from typing import Any

from yaml.nodes import MappingNode, Node

from pipeline.core.yamltypes import CheckedLoader

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _UniqueKeyLoader(CheckedLoader):
    """A SafeLoader that records every key given twice in one mapping, with both lines."""

    def __init__(self, stream: bytes) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: SafeLoader reports it
                    continue
                if first is not key_node:
                    mark, before = key_node.start_mark, first.start_mark
                    self.duplicates.append(
                        f"line {mark.line + 1}, column {mark.column + 1}: duplicate key "
                        f"'{key}' (first on line {before.line + 1}); keep one of them"
                    )
        return super().construct_mapping(node, deep=deep)


def load_yaml(data: bytes) -> tuple[Any, tuple[str, ...]]:
    """The document, and a message for each duplicate key (empty when there are none)."""
    loader = _UniqueKeyLoader(data)
    try:
        document = loader.get_single_data()
    finally:
        loader.dispose()
    lines = sorted(loader.duplicates, key=lambda m: [int(n) for n in re.findall(r"\d+", m)[:2]])
    return document, tuple(lines)

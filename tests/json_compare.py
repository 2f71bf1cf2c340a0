"""Comparing invoice documents the way SCENARIO_FORMAT.md says: every field
but ``description`` (free text for people)."""

from __future__ import annotations

from typing import Any


def without_descriptions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_descriptions(v) for k, v in value.items() if k != "description"}
    if isinstance(value, list):
        return [without_descriptions(v) for v in value]
    return value

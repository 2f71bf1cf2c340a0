"""Call usage: how a call's duration becomes billable minutes.

The database aggregates the same expression in SQL
(``(duration_seconds + 59) / 60`` in integer arithmetic); both must agree.
"""

from __future__ import annotations


def billable_minutes(duration_seconds: int) -> int:
    """A call is rounded up to a whole minute: 0 s → 0, 1–60 s → 1, 61 s → 2."""
    return -(-duration_seconds // 60)


def transcribed_minutes(transcribed_seconds: int) -> int:
    """Transcription is rounded up once over the whole period, not per call."""
    return -(-transcribed_seconds // 60)

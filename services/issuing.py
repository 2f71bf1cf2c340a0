"""Issuing a cycle from the dashboard or a scheduler, on today's date."""

from __future__ import annotations

from collections.abc import Callable

from billing import Cycle
from db.invoicing import IssueResult, issue_cycle

from .access import Permission, Viewer
from .clock import billing_today


def issue_cycle_now(viewer: Viewer, cycle: Cycle, *, progress: Callable[[int, int], None] | None = None) -> IssueResult:
    """Issue every not-yet-issued invoice of ``cycle`` (idempotent)."""
    viewer.require(Permission.ISSUE)
    return issue_cycle(cycle, actor=viewer.email, today=billing_today(), progress=progress)

"""What the dashboard computes before it accepts anyone (issue #18).

A new server process has nothing kept (:mod:`services.fact_cache`), so the
first person to sign in after a restart would price both cycles of the whole
portfolio and walk every ledger while they wait: 10.9 s at 5,000 agencies,
and the first visit of each portfolio-wide page paid its own share again. A
warm-up thread beside the sign-in screen was tried and made the first
sign-in no faster (it competed for the one interpreter). So ``manage.py
serve`` runs :func:`warm_up` *before* the server listens: every agency's
previews of the current and the previous cycle, the statuses, the
housekeeping rows and the other portfolio-wide pages are computed once, as
the system viewer, and what is kept by fact revision is then what the first
person's pages find. Nothing here is a second copy of a result: the caches
filled are the ones every page reads through, and they can never be stale.

A step that fails (an invoice refused by its content hash, say) is logged
and skipped: the page that needs it will say what is wrong to the person
who opens it, and the server still starts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from billing import Cycle

from . import housekeeping, minute_bank, overdue, portfolio, reporting, review
from .access import SYSTEM
from .cycles import cycle_clock
from .errors import one_line
from .unit_of_work import SessionFactory, default_sessions

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class WarmStep:
    name: str
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class WarmUp:
    agencies: int
    steps: tuple[WarmStep, ...]

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    @property
    def failed(self) -> tuple[WarmStep, ...]:
        return tuple(step for step in self.steps if step.error)


def _steps(today: date, sessions: SessionFactory) -> list[tuple[str, Callable[[], object]]]:
    """In the order people meet them: the sign-in lands on the overview."""
    cycle: Cycle = cycle_clock(today).cycle
    return [
        ("the overview (both cycles priced, statuses)", lambda: portfolio.overview(SYSTEM, today, sessions=sessions)),
        ("the cycle calendar's housekeeping", lambda: housekeeping.housekeeping(SYSTEM, today, sessions=sessions)),
        (f"the review of {cycle}", lambda: review.review_cycle(SYSTEM, cycle, today=today, sessions=sessions)),
        ("the minute banks' runways", lambda: minute_bank.runways(SYSTEM, today, sessions=sessions)),
        ("the minute banks' trends", lambda: minute_bank.trend_ranking(SYSTEM, today, sessions=sessions)),
        ("the overdue list", lambda: overdue.overdue_view(SYSTEM, today, sessions=sessions)),
        ("revenue of the issued cycles", lambda: reporting.revenue(SYSTEM, today, sessions=sessions)),
        ("receivables at the month ends", lambda: reporting.receivables(SYSTEM, today, sessions=sessions)),
    ]


def warm_up(today: date, *, sessions: SessionFactory = default_sessions,
            progress: Progress = lambda message, fraction: None) -> WarmUp:
    """Compute what the first visits of a new server would; see the module's docstring."""
    agencies = len(portfolio.agencies(SYSTEM, sessions=sessions))
    steps = _steps(today, sessions)
    done: list[WarmStep] = []
    for number, (name, compute) in enumerate(steps):
        progress(f"warming up: {name}", number / len(steps))
        began = time.perf_counter()
        error = None
        try:
            compute()
        except Exception as failure:  # the page that needs it will say what is wrong
            error = one_line(failure)
            log.warning("warm-up step %r failed: %s", name, error)
        done.append(WarmStep(name, round(time.perf_counter() - began, 3), error))
    progress(f"warmed up {agencies:,} agencies", 1.0)
    return WarmUp(agencies, tuple(done))

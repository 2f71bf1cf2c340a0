"""Seats: headcount, user-days, licensing and the seat-reuse proration walk.

Seats are billed in advance, so a closed period starts with seats already
paid. An activation costs a prorated fee only when it needs a seat nobody paid
for (BILLING_RULES.md section 3, PRORATED_USER_FEE, *seat reuse* policy).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .calendar import Period
from .facts import User


def headcount_on(users: Iterable[User], day: date) -> int:
    """Users active on ``day``."""
    return sum(1 for user in users if user.is_active_on(day))


def user_days(users: Iterable[User], period: Period) -> int:
    """The sum over the period's days of the number of active users.

    Computed span by span (overlap length) instead of day by day; spans of
    one user never overlap, so the sum is exact.
    """
    total = 0
    for user in users:
        for span in user.spans:
            first = max(span.start, period.start)
            last = period.end if span.end is None else min(span.end - timedelta(days=1), period.end)
            if last >= first:
                total += (last - first).days + 1
    return total


def newly_licensed(users: Iterable[User], period: Period) -> list[User]:
    """Users whose first ever access span starts inside ``period``.

    A returning user (an earlier span exists) is not charged again. Sorted by
    first activation, then id, as they appear in the seat walk.
    """
    new = [u for u in users if u.first_activation is not None and u.first_activation in period]
    return sorted(new, key=lambda u: (u.first_activation, u.id))


def returning_users(users: Iterable[User], period: Period) -> list[User]:
    """Users who came back in ``period`` after an earlier span (no licensing)."""
    back = []
    for user in users:
        first = user.first_activation
        if first is not None and first < period.start and any(s.start in period for s in user.spans):
            back.append(user)
    return sorted(back, key=lambda u: u.id)


class SeatEvent(StrEnum):
    DEACTIVATED = "deactivated"
    FILLED_PAID_SEAT = "filled_paid_seat"
    PRORATED = "prorated"


@dataclass(frozen=True)
class SeatStep:
    """One step of the walk, kept so the dashboard can show why."""

    day: date
    user_id: str
    event: SeatEvent
    active_after: int
    paid_after: int


@dataclass(frozen=True)
class ProratedActivation:
    user_id: str
    activated_on: date
    days: int
    seats_paid_before: int


@dataclass(frozen=True)
class SeatWalk:
    seats_paid_in_advance: int
    active_at_start: int
    steps: tuple[SeatStep, ...]
    prorated: tuple[ProratedActivation, ...]


def walk_seats(users: Iterable[User], period: Period, seats_paid_in_advance: int) -> SeatWalk:
    """Walk the closed period day by day and find the prorated activations.

    Each day applies its deactivations first, then its activations in
    ascending user id (plain string order). An activation that takes the
    active count above the seats paid is prorated and adds a paid seat.
    """
    users = list(users)
    activations: dict[date, list[str]] = defaultdict(list)
    deactivations: dict[date, list[str]] = defaultdict(list)
    for user in users:
        for span in user.spans:
            if span.start in period:
                activations[span.start].append(user.id)
            if span.end is not None and span.end in period:
                deactivations[span.end].append(user.id)

    paid = seats_paid_in_advance
    active = headcount_on(users, period.day_before)
    active_at_start = active
    steps: list[SeatStep] = []
    prorated: list[ProratedActivation] = []
    for day in sorted(set(activations) | set(deactivations)):
        for user_id in sorted(deactivations.get(day, ())):
            active -= 1
            steps.append(SeatStep(day, user_id, SeatEvent.DEACTIVATED, active, paid))
        for user_id in sorted(activations.get(day, ())):
            active += 1
            if active > paid:
                days = (period.end - day).days + 1
                prorated.append(ProratedActivation(user_id, day, days, paid))
                paid += 1
                steps.append(SeatStep(day, user_id, SeatEvent.PRORATED, active, paid))
            else:
                steps.append(SeatStep(day, user_id, SeatEvent.FILLED_PAID_SEAT, active, paid))
    return SeatWalk(seats_paid_in_advance, active_at_start, tuple(steps), tuple(prorated))

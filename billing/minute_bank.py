"""The rolling minute bank and its replenishment (PRE_BILLED_MINUTES).

The bank carries unused minutes forward forever and may go negative; the
replenishment billed in advance refills it to the projected need of the
advance period, computed from the usage rate per user-day of recent periods.
The rate stays an exact ``Fraction`` until the final ceiling, so 35,470.43
becomes 35,471 and never 35,470 through a float that came out a hair low.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .calendar import Cycle
from .facts import MinuteBankCarry, PeriodUsage

RATE_PERIODS = 3


@dataclass(frozen=True)
class UsageRate:
    """Minutes per user-day over the periods that had any user-days."""

    minutes: int
    user_days: int
    periods: tuple[Cycle, ...]

    @property
    def per_user_day(self) -> Fraction:
        return Fraction(self.minutes, self.user_days) if self.user_days else Fraction(0)


@dataclass(frozen=True)
class Replenishment:
    opening_balance: int
    credited_at_period_start: int
    onboarding_credit: int
    minutes_used: int
    closing_balance: int
    rate: UsageRate
    headcount: int
    advance_days: int
    projected_exact: Fraction
    projected_usage: int
    buffer_pct: Decimal
    target: int
    needed: int
    block: int
    minutes: int


def usage_rate(closed: PeriodUsage, history: Iterable[PeriodUsage]) -> UsageRate:
    """The closed period (if it had user-days) and the two most recent earlier
    periods with user-days; periods with none are skipped."""
    earlier = sorted(
        (p for p in history if p.cycle < closed.cycle and p.user_days > 0),
        key=lambda p: p.cycle,
        reverse=True,
    )
    chosen = ([closed] if closed.user_days > 0 else []) + earlier[: RATE_PERIODS - 1]
    return UsageRate(
        minutes=sum(p.minutes_used for p in chosen),
        user_days=sum(p.user_days for p in chosen),
        periods=tuple(p.cycle for p in chosen),
    )


def closing_balance(carry: MinuteBankCarry, onboarding_credit: int, minutes_used: int) -> int:
    return (
        carry.balance_at_previous_cutoff
        + carry.credited_at_period_start
        + onboarding_credit
        - minutes_used
    )


def round_up_to_block(minutes: int, block: int) -> int:
    return -(-minutes // block) * block


def replenish(
    *,
    carry: MinuteBankCarry,
    onboarding_credit: int,
    closed: PeriodUsage,
    history: Iterable[PeriodUsage],
    headcount: int,
    advance_days: int,
    buffer_pct: Decimal,
    block: int,
) -> Replenishment:
    closing = closing_balance(carry, onboarding_credit, closed.minutes_used)
    rate = usage_rate(closed, history)
    projected = rate.per_user_day * headcount * advance_days
    target = math.ceil(projected * (1 + Fraction(buffer_pct) / 100))
    needed = max(0, target - closing)
    return Replenishment(
        opening_balance=carry.balance_at_previous_cutoff,
        credited_at_period_start=carry.credited_at_period_start,
        onboarding_credit=onboarding_credit,
        minutes_used=closed.minutes_used,
        closing_balance=closing,
        rate=rate,
        headcount=headcount,
        advance_days=advance_days,
        projected_exact=projected,
        projected_usage=math.ceil(projected),
        buffer_pct=buffer_pct,
        target=target,
        needed=needed,
        block=block,
        minutes=round_up_to_block(needed, block),
    )

"""Plain-language explanations of invoice lines, with their actual numbers.

These sentences are what an account manager reads to a client and what the
dashboard and the PDF print under each line, so they say *why* in the
client's terms: who, which days, which seats, which minimum.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from .calendar import Period
from .facts import SignalMode, SignalPlan
from .minute_bank import Replenishment
from .money import format_count as n
from .money import format_usd as usd
from .money import round_cents
from .seats import ProratedActivation


def _times(quantity: int, unit: Decimal, amount: Decimal) -> str:
    return f"{n(quantity)} × {usd(unit)} = {usd(amount)}"


def user_fee(quantity: int, active: int, minimum: int, unit: Decimal, amount: Decimal, advance: Period) -> str:
    if quantity > active:
        who = f"{n(quantity)} users (minimum {n(minimum)} applied; {n(active)} active at cutoff)"
    else:
        who = f"{n(quantity)} users active at cutoff"
    return f"Dialer user fee for {advance}, billed in advance: {who}; {_times(quantity, unit, amount)}"


def licensing_fee(new_ids: list[str], returning_ids: list[str], unit: Decimal, amount: Decimal) -> str:
    text = f"One-time licensing fee for newly activated users {', '.join(new_ids)}: {_times(len(new_ids), unit, amount)}"
    if returning_ids:
        text += f"; returning {'user' if len(returning_ids) == 1 else 'users'} {', '.join(returning_ids)} not charged again"
    return text


def prorated_user_fee(p: ProratedActivation, seats_paid_in_advance: int, period_days: int, unit: Decimal,
                      amount: Decimal) -> str:
    head = f"{p.days} of {period_days} days × {usd(unit)} = {usd(amount)}: {p.user_id} joined {p.activated_on.isoformat()}"
    if seats_paid_in_advance == 0:
        return f"{head}; no seats were paid in advance for this period"
    extra = p.seats_paid_before - seats_paid_in_advance
    paid = f"the {n(p.seats_paid_before)} already paid"
    if extra:
        paid += f" ({n(seats_paid_in_advance)} in advance + {n(extra)} prorated earlier in the period)"
    return f"{head} and needed a seat beyond {paid}"


def onboarding_minutes(onboarded_on: date, users: int, per_user: int, unit: Decimal, amount: Decimal) -> str:
    minutes = users * per_user
    return (
        f"Initial minute bank credited {onboarded_on.isoformat()}: {n(users)} users × {n(per_user)} minutes "
        f"= {n(minutes)} minutes × {usd(unit)} = {usd(amount)}"
    )


def _rate(rate: Fraction) -> str:
    return f"{round_cents(rate):,}"  # exactly, without a decimal division


def pre_billed_minutes(r: Replenishment, advance: Period, unit: Decimal, amount: Decimal) -> str:
    periods = len(r.rate.periods)
    if periods == 0:
        basis = "no usage history yet, so the rate is 0 min per user-day"
    else:
        over = "the closed period" if periods == 1 else f"the last {periods} periods"
        basis = (
            f"{_rate(r.rate.per_user_day)} min per user-day over {over} "
            f"({n(r.rate.minutes)} min / {n(r.rate.user_days)} user-days)"
        )
    text = f"Minutes for {advance}: {basis} × {n(r.headcount)} users × {n(r.advance_days)} days = {n(r.projected_usage)} min projected"
    if r.buffer_pct:
        text += f"; with a {r.buffer_pct}% buffer the target is {n(r.target)}"
    bank = f"the bank holds {n(r.closing_balance)}" if r.closing_balance >= 0 else f"the bank is overdrawn by {n(-r.closing_balance)}"
    text += (
        f"; {bank} ({n(r.opening_balance)} carried + {n(r.credited_at_period_start + r.onboarding_credit)} credited"
        f" − {n(r.minutes_used)} used)"
    )
    if r.minutes == 0:
        return text + ", enough for the target: nothing to replenish"
    return (
        text + f", so {n(r.needed)} are needed: {n(r.minutes)} in blocks of {n(r.block)} × {usd(unit)} = {usd(amount)}"
    )


def eh_signal(plan: SignalPlan, quantity: int, amount: Decimal, advance: Period) -> str:
    if plan.mode is SignalMode.FLAT:
        return f"EH Signal flat monthly subscription for {advance}, billed in advance: {usd(amount)}"
    return (
        f"EH Signal for {advance}, billed in advance per billed user: {_times(quantity, plan.price, amount)}"
    )


def number_cleaning(quantity: int, unit: Decimal, amount: Decimal, closed: Period) -> str:
    return f"Number cleaning: {n(quantity)} dialing numbers active during {closed}; {_times(quantity, unit, amount)}"


def appointments(quantity: int, not_billed: int, unit: Decimal, amount: Decimal, closed: Period) -> str:
    text = f"{n(quantity)} completed appointments {closed}; {_times(quantity, unit, amount)}"
    if not_billed:
        text += f" ({n(not_billed)} cancelled or no-show not billed)"
    return text


def ai_transcription(seconds: int, minutes: int, unit: Decimal, amount: Decimal) -> str:
    return (
        f"AI transcription: {n(seconds)} seconds of processed audio = {n(minutes)} minutes "
        f"(rounded up once for the period) × {usd(unit)} = {usd(amount)}"
    )

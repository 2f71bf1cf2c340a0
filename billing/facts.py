"""The facts an invoice is priced from: plain, frozen values.

These are the engine's whole input. The database layer builds them with SQL
aggregation and the scenario loader builds them from JSON; the engine never
sees an individual call, only the period's sums (:class:`CallTotals`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .calendar import Cycle

DEFAULT_LICENSING_FEE = Decimal("50.00")
DEFAULT_MINUTE_BLOCK = 100
DEFAULT_BUFFER_PCT = Decimal("0")
DEFAULT_ONBOARDING_MINUTES_PER_USER = 2500
DEFAULT_WARNING_DAYS = 5


class SignalMode(StrEnum):
    """How a contract subscribes to EH Signal. ``NONE`` is stored and typed
    like the others; the engine's facts carry no :class:`SignalPlan` then."""

    NONE = "none"
    PER_USER = "per_user"
    FLAT = "flat"

    @property
    def label(self) -> str:
        return {"none": "None", "per_user": "Per user", "flat": "Flat"}[self.value]


class AppointmentStatus(StrEnum):
    """Only ``COMPLETED`` appointments are billed (section 3)."""

    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class SignalPlan:
    """The EH Signal subscription: a rate per billed user, or a flat amount."""

    mode: SignalMode
    price: Decimal


@dataclass(frozen=True)
class Contract:
    """Every rate and option of an agency's contract (section 3)."""

    user_fee: Decimal
    minimum_users: int
    minute_rate: Decimal
    licensing_fee: Decimal = DEFAULT_LICENSING_FEE
    minute_block: int = DEFAULT_MINUTE_BLOCK
    replenish_buffer_pct: Decimal = DEFAULT_BUFFER_PCT
    onboarding_minutes_per_user: int = DEFAULT_ONBOARDING_MINUTES_PER_USER
    signal: SignalPlan | None = None
    number_cleaning_rate: Decimal | None = None
    appointment_fee: Decimal | None = None
    transcription_rate: Decimal | None = None


@dataclass(frozen=True)
class AccessSpan:
    """``[start, end)``: active on ``start`` through the day before ``end``."""

    start: date
    end: date | None = None

    def is_active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class User:
    id: str
    spans: tuple[AccessSpan, ...]

    def is_active_on(self, day: date) -> bool:
        return any(span.is_active_on(day) for span in self.spans)

    @property
    def first_activation(self) -> date | None:
        return min((span.start for span in self.spans), default=None)


@dataclass(frozen=True)
class PeriodUsage:
    """Minutes used and user-days of an earlier closed period."""

    cycle: Cycle
    minutes_used: int
    user_days: int


@dataclass(frozen=True)
class CallTotals:
    """Calls started in the closed period, already summed.

    ``billable_minutes`` is the sum of each call rounded up to a whole minute;
    ``transcribed_seconds`` is a plain sum (transcription is rounded once).
    """

    billable_minutes: int = 0
    transcribed_seconds: int = 0
    calls: int = 0


@dataclass(frozen=True)
class MinuteBankCarry:
    """What the previous invoice left in the bank."""

    balance_at_previous_cutoff: int = 0
    credited_at_period_start: int = 0


@dataclass(frozen=True)
class InvoiceFacts:
    """Everything needed to price one agency's invoice for one cycle."""

    agency_id: str
    agency_name: str
    cycle: Cycle
    onboarded_on: date
    contract: Contract
    seats_paid_in_advance: int
    minute_bank: MinuteBankCarry
    usage_history: tuple[PeriodUsage, ...]
    users: tuple[User, ...]
    call_totals: CallTotals
    active_numbers: int = 0
    completed_appointments: int = 0
    unbilled_appointments: int = field(default=0, compare=False)

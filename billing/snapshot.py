"""An invoice's snapshot, typed: read once, here, and nowhere else.

:func:`billing.scenario.invoice_snapshot` writes the snapshot, a JSON-shaped
dict (money as strings, dates as ISO text): it is what an issued invoice
freezes (and hashes) and what a preview produces on the fly. Everything that
reads an invoice — the dashboard, the PDF, the minute bank, issuing itself —
reads an :class:`InvoiceSnapshot` instead of indexing that dict, so a key is
spelled, parsed and defaulted in exactly one place.

The original document travels along unchanged (:attr:`InvoiceSnapshot.document`):
it is the text that is frozen and hashed, and the command line prints its
public part byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .calendar import Cycle, Period, parse_date
from .invoice import Invoice, LineCode
from .scenario import invoice_snapshot

# The invoice document of SCENARIO_FORMAT.md, in its order: what
# ``python -m billing invoice`` prints and ``manage.py preview`` must equal.
PUBLIC_KEYS = ("agency_id", "cycle", "invoice_date", "due_date", "restriction_date", "closed_period",
               "advance_period", "lines", "minute_bank", "headcount_at_cutoff", "total")


@dataclass(frozen=True)
class SnapshotLine:
    """One invoice line as priced: money already rounded by the engine."""

    code: str  # a LineCode value
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    user: str | None = None

    @property
    def title(self) -> str:
        """``Prorated user fee: u14``: how the dashboard and the PDF name a line."""
        title = LineCode(self.code).label
        return title if self.user is None else f"{title}: {self.user}"


@dataclass(frozen=True)
class SnapshotPeriod:
    """A period as the snapshot states it, with its stated length in days."""

    start: date
    end: date
    days: int

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)


@dataclass(frozen=True)
class SnapshotMinuteBank:
    """The public ``minute_bank`` block of the invoice document."""

    closing_balance: int
    minutes_used: int
    projected_usage: int
    replenishment: int


@dataclass(frozen=True)
class SnapshotBankDetail:
    """``minute_bank_detail``: what a frozen invoice keeps to explain its bank."""

    opening_balance: int
    credited_at_period_start: int
    onboarding_credit: int
    minutes_used: int
    closing_balance: int
    rate_minutes: int
    rate_user_days: int
    rate_periods: tuple[Cycle, ...]
    headcount: int
    advance_days: int
    projected_usage: int
    buffer_pct: Decimal
    target: int
    needed: int
    block: int
    replenishment: int

    @property
    def credited(self) -> int:
        """Credited during the period: the last invoice's pre-billed minutes plus onboarding minutes."""
        return self.credited_at_period_start + self.onboarding_credit


@dataclass(frozen=True)
class InvoiceSnapshot:
    """Everything one invoice states, as typed values."""

    agency_id: str
    agency_name: str
    cycle: Cycle
    invoice_date: date
    due_date: date
    restriction_date: date
    closed_period: SnapshotPeriod
    advance_period: SnapshotPeriod
    lines: tuple[SnapshotLine, ...]
    minute_bank: SnapshotMinuteBank
    bank: SnapshotBankDetail
    headcount_at_cutoff: int
    total: Decimal
    user_days: int | None
    seats_paid_in_advance: int | None  # None in a snapshot frozen before it was recorded
    document: dict[str, Any] = field(repr=False, hash=False)  # as written: frozen, hashed, printed

    @property
    def seats_billed(self) -> int:
        """The USER_FEE quantity (USER_FEE always comes first)."""
        return self.lines[0].quantity

    def lines_with(self, code: str) -> tuple[SnapshotLine, ...]:
        return tuple(line for line in self.lines if line.code == code)

    def public_document(self) -> dict[str, Any]:
        """The SCENARIO_FORMAT fields of the document, in their order, as written."""
        return {key: self.document[key] for key in PUBLIC_KEYS}


def _period(raw: Mapping[str, Any]) -> SnapshotPeriod:
    return SnapshotPeriod(parse_date(raw["start"]), parse_date(raw["end"]), int(raw["days"]))


def _line(raw: Mapping[str, Any]) -> SnapshotLine:
    return SnapshotLine(
        code=raw["code"],
        description=raw["description"],
        quantity=int(raw["quantity"]),
        unit_price=Decimal(raw["unit_price"]),
        amount=Decimal(raw["amount"]),
        user=raw.get("user"),
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def parse_snapshot(document: Mapping[str, Any]) -> InvoiceSnapshot:
    """The typed reading of an ``invoice_snapshot`` document (or a frozen one)."""
    bank = document["minute_bank"]
    detail = document["minute_bank_detail"]
    return InvoiceSnapshot(
        agency_id=document["agency_id"],
        agency_name=document["agency_name"],
        cycle=Cycle.parse(document["cycle"]),
        invoice_date=parse_date(document["invoice_date"]),
        due_date=parse_date(document["due_date"]),
        restriction_date=parse_date(document["restriction_date"]),
        closed_period=_period(document["closed_period"]),
        advance_period=_period(document["advance_period"]),
        lines=tuple(_line(line) for line in document["lines"]),
        minute_bank=SnapshotMinuteBank(
            closing_balance=int(bank["closing_balance"]),
            minutes_used=int(bank["minutes_used"]),
            projected_usage=int(bank["projected_usage"]),
            replenishment=int(bank["replenishment"]),
        ),
        bank=SnapshotBankDetail(
            opening_balance=int(detail["opening_balance"]),
            credited_at_period_start=int(detail["credited_at_period_start"]),
            onboarding_credit=int(detail["onboarding_credit"]),
            minutes_used=int(detail["minutes_used"]),
            closing_balance=int(detail["closing_balance"]),
            rate_minutes=int(detail["rate_minutes"]),
            rate_user_days=int(detail["rate_user_days"]),
            rate_periods=tuple(Cycle.parse(c) for c in detail["rate_periods"]),
            headcount=int(detail["headcount"]),
            advance_days=int(detail["advance_days"]),
            projected_usage=int(detail["projected_usage"]),
            buffer_pct=Decimal(detail["buffer_pct"]),
            target=int(detail["target"]),
            needed=int(detail["needed"]),
            block=int(detail["block"]),
            replenishment=int(detail["replenishment"]),
        ),
        headcount_at_cutoff=int(document["headcount_at_cutoff"]),
        total=Decimal(document["total"]),
        user_days=_optional_int(document.get("user_days")),
        seats_paid_in_advance=_optional_int(document.get("seats_paid_in_advance")),
        document=dict(document),
    )


def snapshot_of(invoice: Invoice) -> InvoiceSnapshot:
    """A freshly priced invoice's snapshot, typed."""
    return parse_snapshot(invoice_snapshot(invoice))

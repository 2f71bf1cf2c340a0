"""One agency's invoice for one cycle, explained: lines, seat timeline,
change from the previous invoice, payments, and the PDF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from billing import AgencyStatus, Cycle, LineCode, Period, User
from billing.seats import SeatEvent, SeatStep, walk_seats
from db.engine import session_scope
from db.errors import NotFound
from db.invoicing import CyclePreview, live_facts, preview_cycle, preview_invoice
from db.ledger import agency_statuses
from db.models import Agency, Payment
from reports.document import DocumentLine, lines_from_snapshot

from .access import Permission, Viewer

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class AgencyInfo:
    agency_id: str
    name: str
    address: str | None
    billing_email: str | None
    account_manager: str | None
    onboarded_on: date


@dataclass(frozen=True)
class LineChange:
    code: str
    title: str
    previous: Decimal
    current: Decimal

    @property
    def delta(self) -> Decimal:
        return self.current - self.previous


@dataclass(frozen=True)
class PaymentInfo:
    """Money applied to this invoice: from a payment or from account credit."""

    paid_on: date
    amount: Decimal
    source: str  # "payment" or "credit"
    reference: str | None


def _references_by_day(session, agency_id: str, as_of: date) -> dict[date, str]:  # type: ignore[no-untyped-def]
    """Payment references per day (joined when several were paid that day)."""
    found: dict[date, list[str]] = {}
    for p in session.scalars(select(Payment).where(Payment.agency_id == agency_id, Payment.paid_on <= as_of)):
        found.setdefault(p.paid_on, []).append(p.reference or "no reference")
    return {day: ", ".join(refs) for day, refs in found.items()}


@dataclass(frozen=True)
class SeatBar:
    """One access span of one user, clipped to the timeline's window."""

    user_id: str
    start: date
    end: date  # inclusive, for drawing
    kind: str  # "prorated", "filled a paid seat", "active", "left"


@dataclass(frozen=True)
class InvoiceView:
    agency: AgencyInfo
    preview: CyclePreview
    previous: CyclePreview | None
    changes: tuple[LineChange, ...]
    payments: tuple[PaymentInfo, ...]
    status: AgencyStatus | None
    balance_due: Decimal | None  # what is still owed on this issued invoice
    seat_steps: tuple[SeatStep, ...]
    seat_bars: tuple[SeatBar, ...]

    @property
    def cycle(self) -> Cycle:
        return self.preview.cycle


def agency_info(agency: Agency) -> AgencyInfo:
    return AgencyInfo(agency.id, agency.name, agency.address, agency.billing_email, agency.account_manager, agency.onboarded_on)


def _by_code(preview: CyclePreview | None) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    for line in preview.snapshot["lines"] if preview else ():
        amounts[line["code"]] = amounts.get(line["code"], ZERO) + Decimal(line["amount"])
    return amounts


def line_changes(current: CyclePreview, previous: CyclePreview | None) -> tuple[LineChange, ...]:
    now, before = _by_code(current), _by_code(previous)
    return tuple(
        LineChange(code.value, code.title, before.get(code.value, ZERO), now.get(code.value, ZERO))
        for code in LineCode
        if code.value in now or code.value in before
    )


def _seat_bars(users: tuple[User, ...], period: Period, steps: tuple[SeatStep, ...]) -> tuple[SeatBar, ...]:
    """Spans touching the closed period (and the week before it)."""
    window_start = period.start - timedelta(days=7)
    outcome = {(s.user_id, s.day): s.event for s in steps if s.event is not SeatEvent.DEACTIVATED}
    bars = []
    for user in sorted(users, key=lambda u: u.id):
        for span in user.spans:
            last = period.end if span.end is None else min(period.end, span.end - timedelta(days=1))
            first = max(span.start, window_start)
            if last < first:
                continue
            event = outcome.get((user.id, span.start))
            kind = {SeatEvent.PRORATED: "prorated", SeatEvent.FILLED_PAID_SEAT: "filled a paid seat"}.get(event, "active")  # type: ignore[arg-type]
            if span.end is not None and span.end <= period.end and kind == "active":
                kind = "left"
            bars.append(SeatBar(user.id, first, last, kind))
    return tuple(bars)


def invoice_view(viewer: Viewer, agency_id: str, cycle: Cycle, as_of: date) -> InvoiceView:
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    with session_scope() as session:
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise NotFound(f"no agency {agency_id!r}")
        preview = preview_invoice(session, agency_id, cycle)
        previous = preview_cycle(session, cycle.previous(), [agency_id]).previews.get(agency_id)
        facts = preview.facts or live_facts(session, agency_id, cycle)
        statuses = agency_statuses(session, as_of, [agency_id])
        status = statuses[0] if statuses else None
        payments: tuple[PaymentInfo, ...] = ()
        balance_due = None
        if preview.issued and status is not None:
            number = preview.issued.number
            references = _references_by_day(session, agency_id, as_of)
            payments = tuple(
                PaymentInfo(a.on, a.amount, a.source, references.get(a.on) if a.source == "payment" else None)
                for a in status.allocations if a.invoice == number
            )
            balance_due = preview.total - status.paid.get(number, ZERO)
        info = agency_info(agency)
    period = cycle.closed_period
    walk = walk_seats(facts.users, period, int(preview.snapshot.get("seats_paid_in_advance", facts.seats_paid_in_advance)))
    return InvoiceView(
        agency=info, preview=preview, previous=previous, changes=line_changes(preview, previous),
        payments=tuple(payments), status=status, balance_due=balance_due,
        seat_steps=walk.steps, seat_bars=_seat_bars(facts.users, period, walk.steps),
    )


# --- PDF ------------------------------------------------------------------------

def _document(info: AgencyInfo, preview: CyclePreview, payments: tuple[PaymentInfo, ...] = (), balance_due: Decimal | None = None):  # type: ignore[no-untyped-def]
    from reports.document import AgencyHeader, PaymentRow, document_from_snapshot

    header = AgencyHeader(info.agency_id, info.name, tuple((info.address or "").splitlines()), info.billing_email)
    return document_from_snapshot(
        preview.snapshot, header,
        number=preview.issued.number if preview.issued else None,
        payments=tuple(PaymentRow(p.paid_on, p.amount, p.reference or p.source) for p in payments),
        balance_due=balance_due,
        issued_on=preview.issued.issued_at.date() if preview.issued else None,
    )


def invoice_pdf(view: InvoiceView) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the invoice as shown."""
    from reports.invoice_pdf import pdf_file_name, render_invoice_pdf

    document = _document(view.agency, view.preview, view.payments, view.balance_due)
    return pdf_file_name(document), render_invoice_pdf(document)


def cycle_archive(viewer: Viewer, cycle: Cycle,
                  progress: Callable[[int, int], None] | None = None) -> tuple[str, bytes]:
    """A zip of every agency's PDF for ``cycle`` (issued or preview)."""
    viewer.require(Permission.VIEW_INVOICES)
    agency_ids = viewer.scope
    from reports.invoice_pdf import pdf_file_name, render_cycle_archive

    with session_scope() as session:
        agencies = {a.id: agency_info(a) for a in session.scalars(select(Agency))}
        previews = preview_cycle(session, cycle, agency_ids).previews
    documents = [_document(agencies[a], p) for a, p in sorted(previews.items())]
    return f"invoices-{cycle}.zip", render_cycle_archive(((pdf_file_name(d), d) for d in documents), progress=progress)


def invoice_lines(view: InvoiceView) -> tuple[DocumentLine, ...]:
    """The lines as shown and printed, with their titles."""
    return lines_from_snapshot(view.preview.snapshot)

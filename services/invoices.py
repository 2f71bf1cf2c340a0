"""One agency's invoice for one cycle, explained: lines, seat timeline,
change from the previous invoice, payments, and the PDF."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from billing import AgencyStatus, Cycle, LedgerEntry, LineCode, Period, User, account_history
from billing.ledger import AdjustmentKind
from billing.scenario import contract_to_json
from billing.seats import SeatEvent, SeatStep, walk_seats
from billing.snapshot import InvoiceSnapshot
from db.ledger import StoredAdjustment, agency_statuses, load_ledger
from db.queries.account import agency_adjustments, user_names
from db.queries.agencies import AgencyRecord, agency_record, agency_records
from reports.document import DocumentLine, lines_from_snapshot

from .access import Permission, Viewer
from .errors import BillingError, NotFound
from .previews import CycleForecast, CyclePreview, forecast_in, invoice_preview_in, live_facts_in, previews_in
from .unit_of_work import SessionFactory, default_sessions

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


@dataclass(frozen=True)
class AdjustmentInfo:
    """An adjustment that names this invoice: shown to the client with its reason."""

    number: str
    kind: AdjustmentKind
    on_date: date
    amount: Decimal
    reason: str
    due_on: date | None  # a debit's due date (the engine's)
    open_balance: Decimal  # a debit's part still unpaid; 0 for a credit


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
    balance_due: Decimal | None  # still owed on this issued invoice and the debits that name it
    seat_steps: tuple[SeatStep, ...]
    seat_bars: tuple[SeatBar, ...]
    adjustments: tuple[AdjustmentInfo, ...] = ()
    user_names: Mapping[str, str] | None = None  # dialer user id -> stored name
    outlook: CycleForecast | None = None  # where the cycle stands on as_of, and its forecast at cutoff
    contract_terms: dict[str, Any] | None = None  # the scenario's contract object, as stored now (what-if defaults)

    @property
    def cycle(self) -> Cycle:
        return self.preview.cycle

    @property
    def in_progress(self) -> bool:
        """Not final yet on the day shown: its figures are *so far*."""
        return self.outlook is not None and not self.outlook.is_final

    @property
    def invoice_balance(self) -> Decimal | None:
        """What is still owed on the invoice itself (without its debits)."""
        if self.balance_due is None:
            return None
        return self.balance_due - self.open_debits

    @property
    def open_debits(self) -> Decimal:
        """Debit adjustments naming this invoice that are not paid yet."""
        return sum((a.open_balance for a in self.adjustments if a.kind is AdjustmentKind.DEBIT), ZERO)

    def named(self, user_id: str) -> str:
        """``1001-u214 (Dana Smith)`` when the user's name is stored, else the id."""
        name = (self.user_names or {}).get(user_id)
        return f"{user_id} ({name})" if name and name != user_id else user_id

    def with_names(self, text: str) -> str:
        """``text`` with every user id it mentions followed by the user's name."""
        return with_user_names(text, self.user_names or {})


def with_user_names(text: str, names: Mapping[str, str]) -> str:
    """Put each stored name beside the user ids in ``text`` (an explanation,
    a line title): whole ids only, so ``u1`` never matches inside ``u14``."""
    known = sorted((uid for uid, name in names.items() if name and name != uid and uid in text), key=len, reverse=True)
    if not known:
        return text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(uid) for uid in known) + r")(?![\w-])")
    return pattern.sub(lambda m: f"{m.group(1)} ({names[m.group(1)]})", text)


def agency_info(agency: AgencyRecord) -> AgencyInfo:
    return AgencyInfo(agency.id, agency.name, agency.address, agency.billing_email, agency.account_manager, agency.onboarded_on)


def _by_code(preview: CyclePreview | None) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    for line in preview.snapshot.lines if preview else ():
        amounts[line.code] = amounts.get(line.code, ZERO) + line.amount
    return amounts


def line_changes(current: CyclePreview, previous: CyclePreview | None) -> tuple[LineChange, ...]:
    now, before = _by_code(current), _by_code(previous)
    return tuple(
        LineChange(code.value, code.label, before.get(code.value, ZERO), now.get(code.value, ZERO))
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


def invoice_view(viewer: Viewer, agency_id: str, cycle: Cycle, as_of: date, *,
                 sessions: SessionFactory = default_sessions) -> InvoiceView:
    """The invoice page: the invoice (frozen or live), the one before it, the
    payments applied to it as of ``as_of`` and the seat timeline behind it."""
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    with sessions() as session:
        agency = agency_record(session=session, agency_id=agency_id)
        if agency is None:
            raise NotFound(f"no agency {agency_id!r}")
        outlook = forecast_in(session, agency_id, cycle, as_of)
        preview = outlook.preview
        previous = previews_in(session, cycle.previous(), [agency_id]).previews.get(agency_id)
        facts = preview.facts or live_facts_in(session, agency_id, cycle)
        statuses = agency_statuses(session, as_of, [agency_id])
        status = statuses[0] if statuses else None
        names = {u.user_id: u.name for u in user_names(session=session, agency_id=agency_id)}
        payments: tuple[PaymentInfo, ...] = ()
        adjustments: tuple[AdjustmentInfo, ...] = ()
        balance_due = None
        if preview.issued and status is not None:
            number = preview.issued.number
            ledger_invoices, ledger_payments = load_ledger(session, [agency_id])
            payments = _applied_to(account_history(ledger_invoices, ledger_payments, agency_id, as_of), number)
            adjustments = tuple(_adjustment_info(a, status) for a in
                                agency_adjustments(session=session, agency_id=agency_id, invoice_number=number)
                                if a.on_date <= as_of)
            balance_due = preview.total - status.paid.get(number, ZERO) + sum(
                (a.open_balance for a in adjustments if a.kind is AdjustmentKind.DEBIT), ZERO)
        info = agency_info(agency)
    period = cycle.closed_period
    paid_in_advance = preview.snapshot.seats_paid_in_advance
    walk = walk_seats(facts.users, period, facts.seats_paid_in_advance if paid_in_advance is None else paid_in_advance)
    return InvoiceView(
        agency=info, preview=preview, previous=previous, changes=line_changes(preview, previous),
        payments=tuple(payments), status=status, balance_due=balance_due,
        seat_steps=walk.steps, seat_bars=_seat_bars(facts.users, period, walk.steps), outlook=outlook,
        contract_terms=contract_to_json(facts.contract), adjustments=adjustments, user_names=names,
    )


def _applied_to(history: tuple[LedgerEntry, ...], number: str) -> tuple[PaymentInfo, ...]:
    """Money the engine applied to invoice ``number``: each payment (or credit
    adjustment) with its own reference, and account credit absorbed."""
    found = []
    for entry in history:
        reference = entry.payment.reference if entry.payment is not None else None
        for allocation in entry.allocations:
            if allocation.invoice == number:
                source = allocation.source
                if source == "payment" and reference and reference.startswith("ADJ-"):
                    source = "credit adjustment"
                found.append(PaymentInfo(allocation.on, allocation.amount, source, reference if source != "credit" else None))
    return tuple(found)


def _adjustment_info(adjustment: StoredAdjustment, status: AgencyStatus) -> AdjustmentInfo:
    """An adjustment with what the engine says is still open on it."""
    open_balance = ZERO
    due_on = adjustment.due_on
    if adjustment.kind is AdjustmentKind.DEBIT:
        open_balance = adjustment.amount - status.paid.get(adjustment.number, ZERO)
        item = next((o for o in status.open_invoices if o.invoice.number == adjustment.number), None)
        due_on = item.invoice.due_date if item is not None else due_on
    return AdjustmentInfo(adjustment.number, adjustment.kind, adjustment.on_date, adjustment.amount, adjustment.reason,
                          due_on, open_balance)


# --- PDF ------------------------------------------------------------------------

def _document(info: AgencyInfo, preview: CyclePreview, payments: tuple[PaymentInfo, ...] = (), balance_due: Decimal | None = None,  # type: ignore[no-untyped-def]
              adjustments: tuple[AdjustmentInfo, ...] = (), standing: str | None = None):
    from reports.document import AdjustmentRow, AgencyHeader, PaymentRow, document_from_snapshot

    header = AgencyHeader(info.agency_id, info.name, tuple((info.address or "").splitlines()), info.billing_email)
    return document_from_snapshot(
        preview.snapshot, header,
        number=preview.issued.number if preview.issued else None,
        payments=tuple(PaymentRow(p.paid_on, p.amount, p.reference or p.source) for p in payments),
        balance_due=balance_due,
        issued_on=preview.issued.issued_at.date() if preview.issued else None,
        adjustments=tuple(AdjustmentRow(a.number, str(a.kind), a.on_date, a.amount, a.reason, a.open_balance, a.due_on)
                          for a in adjustments),
        standing=standing,
    )


def invoice_pdf(view: InvoiceView) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the invoice as shown."""
    from reports.invoice_pdf import pdf_file_name, render_invoice_pdf

    standing = view.outlook.standing.label if view.in_progress and view.outlook else None
    document = _document(view.agency, view.preview, view.payments, view.balance_due, view.adjustments, standing)
    return pdf_file_name(document), render_invoice_pdf(document)


def cycle_archive(viewer: Viewer, cycle: Cycle, progress: Callable[[int, int], None] | None = None, *,
                  sessions: SessionFactory = default_sessions) -> tuple[str, bytes]:
    """A zip of every agency's PDF for ``cycle`` (issued or preview)."""
    viewer.require(Permission.VIEW_INVOICES)
    agency_ids = viewer.scope
    from reports.invoice_pdf import pdf_file_name, render_cycle_archive

    with sessions() as session:
        agencies = {a.id: agency_info(a) for a in agency_records(session=session)}
        previews = previews_in(session, cycle, agency_ids).previews
    from billing.forecast import standing

    from .clock import billing_today

    where = standing(cycle, billing_today())
    label = None if where.is_final else where.label  # a running cycle's PDFs say so, like the single ones
    documents = [_document(agencies[a], p, standing=label) for a, p in sorted(previews.items())]
    return f"invoices-{cycle}.zip", render_cycle_archive(((pdf_file_name(d), d) for d in documents), progress=progress)


def invoice_lines(view: InvoiceView) -> tuple[DocumentLine, ...]:
    """The lines as shown and printed, with their titles."""
    return lines_from_snapshot(view.preview.snapshot)


@dataclass(frozen=True)
class ForecastRow:
    """One line so far and at cutoff; ``basis`` says whether the forecast figure is a forecast."""

    title: str
    so_far: Decimal
    forecast: Decimal
    basis: str


def forecast_side_by_side(outlook: CycleForecast) -> tuple[ForecastRow, ...]:
    """The so-far lines next to the forecast lines, matched by code and user."""
    forecast = outlook.forecast_snapshot
    marks = {(line.code, line.user): basis for line, basis in zip(forecast.lines, outlook.basis, strict=True)}
    before = {(line.code, line.user): line for line in outlook.so_far.lines}
    after = {(line.code, line.user): line for line in forecast.lines}
    keys = list(after) + [k for k in before if k not in after]
    return tuple(
        ForecastRow((after.get(k) or before[k]).title, before[k].amount if k in before else ZERO,
                    after[k].amount if k in after else ZERO, marks.get(k, "actual"))
        for k in keys
    )


# --- an issued invoice against the facts stored now -------------------------------------

@dataclass(frozen=True)
class LineNow:
    """One line of an issued invoice next to what the facts stored now give."""

    title: str
    issued: Decimal
    now: Decimal
    explanation: str  # the line as it would be explained now

    @property
    def difference(self) -> Decimal:
        return self.now - self.issued


@dataclass(frozen=True)
class FactChange:
    """A fact behind the invoice that is not what it was when the invoice was issued."""

    what: str
    issued: int
    now: int


@dataclass(frozen=True)
class AdjustmentDraft:
    """What would settle the difference: a prefill, never recorded by itself."""

    kind: str  # "credit" or "debit"
    amount: Decimal
    reason: str
    invoice_number: str


@dataclass(frozen=True)
class IssuedVsNow:
    number: str
    issued_total: Decimal
    now_total: Decimal
    lines: tuple[LineNow, ...]
    facts: tuple[FactChange, ...]
    draft: AdjustmentDraft | None  # None: nothing to settle
    issued_document: dict[str, Any] | None = None  # the frozen invoice document, as written
    now_document: dict[str, Any] | None = None  # the engine's invoice from the facts stored now

    def document(self) -> dict[str, Any]:
        """``manage.py issued-vs-now``: both invoices, what differs and the draft."""
        return {
            "number": self.number, "issued": self.issued_document, "now": self.now_document,
            "difference": str(self.difference),
            "facts": [{"what": f.what, "issued": f.issued, "now": f.now} for f in self.facts],
            "draft": None if self.draft is None else {"kind": self.draft.kind, "amount": str(self.draft.amount),
                                                      "reason": self.draft.reason, "invoice": self.draft.invoice_number},
        }

    @property
    def difference(self) -> Decimal:
        return self.now_total - self.issued_total


def _fact_figures(snapshot: InvoiceSnapshot) -> dict[str, int]:
    def quantity(code: LineCode) -> int:
        return sum(line.quantity for line in snapshot.lines_with(code.value))

    figures = {
        "Minutes used in the closed period (calls)": snapshot.bank.minutes_used,
        "Users active at cutoff (activations, deactivations)": snapshot.headcount_at_cutoff,
        "Newly licensed users": quantity(LineCode.LICENSING_FEE),
        "Prorated activations": len(snapshot.lines_with(LineCode.PRORATED_USER_FEE.value)),
        "Active dialing numbers": quantity(LineCode.NUMBER_CLEANING),
        "Completed appointments": quantity(LineCode.APPOINTMENTS),
        "Transcribed minutes": quantity(LineCode.AI_TRANSCRIPTION),
    }
    if snapshot.user_days is not None:
        figures["User-days"] = snapshot.user_days
    return figures


def issued_vs_now(viewer: Viewer, agency_id: str, cycle: Cycle, *,
                  sessions: SessionFactory = default_sessions) -> IssuedVsNow:
    """An issued invoice (frozen, never changed) against the invoice the
    facts stored *now* give, with the same carry-over the issued chain used:
    line by line, the facts that differ (late calls, back-dated
    deactivations, …) and a draft credit or debit that would settle it."""
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    from billing import invoice_to_json, price_invoice
    from billing.snapshot import snapshot_of

    with sessions() as session:
        frozen = invoice_preview_in(session, agency_id, cycle)
        if frozen.issued is None:
            raise BillingError(f"cycle {cycle} is not issued for {agency_id}: its preview already prices the facts stored now")
        repriced = price_invoice(live_facts_in(session, agency_id, cycle))
        now = snapshot_of(repriced)
    issued = frozen.snapshot
    before = {(line.code, line.user): line for line in issued.lines}
    after = {(line.code, line.user): line for line in now.lines}
    order = {code.value: i for i, code in enumerate(LineCode)}
    keys = sorted(set(before) | set(after), key=lambda k: (order.get(k[0], 99), k[1] is not None, k[1] or ""))
    lines = tuple(
        LineNow((after.get(k) or before[k]).title, before[k].amount if k in before else ZERO,
                after[k].amount if k in after else ZERO,
                after[k].description if k in after else "Not on the invoice the facts give now")
        for k in keys
    )
    then, today_figures = _fact_figures(issued), _fact_figures(now)
    facts = tuple(FactChange(what, then[what], today_figures[what]) for what in then
                  if what in today_figures and then[what] != today_figures[what])
    difference = now.total - issued.total
    draft = None
    if difference:
        changed = "; ".join(f"{f.what.split(' (')[0].lower()} {f.issued:,} → {f.now:,}" for f in facts[:3])
        draft = AdjustmentDraft(
            "debit" if difference > 0 else "credit", abs(difference),
            f"Correction of {frozen.issued.number} for facts stored after it was issued" + (f" ({changed})" if changed else ""),
            frozen.issued.number,
        )
    return IssuedVsNow(frozen.issued.number, issued.total, now.total, lines, facts, draft,
                       issued.public_document(), invoice_to_json(repriced))

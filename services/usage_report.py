"""The usage report of an agency's closed period: the reconciliation the
billing guide promises ("reconcile platform usage against operational
headcount"), per user and per day, with the totals the invoice billed.

Usage is aggregated in the database (:mod:`db.queries.account`); days active
come from the engine's own user-day count (:func:`billing.seats.user_days`).
Call detail may be kept for recent periods only: minutes the rollup holds
without a call record are shown as one row "not attributed to a user", so
the totals are always the rollup's, which is what the invoice was priced from.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing import Cycle, LineCode, Period, User
from billing.seats import user_days
from billing.usage import transcribed_minutes
from db import facts as stored
from db.queries.account import (
    completed_appointments,
    numbers_billed,
    usage_by_day,
    usage_by_user,
    user_names,
)
from db.queries.agencies import agency_record

from .access import Permission, Viewer
from .clock import billing_today
from .errors import FieldError, NotFound
from .exports import text_cell
from .invoices import AgencyInfo, agency_info
from .previews import invoice_preview_in
from .unit_of_work import SessionFactory, default_sessions

UNATTRIBUTED = "not attributed to a user"
MINUTE = Decimal(60)
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class UserRow:
    user_id: str
    name: str
    days_active: int
    calls: int
    minutes: int  # each call rounded up, as billed
    transcribed_seconds: int

    @property
    def transcribed_minutes(self) -> Decimal:
        """Exact to the cent of a minute: transcription is rounded once per period, not per user."""
        return (Decimal(self.transcribed_seconds) / MINUTE).quantize(CENTS)


@dataclass(frozen=True)
class DayRow:
    day: date
    active_users: int
    calls: int
    minutes: int
    transcribed_seconds: int


@dataclass(frozen=True)
class InvoiceQuantities:
    """What the invoice of the cycle billed (or a preview would bill)."""

    number: str | None  # None: not issued
    minutes_used: int
    user_days: int | None
    numbers: int | None  # NUMBER_CLEANING quantity; None when the contract has no such line
    appointments: int | None
    transcribed_minutes: int | None


@dataclass(frozen=True)
class UsageReport:
    agency: AgencyInfo
    cycle: Cycle
    period: Period
    users: tuple[UserRow, ...]  # by user id; the unattributed row last, when there is one
    days: tuple[DayRow, ...]  # every day of the period
    numbers_billed: int
    completed_appointments: int
    invoice: InvoiceQuantities

    @property
    def minutes(self) -> int:
        return sum(d.minutes for d in self.days)

    @property
    def calls(self) -> int:
        return sum(d.calls for d in self.days)

    @property
    def user_days(self) -> int:
        return sum(d.active_users for d in self.days)

    @property
    def transcribed_seconds(self) -> int:
        return sum(d.transcribed_seconds for d in self.days)

    @property
    def transcribed_minutes(self) -> int:
        """As billed: rounded up once over the period."""
        return transcribed_minutes(self.transcribed_seconds)

    @property
    def reconciles(self) -> bool:
        """Whether every total equals what the invoice billed."""
        q = self.invoice
        return (self.minutes == q.minutes_used and (q.user_days is None or q.user_days == self.user_days)
                and (q.numbers is None or q.numbers == self.numbers_billed)
                and (q.appointments is None or q.appointments == self.completed_appointments)
                and (q.transcribed_minutes is None or q.transcribed_minutes == self.transcribed_minutes))


def _quantity(preview_lines: dict[str, int], code: LineCode) -> int | None:
    return preview_lines.get(code.value)


def usage_report(viewer: Viewer, agency_id: str, cycle: Cycle, *, today: date | None = None,
                 sessions: SessionFactory = default_sessions) -> UsageReport:
    """The usage report of ``cycle``'s closed period (final after its cutoff)."""
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    today = today or billing_today()
    if today <= cycle.cutoff:
        raise FieldError("Cycle", f"the period of cycle {cycle} closes at the end of {cycle.cutoff.isoformat()}; "
                                  "its usage is not final yet")
    period = cycle.closed_period
    with sessions() as session:
        agency = agency_record(session=session, agency_id=agency_id)
        if agency is None:
            raise NotFound(f"no agency {agency_id!r}")
        preview = invoice_preview_in(session, agency_id, cycle)
        users: tuple[User, ...] = stored.users(session, [agency_id]).get(agency_id, ())
        names = {u.user_id: u.name for u in user_names(session=session, agency_id=agency_id)}
        by_user = {u.user_id: u for u in usage_by_user(session=session, agency_id=agency_id, period=period)}
        by_day = {d.day: d for d in usage_by_day(session=session, agency_id=agency_id, period=period)}
        numbers = numbers_billed(session=session, agency_id=agency_id, period=period)
        appointments = completed_appointments(session=session, agency_id=agency_id, period=period)
    spans = {u.id: u for u in users}
    rows = []
    for user_id in sorted(set(by_user) | {u.id for u in users if user_days((u,), period) > 0}):
        usage = by_user.get(user_id)
        user = spans.get(user_id)
        rows.append(UserRow(user_id, names.get(user_id, ""), user_days((user,), period) if user else 0,
                            usage.calls if usage else 0, usage.billable_minutes if usage else 0,
                            usage.transcribed_seconds if usage else 0))
    days = tuple(
        DayRow(d, sum(1 for u in users if u.is_active_on(d)),
               by_day[d].calls if d in by_day else 0, by_day[d].billable_minutes if d in by_day else 0,
               by_day[d].transcribed_seconds if d in by_day else 0)
        for d in period.dates()
    )
    left = (sum(d.calls for d in days) - sum(r.calls for r in rows), sum(d.minutes for d in days) - sum(r.minutes for r in rows),
            sum(d.transcribed_seconds for d in days) - sum(r.transcribed_seconds for r in rows))
    if any(left):
        rows.append(UserRow("", UNATTRIBUTED, 0, *left))
    snap = preview.snapshot
    quantities = {line.code: line.quantity for line in snap.lines}
    invoice = InvoiceQuantities(
        preview.issued.number if preview.issued else None, snap.bank.minutes_used, snap.user_days,
        _quantity(quantities, LineCode.NUMBER_CLEANING), _quantity(quantities, LineCode.APPOINTMENTS),
        _quantity(quantities, LineCode.AI_TRANSCRIPTION),
    )
    return UsageReport(agency_info(agency), cycle, period, tuple(rows), days, numbers, appointments, invoice)


def file_stem(report: UsageReport) -> str:
    return f"usage-{report.agency.agency_id}-{report.cycle}"


USER_COLUMNS = ("user_id", "name", "days_active", "calls", "minutes", "transcribed_minutes")
DAY_COLUMNS = ("date", "active_users", "calls", "minutes", "transcribed_minutes")


def usage_csv(report: UsageReport) -> bytes:
    """One CSV: the users, then the days, then the totals beside the invoice's."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([f"Usage report {report.agency.agency_id} {text_cell(report.agency.name)}, cycle {report.cycle}, "
                f"closed period {report.period.start.isoformat()} to {report.period.end.isoformat()}"])
    w.writerow(USER_COLUMNS)
    for r in report.users:
        w.writerow([text_cell(r.user_id), text_cell(r.name), r.days_active, r.calls, r.minutes, f"{r.transcribed_minutes}"])
    w.writerow([])
    w.writerow(DAY_COLUMNS)
    for d in report.days:
        w.writerow([d.day.isoformat(), d.active_users, d.calls, d.minutes, f"{(Decimal(d.transcribed_seconds) / MINUTE).quantize(CENTS)}"])
    w.writerow([])
    w.writerow(["total", "report", "invoice"])
    for label, mine, billed in _totals(report):
        w.writerow([label, mine, "" if billed is None else billed])
    return out.getvalue().encode("utf-8-sig")


def _totals(report: UsageReport) -> list[tuple[str, int, int | None]]:
    q = report.invoice
    return [
        ("minutes used", report.minutes, q.minutes_used),
        ("user-days", report.user_days, q.user_days),
        ("calls", report.calls, None),
        ("transcribed minutes (rounded up once)", report.transcribed_minutes, q.transcribed_minutes),
        ("numbers billed", report.numbers_billed, q.numbers),
        ("completed appointments", report.completed_appointments, q.appointments),
    ]


def usage_xlsx(report: UsageReport) -> bytes:
    """A real workbook (XlsxWriter): numbers as numbers, dates as dates,
    one sheet each for users, days and totals."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"title": f"Usage {report.agency.agency_id} {report.cycle}", "created": None})
    bold = book.add_format({"bold": True, "bg_color": "#1f4e79", "font_color": "white"})
    whole = book.add_format({"num_format": "#,##0"})
    minutes = book.add_format({"num_format": "#,##0.00"})
    day_format = book.add_format({"num_format": "ddd yyyy-mm-dd"})

    users = book.add_worksheet("Users")
    users.write_row(0, 0, ["User id", "Name", "Days active", "Calls", "Minutes (rounded up per call)", "Transcribed minutes"], bold)
    for i, r in enumerate(report.users, start=1):
        users.write_string(i, 0, r.user_id)
        users.write_string(i, 1, r.name)
        users.write_number(i, 2, r.days_active, whole)
        users.write_number(i, 3, r.calls, whole)
        users.write_number(i, 4, r.minutes, whole)
        users.write_number(i, 5, float(r.transcribed_minutes), minutes)
    users.set_column(0, 0, 14)
    users.set_column(1, 1, 28)
    users.set_column(2, 5, 16)
    users.freeze_panes(1, 0)

    days = book.add_worksheet("Days")
    days.write_row(0, 0, ["Date", "Active users", "Calls", "Minutes", "Transcribed minutes"], bold)
    for i, d in enumerate(report.days, start=1):
        days.write_datetime(i, 0, d.day, day_format)
        days.write_number(i, 1, d.active_users, whole)
        days.write_number(i, 2, d.calls, whole)
        days.write_number(i, 3, d.minutes, whole)
        days.write_number(i, 4, float((Decimal(d.transcribed_seconds) / MINUTE).quantize(CENTS)), minutes)
    days.set_column(0, 0, 16)
    days.set_column(1, 4, 14)
    days.freeze_panes(1, 0)

    totals = book.add_worksheet("Totals")
    totals.write_row(0, 0, ["Total", "This report", "Invoice " + (report.invoice.number or "(preview)")], bold)
    for i, (label, mine, billed) in enumerate(_totals(report), start=1):
        totals.write_string(i, 0, label)
        totals.write_number(i, 1, mine, whole)
        if billed is not None:
            totals.write_number(i, 2, billed, whole)
    totals.set_column(0, 0, 36)
    totals.set_column(1, 2, 18)
    book.close()
    return buffer.getvalue()


def usage_json(report: UsageReport) -> dict[str, object]:
    return {
        "agency_id": report.agency.agency_id, "cycle": str(report.cycle),
        "closed_period": {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()},
        "users": [{"user_id": r.user_id or None, "name": r.name, "days_active": r.days_active, "calls": r.calls,
                   "minutes": r.minutes, "transcribed_minutes": str(r.transcribed_minutes)} for r in report.users],
        "days": [{"date": d.day.isoformat(), "active_users": d.active_users, "calls": d.calls, "minutes": d.minutes,
                  "transcribed_seconds": d.transcribed_seconds} for d in report.days],
        "totals": {"minutes": report.minutes, "user_days": report.user_days, "calls": report.calls,
                   "transcribed_minutes": report.transcribed_minutes, "numbers_billed": report.numbers_billed,
                   "completed_appointments": report.completed_appointments},
        "invoice": {"number": report.invoice.number, "minutes_used": report.invoice.minutes_used,
                    "user_days": report.invoice.user_days, "numbers": report.invoice.numbers,
                    "appointments": report.invoice.appointments,
                    "transcribed_minutes": report.invoice.transcribed_minutes},
        "reconciles": report.reconciles,
    }

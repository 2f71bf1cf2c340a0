"""Scenario and ledger files (../shared/SCENARIO_FORMAT.md): read and write.

Reading validates every field and reports the first problem as
``users[3].access[0].to: must be after from`` — a path a person can follow
into the file. The loader also sums the raw calls, numbers and appointments
into the aggregated facts the engine prices, the same sums the database
computes in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from .calendar import Cycle, CycleCalendar, Period, parse_date, restriction_date_for
from .facts import (
    DEFAULT_BUFFER_PCT,
    DEFAULT_LICENSING_FEE,
    DEFAULT_MINUTE_BLOCK,
    DEFAULT_ONBOARDING_MINUTES_PER_USER,
    DEFAULT_WARNING_DAYS,
    AccessSpan,
    AppointmentStatus,
    CallTotals,
    Contract,
    InvoiceFacts,
    MinuteBankCarry,
    PeriodUsage,
    SignalMode,
    SignalPlan,
    User,
)
from .invoice import Invoice
from .ledger import AgencyStatus, LedgerInvoice, Payment
from .money import parse_decimal, plain, round_cents
from .usage import billable_minutes

APPOINTMENT_STATUSES = tuple(str(status) for status in AppointmentStatus)
_MISSING = object()


class ScenarioError(ValueError):
    """A file that does not follow the format: which field, what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class _Node:
    """A JSON value together with its path, for error messages."""

    def __init__(self, value: Any, path: str) -> None:
        self.value = value
        self.path = path

    def fail(self, problem: str) -> ScenarioError:
        return ScenarioError(self.path or "(file)", problem)

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def obj(self) -> _Node:
        if not isinstance(self.value, dict):
            raise self.fail(f"must be an object, got {_kind(self.value)}")
        return self

    def get(self, key: str, *, optional: bool = False) -> _Node:
        self.obj()
        value = self.value.get(key, _MISSING)
        if value is _MISSING and not optional:
            raise ScenarioError(self._child_path(key), "is required")
        return _Node(None if value is _MISSING else value, self._child_path(key))

    def items(self) -> list[_Node]:
        if not isinstance(self.value, list):
            raise self.fail(f"must be a list, got {_kind(self.value)}")
        return [_Node(v, self._child_path(i)) for i, v in enumerate(self.value)]

    def text(self) -> str:
        """An identifier: a string with something in it."""
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail(f"must be a non-empty string, got {_kind(self.value)}")
        return self._unicode()

    def string(self) -> str:
        """Free text (a name): any string, even empty."""
        if not isinstance(self.value, str):
            raise self.fail(f"must be a string, got {_kind(self.value)}")
        return self._unicode()

    def _unicode(self) -> str:
        """JSON can escape a lone surrogate (``"\\ud800"``): not text, and not writable as UTF-8."""
        try:
            self.value.encode("utf-8")
        except UnicodeEncodeError:
            raise self.fail(f"must be valid Unicode text, got {_kind(self.value)}") from None
        return self.value

    def count(self, *, allow_negative: bool = False, minimum: int = 0) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail(f"must be a whole number, got {_kind(self.value)}")
        if not allow_negative and self.value < minimum:
            raise self.fail(f"must be at least {minimum}, got {self.value}")
        return self.value

    def money(self) -> Decimal:
        return self._parse(parse_decimal)

    def date(self) -> date:
        return self._parse(parse_date)

    def cycle(self) -> Cycle:
        return self._parse(Cycle.parse)

    def _parse(self, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(self.value)
        except ValueError as error:
            raise self.fail(str(error)) from None

    def nullable(self) -> _Node | None:
        return None if self.value is None else self

    def is_missing_or_null(self) -> bool:
        return self.value is None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"{value!r}"
    return type(value).__name__.replace("dict", "an object").replace("list", "a list")


# --- scenario --------------------------------------------------------------

def _contract(node: _Node) -> Contract:
    node.obj()

    def defaulted(key: str, read: Callable[[_Node], Any], default: Any) -> Any:
        child = node.get(key, optional=True)
        return default if child.is_missing_or_null() else read(child)

    def service(key: str) -> Decimal | None:
        child = node.get(key).nullable()
        return None if child is None else child.money()

    signal_node = node.get("signal").nullable()
    signal = None
    if signal_node is not None:
        signal_node.obj()
        mode_node = signal_node.get("mode")
        if mode_node.value == SignalMode.PER_USER.value:
            signal = SignalPlan(SignalMode.PER_USER, signal_node.get("rate").money())
        elif mode_node.value == SignalMode.FLAT.value:
            signal = SignalPlan(SignalMode.FLAT, signal_node.get("amount").money())
        else:
            raise mode_node.fail(f"must be \"per_user\" or \"flat\", got {_kind(mode_node.value)}")

    return Contract(
        user_fee=node.get("user_fee").money(),
        minimum_users=node.get("minimum_users").count(),
        minute_rate=node.get("minute_rate").money(),
        licensing_fee=defaulted("licensing_fee", _Node.money, DEFAULT_LICENSING_FEE),
        minute_block=defaulted("minute_block", lambda n: n.count(minimum=1), DEFAULT_MINUTE_BLOCK),
        replenish_buffer_pct=defaulted("replenish_buffer_pct", _Node.money, DEFAULT_BUFFER_PCT),
        onboarding_minutes_per_user=defaulted(
            "onboarding_minutes_per_user", _Node.count, DEFAULT_ONBOARDING_MINUTES_PER_USER
        ),
        signal=signal,
        number_cleaning_rate=service("number_cleaning_rate"),
        appointment_fee=service("appointment_fee"),
        transcription_rate=service("transcription_rate"),
    )


def _spans(node: _Node) -> tuple[AccessSpan, ...]:
    spans: list[tuple[AccessSpan, _Node]] = []
    for item in node.items():
        item.obj()
        start = item.get("from").date()
        end_node = item.get("to").nullable()
        end = None if end_node is None else end_node.date()
        if end is not None and end <= start:
            raise ScenarioError(f"{item.path}.to", "must be after from")
        spans.append((AccessSpan(start, end), item))
    ordered = sorted(spans, key=lambda pair: pair[0].start)
    for (earlier, _), (later, later_node) in pairwise(ordered):
        if earlier.end is None or later.start < earlier.end:
            raise later_node.fail("overlaps another access span of the same user")
    return tuple(span for span, _ in spans)


def _users(node: _Node) -> tuple[User, ...]:
    users: list[User] = []
    seen: set[str] = set()
    for item in node.items():
        item.obj()
        id_node = item.get("id")
        user_id = id_node.text()
        if user_id in seen:
            raise id_node.fail(f"duplicate user id {user_id!r}")
        seen.add(user_id)
        users.append(User(user_id, _spans(item.get("access"))))
    return tuple(users)


def _history(node: _Node) -> tuple[PeriodUsage, ...]:
    history: list[PeriodUsage] = []
    seen: set[Cycle] = set()
    for item in node.items():
        item.obj()
        cycle_node = item.get("cycle")
        cycle = cycle_node.cycle()
        if cycle in seen:
            raise cycle_node.fail(f"duplicate history cycle {cycle}")
        seen.add(cycle)
        history.append(PeriodUsage(cycle, item.get("minutes_used").count(), item.get("user_days").count()))
    return tuple(history)


def _call_totals(node: _Node, closed: Period) -> CallTotals:
    minutes = seconds = calls = 0
    for item in node.items():
        item.obj()
        item.get("user").string()
        day = item.get("date").date()
        duration = item.get("duration_seconds").count()
        transcribed = item.get("transcribed_seconds").count()
        if day in closed:
            minutes += billable_minutes(duration)
            seconds += transcribed
            calls += 1
    return CallTotals(billable_minutes=minutes, transcribed_seconds=seconds, calls=calls)


def _active_numbers(node: _Node, closed: Period) -> int:
    active: set[str] = set()
    for item in node.items():
        item.obj()
        number = item.get("number").text()
        start = item.get("active_from").date()
        end_node = item.get("active_to").nullable()
        end = None if end_node is None else end_node.date()
        if end is not None and end <= start:
            raise ScenarioError(f"{item.path}.active_to", "must be after active_from")
        if start <= closed.end and (end is None or end > closed.start):
            active.add(number)
    return len(active)


def _appointments(node: _Node, closed: Period) -> tuple[int, int]:
    completed = not_billed = 0
    for item in node.items():
        item.obj()
        item.get("id").string()
        day = item.get("date").date()
        status_node = item.get("status")
        if status_node.value not in APPOINTMENT_STATUSES:
            raise status_node.fail(f"must be one of {', '.join(APPOINTMENT_STATUSES)}, got {_kind(status_node.value)}")
        if day in closed:
            if status_node.value == "completed":
                completed += 1
            else:
                not_billed += 1
    return completed, not_billed


def facts_from_scenario(document: Any) -> InvoiceFacts:
    """Validate a scenario document and turn it into :class:`InvoiceFacts`."""
    root = _Node(document, "").obj()
    agency = root.get("agency").obj()
    cycle_node = root.get("cycle")
    cycle = cycle_node.cycle()
    try:
        CycleCalendar.of(cycle)
    except (ValueError, OverflowError):
        raise cycle_node.fail(f"{cycle} has key dates outside 0001-01-01..9999-12-31") from None
    closed = cycle.closed_period
    bank = root.get("minute_bank").obj()
    completed, not_billed = _appointments(root.get("appointments"), closed)
    return InvoiceFacts(
        agency_id=agency.get("id").text(),
        agency_name=agency.get("name").string(),
        cycle=cycle,
        onboarded_on=root.get("onboarded_on").date(),
        contract=_contract(root.get("contract")),
        seats_paid_in_advance=root.get("seats_paid_in_advance").count(),
        minute_bank=MinuteBankCarry(
            balance_at_previous_cutoff=bank.get("balance_at_previous_cutoff").count(allow_negative=True),
            credited_at_period_start=bank.get("credited_at_period_start").count(),
        ),
        usage_history=_history(root.get("usage_history")),
        users=_users(root.get("users")),
        call_totals=_call_totals(root.get("calls"), closed),
        active_numbers=_active_numbers(root.get("numbers"), closed),
        completed_appointments=completed,
        unbilled_appointments=not_billed,
    )


def invoice_to_json(invoice: Invoice) -> dict[str, Any]:
    """The invoice document of SCENARIO_FORMAT.md, field for field."""
    cal = invoice.calendar

    def period(p: Period) -> dict[str, Any]:
        return {"start": p.start.isoformat(), "end": p.end.isoformat(), "days": p.days}

    lines = []
    for line in invoice.lines:
        out: dict[str, Any] = {"code": line.code.value}
        if line.user is not None:
            out["user"] = line.user
        out.update(
            quantity=line.quantity,
            unit_price=plain(line.unit_price),
            amount=plain(line.amount),
            description=line.description,
        )
        lines.append(out)
    bank = invoice.minute_bank
    return {
        "agency_id": invoice.agency_id,
        "cycle": str(cal.cycle),
        "invoice_date": cal.invoice_date.isoformat(),
        "due_date": cal.due_date.isoformat(),
        "restriction_date": cal.restriction_date.isoformat(),
        "closed_period": period(cal.closed_period),
        "advance_period": period(cal.advance_period),
        "lines": lines,
        "minute_bank": {
            "closing_balance": bank.closing_balance,
            "minutes_used": bank.minutes_used,
            "projected_usage": bank.projected_usage,
            "replenishment": bank.minutes,
        },
        "headcount_at_cutoff": invoice.headcount_at_cutoff,
        "total": plain(invoice.total),
    }


# --- ledger ----------------------------------------------------------------

def ledger_from_json(document: Any) -> tuple[list[LedgerInvoice], list[Payment], int]:
    """Validate a ledger document: (invoices, payments, warning_days)."""
    root = _Node(document, "").obj()
    warning_node = root.get("warning_days", optional=True)
    warning_days = DEFAULT_WARNING_DAYS if warning_node.is_missing_or_null() else warning_node.count()

    invoices: list[LedgerInvoice] = []
    by_number: dict[str, LedgerInvoice] = {}
    for item in root.get("invoices").items():
        item.obj()
        number_node = item.get("number")
        number = number_node.text()
        if number in by_number:
            raise number_node.fail(f"duplicate invoice number {number!r}")
        agency_id = item.get("agency_id").text()
        invoice_date = item.get("invoice_date").date()
        due_node = item.get("due_date")
        due_date = due_node.date()
        try:
            restriction_date_for(due_date)
        except OverflowError:
            raise due_node.fail("its restriction date (15 days later) is past 9999-12-31") from None
        invoice = LedgerInvoice(
            number=number,
            agency_id=agency_id,
            invoice_date=invoice_date,
            due_date=due_date,
            total=item.get("total").money(),
        )
        by_number[number] = invoice
        invoices.append(invoice)

    payments: list[Payment] = []
    for item in root.get("payments").items():
        item.obj()
        agency_id = item.get("agency_id").text()
        invoice_node = item.get("invoice").nullable()
        named = None
        if invoice_node is not None:
            named = invoice_node.text()
            if named not in by_number:
                raise invoice_node.fail(f"names an unknown invoice {named!r}")
            if by_number[named].agency_id != agency_id:
                raise invoice_node.fail(f"invoice {named!r} belongs to another agency")
        payments.append(Payment(agency_id, item.get("date").date(), item.get("amount").money(), named))
    return invoices, payments, warning_days


def statuses_to_json(as_of: date, statuses: list[AgencyStatus]) -> dict[str, Any]:
    return {
        "as_of": as_of.isoformat(),
        "agencies": [
            {
                "agency_id": s.agency_id,
                "status": s.status.value,
                "balance": plain(round_cents(s.balance)),
                "credit": plain(round_cents(s.credit)),
                "days_overdue": s.days_overdue,
                "restriction_date": s.restriction_date.isoformat() if s.restriction_date else None,
                "oldest_open_invoice": s.oldest_open_invoice,
            }
            for s in statuses
        ],
    }


def invoice_snapshot(invoice: Invoice) -> dict[str, Any]:
    """The invoice document plus what a frozen invoice must keep to explain
    itself later (minute-bank detail, seats, user-days): what is stored when
    a cycle is issued, and what the PDF of an issued invoice is built from."""
    bank = invoice.minute_bank
    document = invoice_to_json(invoice)
    document["agency_name"] = invoice.agency_name
    document["user_days"] = invoice.user_days
    document["seats_paid_in_advance"] = invoice.seat_walk.seats_paid_in_advance
    document["minute_bank_detail"] = {
        "opening_balance": bank.opening_balance,
        "credited_at_period_start": bank.credited_at_period_start,
        "onboarding_credit": bank.onboarding_credit,
        "minutes_used": bank.minutes_used,
        "closing_balance": bank.closing_balance,
        "rate_minutes": bank.rate.minutes,
        "rate_user_days": bank.rate.user_days,
        "rate_periods": [str(c) for c in bank.rate.periods],
        "headcount": bank.headcount,
        "advance_days": bank.advance_days,
        "projected_usage": bank.projected_usage,
        "buffer_pct": plain(bank.buffer_pct),
        "target": bank.target,
        "needed": bank.needed,
        "block": bank.block,
        "replenishment": bank.minutes,
    }
    return document


def contract_to_json(contract: Contract) -> dict[str, Any]:
    """The ``contract`` object of a scenario file."""
    signal: dict[str, str] | None = None
    if contract.signal is not None:
        key = "rate" if contract.signal.mode is SignalMode.PER_USER else "amount"
        signal = {"mode": contract.signal.mode.value, key: plain(contract.signal.price)}

    def optional(value: Decimal | None) -> str | None:
        return None if value is None else plain(value)

    return {
        "user_fee": plain(contract.user_fee),
        "minimum_users": contract.minimum_users,
        "licensing_fee": plain(contract.licensing_fee),
        "minute_rate": plain(contract.minute_rate),
        "minute_block": contract.minute_block,
        "replenish_buffer_pct": plain(contract.replenish_buffer_pct),
        "onboarding_minutes_per_user": contract.onboarding_minutes_per_user,
        "signal": signal,
        "number_cleaning_rate": optional(contract.number_cleaning_rate),
        "appointment_fee": optional(contract.appointment_fee),
        "transcription_rate": optional(contract.transcription_rate),
    }


def facts_to_scenario(
    facts: InvoiceFacts,
    *,
    calls: list[dict[str, Any]],
    numbers: list[dict[str, Any]],
    appointments: list[dict[str, Any]],
) -> dict[str, Any]:
    """A scenario document for ``facts``; the raw calls, numbers and
    appointments are given as scenario records (they are not in the facts,
    which only hold their sums)."""
    return {
        "agency": {"id": facts.agency_id, "name": facts.agency_name},
        "cycle": str(facts.cycle),
        "onboarded_on": facts.onboarded_on.isoformat(),
        "contract": contract_to_json(facts.contract),
        "seats_paid_in_advance": facts.seats_paid_in_advance,
        "minute_bank": {
            "balance_at_previous_cutoff": facts.minute_bank.balance_at_previous_cutoff,
            "credited_at_period_start": facts.minute_bank.credited_at_period_start,
        },
        "usage_history": [
            {"cycle": str(p.cycle), "minutes_used": p.minutes_used, "user_days": p.user_days}
            for p in facts.usage_history
        ],
        "users": [
            {
                "id": user.id,
                "access": [
                    {"from": s.start.isoformat(), "to": s.end.isoformat() if s.end else None} for s in user.spans
                ],
            }
            for user in facts.users
        ],
        "calls": calls,
        "numbers": numbers,
        "appointments": appointments,
    }

"""What-if: an agency's invoice with hypothetical changes, next to the real one.

An account manager asked "what if we add ten agents on the 5th?" needs the
answer the engine would give, not an estimate: the stored facts are exported
as the engine's scenario (exactly what ``manage.py scenario`` prints), the
changes are applied to that document (:mod:`billing.whatif`) and the engine
prices it. The changed scenario is returned with the answer, so anyone can
replay it with ``python -m billing invoice``. Nothing is written.

The next cycle is changed too (seats paid in advance, the minute bank, the
usage history all carry over), when it can be previewed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

from billing import Cycle, Invoice, LineCode, facts_from_scenario, invoice_to_json, price_invoice
from billing.scenario import ScenarioError
from billing.whatif import Changes, apply_changes, parse_changes
from db.scenario_export import scenario_document

from .access import SYSTEM, Permission, Viewer
from .clock import billing_today
from .errors import FieldError
from .previews import latest_previewable, live_facts_in
from .unit_of_work import SessionFactory, default_sessions

ZERO = Decimal("0.00")


class ChangesError(FieldError):
    """A changes document that does not follow docs/WHATIF_FORMAT.md (bad input: exit 2)."""


@dataclass(frozen=True)
class LineDiff:
    """One line of the comparison, matched by code (and user, when prorated)."""

    code: str
    title: str
    user: str | None
    baseline_quantity: int | None
    baseline_amount: Decimal
    whatif_quantity: int | None
    whatif_amount: Decimal
    explanation: str  # the what-if line's own (or the baseline's, when it is gone)

    @property
    def difference(self) -> Decimal:
        return self.whatif_amount - self.baseline_amount


@dataclass(frozen=True)
class CycleComparison:
    cycle: Cycle
    baseline: Invoice
    invoice: Invoice
    lines: tuple[LineDiff, ...]

    @property
    def difference(self) -> Decimal:
        return self.invoice.total - self.baseline.total


@dataclass(frozen=True)
class WhatIf:
    agency_id: str
    agency_name: str
    changes: Changes
    as_of: date
    scenario: dict[str, Any]  # the engine input with the changes applied
    current: CycleComparison
    following: CycleComparison | None  # the next cycle, when it can be previewed

    def document(self) -> dict[str, Any]:
        """``{"baseline", "scenario", "invoice"}`` (``manage.py whatif``)."""
        return {"baseline": invoice_to_json(self.current.baseline), "scenario": self.scenario,
                "invoice": invoice_to_json(self.current.invoice)}


def _key(line: Any) -> tuple[str, str | None]:
    return line.code.value, line.user


def compare_lines(baseline: Invoice, invoice: Invoice) -> tuple[LineDiff, ...]:
    """Every line of either invoice, in the rules' order, matched by code and
    user: what it was, what it would be, and why."""
    before = {_key(line): line for line in baseline.lines}
    after = {_key(line): line for line in invoice.lines}
    order = {code: i for i, code in enumerate(LineCode)}
    keys = sorted(set(before) | set(after), key=lambda k: (order[LineCode(k[0])], k[1] is not None, k[1] or ""))
    out = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        shown = new or old
        assert shown is not None
        out.append(LineDiff(
            code=key[0], title=shown.title, user=key[1],
            baseline_quantity=old.quantity if old else None, baseline_amount=old.amount if old else ZERO,
            whatif_quantity=new.quantity if new else None, whatif_amount=new.amount if new else ZERO,
            explanation=new.description if new else f"Not on the what-if invoice (was: {old.description})" if old else "",
        ))
    return tuple(out)


def _price(document: dict[str, Any]) -> Invoice:
    return price_invoice(facts_from_scenario(document))


def _changes(document: Any) -> Changes:
    try:
        return parse_changes(document)
    except ScenarioError as error:
        raise ChangesError(error.field, error.problem) from None


def _apply(scenario: dict[str, Any], changes: Changes, as_of: date) -> dict[str, Any]:
    try:
        return apply_changes(scenario, changes, as_of)
    except ScenarioError as error:
        raise ChangesError(error.field, error.problem) from None


def _carried(next_scenario: dict[str, Any], invoice: Invoice) -> dict[str, Any]:
    """The next cycle's scenario starting from ``invoice`` (a what-if's):
    its seats, bank and usage are what the next invoice carries over."""
    out = dict(next_scenario)
    out["seats_paid_in_advance"] = invoice.lines[0].quantity
    out["minute_bank"] = {"balance_at_previous_cutoff": invoice.minute_bank.closing_balance,
                          "credited_at_period_start": invoice.minute_bank.minutes}
    entry = {"cycle": str(invoice.cycle), "minutes_used": invoice.minute_bank.minutes_used, "user_days": invoice.user_days}
    out["usage_history"] = [h for h in next_scenario["usage_history"] if h["cycle"] != str(invoice.cycle)] + [entry]
    return out


def what_if_in(session: Session, agency_id: str, cycle: Cycle, changes: Changes, as_of: date) -> WhatIf:
    facts = live_facts_in(session, agency_id, cycle)
    base_scenario = scenario_document(session=session, facts=facts)
    scenario = _apply(base_scenario, changes, as_of)
    baseline, invoice = _price(base_scenario), _price(scenario)
    current = CycleComparison(cycle, baseline, invoice, compare_lines(baseline, invoice))
    following = None
    if cycle.next() <= latest_previewable(billing_today()):
        next_facts = live_facts_in(session, agency_id, cycle.next())
        next_scenario = scenario_document(session=session, facts=next_facts)
        next_baseline = _price(_carried(next_scenario, baseline))
        next_invoice = _price(_carried(_apply(next_scenario, changes, as_of), invoice))
        following = CycleComparison(cycle.next(), next_baseline, next_invoice,
                                    compare_lines(next_baseline, next_invoice))
    return WhatIf(agency_id, facts.agency_name, changes, as_of, scenario, current, following)


def what_if(viewer: Viewer, agency_id: str, cycle: Cycle, changes: Any, as_of: date, *,
            sessions: SessionFactory = default_sessions) -> WhatIf:
    """The what-if of ``changes`` (a changes document or :class:`Changes`)
    on ``agency_id``'s ``cycle``, for finance and account managers."""
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    parsed = changes if isinstance(changes, Changes) else _changes(changes)
    with sessions() as session:
        return what_if_in(session, agency_id, cycle, parsed, as_of)


def read_changes(path: Path) -> Any:
    """A changes file's JSON; unreadable or invalid JSON is a :class:`ChangesError`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ChangesError(str(path), f"cannot read file: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ChangesError(str(path), "not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ChangesError(str(path), f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None


def whatif_json(agency_id: str, cycle: Cycle, path: Path, as_of: date | None = None, *,
                sessions: SessionFactory = default_sessions) -> dict[str, Any]:
    """``manage.py whatif``: the what-if document of a changes file."""
    return what_if(SYSTEM, agency_id, cycle, read_changes(path), as_of or billing_today(), sessions=sessions).document()


def changes_from_query(text: str | None) -> Changes:
    """The changes a shareable link carries (``?whatif=<JSON>``)."""
    if not text:
        return Changes()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise ChangesError("whatif", "the link's what-if is not valid JSON") from None
    return _changes(document)


def changes_to_query(changes: Changes) -> str:
    return json.dumps(changes.document(), separators=(",", ":"))


def describe(changes: Changes) -> tuple[str, ...]:
    """The changes in words, for the page and the quote."""
    out = [f"add {a.count} user{'s' if a.count != 1 else ''} from {a.start.isoformat()}" for a in changes.add_users]
    for d in changes.deactivate_users:
        who = ", ".join(d.ids) if d.ids else f"{d.count} user{'s' if d.count != 1 else ''}"
        out.append(f"deactivate {who} on {d.on.isoformat()}")
    if changes.minutes_per_user_day is not None:
        out.append(f"{changes.minutes_per_user_day} minutes per user-day for the days not yet past")
    for key, value in changes.contract:
        shown = "dropped" if value is None else json.dumps(value) if isinstance(value, dict) else str(value)
        out.append(f"{key.replace('_', ' ')}: {shown}")
    return tuple(out)


def quote_pdf(result: WhatIf, agency_name: str, address: str | None = None,
              billing_email: str | None = None) -> tuple[str, bytes]:
    """(file name, PDF) of a what-if: a quote marked WHAT-IF on every page,
    with no invoice number and the changes it assumes printed above the lines."""
    from billing.snapshot import snapshot_of
    from reports.document import AgencyHeader, document_from_snapshot
    from reports.invoice_pdf import pdf_file_name, render_invoice_pdf

    header = AgencyHeader(result.agency_id, agency_name, tuple((address or "").splitlines()), billing_email)
    document = document_from_snapshot(snapshot_of(result.current.invoice), header, quote=describe(result.changes))
    return pdf_file_name(document), render_invoice_pdf(document)

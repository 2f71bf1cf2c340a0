"""Scenario and ledger documents with sensible defaults, so each test states
only what its rule is about.

Dates are billing-local. The default cycle is 2026-11: closed period
2026-10-24..2026-11-23 (31 days), advance period 2026-11-24..2026-12-23
(30 days), invoiced 2026-11-25, due 2026-12-01, restricted from 2026-12-16.
The default contract has every optional service off, no minimum and the
documented defaults written out; ``contract={...}`` overrides single keys.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from billing import LedgerInvoice, Payment, facts_from_scenario, price_invoice
from billing.scenario import invoice_to_json

ROOT = Path(__file__).resolve().parents[2]

CONTRACT: dict[str, Any] = {
    "user_fee": "150.00",
    "minimum_users": 0,
    "licensing_fee": "50.00",
    "minute_rate": "0.0150",
    "minute_block": 100,
    "replenish_buffer_pct": "0",
    "onboarding_minutes_per_user": 2500,
    "signal": None,
    "number_cleaning_rate": None,
    "appointment_fee": None,
    "transcription_rate": None,
}

EVERY_SERVICE_ON: dict[str, Any] = {
    "signal": {"mode": "per_user", "rate": "25.00"},
    "number_cleaning_rate": "0.50",
    "appointment_fee": "35.00",
    "transcription_rate": "0.0200",
}


# --- scenario parts ----------------------------------------------------------

def user(user_id: str, *spans: tuple[str, str | None]) -> dict[str, Any]:
    """A user with access spans ``(from, to)``; ``to=None`` is still active."""
    return {"id": user_id, "access": [{"from": a, "to": b} for a, b in spans]}


def steady(count: int, start: str = "2025-01-10", prefix: str = "s") -> list[dict[str, Any]]:
    """``count`` users (``s01``, ``s02``...) active from ``start`` on, never leaving."""
    return [user(f"{prefix}{i:02d}", (start, None)) for i in range(1, count + 1)]


def call(day: str, seconds: int, transcribed: int = 0, who: str = "s01") -> dict[str, Any]:
    return {"user": who, "date": day, "duration_seconds": seconds, "transcribed_seconds": transcribed}


def number(digits: str, active_from: str = "2025-01-01", active_to: str | None = None) -> dict[str, Any]:
    return {"number": digits, "active_from": active_from, "active_to": active_to}


def appointment(day: str, status: str = "completed", ident: str = "ap") -> dict[str, Any]:
    return {"id": ident, "date": day, "status": status}


def history(cycle: str, minutes_used: int, user_days: int) -> dict[str, Any]:
    return {"cycle": cycle, "minutes_used": minutes_used, "user_days": user_days}


def scenario(**overrides: Any) -> dict[str, Any]:
    """A valid scenario document; keyword arguments replace top-level keys,
    except ``contract``, whose keys are merged into the default contract."""
    contract = dict(CONTRACT, **overrides.pop("contract", {}))
    document = {
        "agency": {"id": "A-1", "name": "Test Agency"},
        "cycle": "2026-11",
        "onboarded_on": "2025-01-10",
        "contract": contract,
        "seats_paid_in_advance": 0,
        "minute_bank": {"balance_at_previous_cutoff": 0, "credited_at_period_start": 0},
        "usage_history": [],
        "users": [],
        "calls": [],
        "numbers": [],
        "appointments": [],
    }
    document.update(copy.deepcopy(overrides))
    return copy.deepcopy(document)


def bank(balance: int = 0, credited: int = 0) -> dict[str, int]:
    return {"balance_at_previous_cutoff": balance, "credited_at_period_start": credited}


# --- pricing and reading the result ---------------------------------------------

def price(document: dict[str, Any]) -> dict[str, Any]:
    """The invoice JSON of a scenario document, through the Python API."""
    return invoice_to_json(price_invoice(facts_from_scenario(document)))


def invoice(**overrides: Any) -> dict[str, Any]:
    """The invoice JSON of ``scenario(**overrides)``."""
    return price(scenario(**overrides))


def lines(document: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [line for line in document["lines"] if line["code"] == code]


def line(document: dict[str, Any], code: str) -> dict[str, Any]:
    found = lines(document, code)
    assert len(found) == 1, f"expected one {code} line, got {len(found)}"
    return found[0]


def codes(document: dict[str, Any]) -> list[str]:
    return [line["code"] for line in document["lines"]]


def prorated(document: dict[str, Any]) -> list[tuple[str, int, str]]:
    """``(user, days, amount)`` of every PRORATED_USER_FEE line, in order."""
    return [(line["user"], line["quantity"], line["amount"]) for line in lines(document, "PRORATED_USER_FEE")]


# --- ledgers ---------------------------------------------------------------------

def ledger_invoice(number: str, total: str, cycle: str = "2026-11", agency: str = "A") -> LedgerInvoice:
    """An invoice of ``cycle``: dated the 25th, due the 1st of the next month."""
    year, month = (int(part) for part in cycle.split("-"))
    due = date(year + month // 12, month % 12 + 1, 1)
    return LedgerInvoice(number, agency, date(year, month, 25), due, Decimal(total))


def payment(day: str, amount: str, invoice: str | None = None, agency: str = "A") -> Payment:
    return Payment(agency, date.fromisoformat(day), Decimal(amount), invoice)


def ledger_document(invoices: list[LedgerInvoice], payments: list[Payment] = (), **extra: Any) -> dict[str, Any]:
    """The ledger file (SCENARIO_FORMAT.md) holding these invoices and payments."""
    return {
        **extra,
        "invoices": [
            {"number": i.number, "agency_id": i.agency_id, "invoice_date": i.invoice_date.isoformat(),
             "due_date": i.due_date.isoformat(), "total": format(i.total, "f")}
            for i in invoices
        ],
        "payments": [
            {"agency_id": p.agency_id, "date": p.paid_on.isoformat(), "amount": format(p.amount, "f"),
             "invoice": p.invoice}
            for p in payments
        ],
    }


def dump(document: Any) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False)

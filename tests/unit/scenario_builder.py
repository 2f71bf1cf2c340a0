"""Scenario documents with sensible defaults, so each test states only what
its rule is about. Dates are billing-local; the default cycle is 2026-11
(closed period 2026-10-24..2026-11-23, 31 days; advance 30 days)."""

from __future__ import annotations

import copy
from typing import Any

from billing import facts_from_scenario, price_invoice
from billing.scenario import invoice_to_json

CONTRACT = {
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


def user(user_id: str, *spans: tuple[str, str | None]) -> dict[str, Any]:
    return {"id": user_id, "access": [{"from": a, "to": b} for a, b in spans]}


def steady(count: int, start: str = "2025-01-10", prefix: str = "s") -> list[dict[str, Any]]:
    """``count`` users active long before and throughout the period."""
    return [user(f"{prefix}{i:02d}", (start, None)) for i in range(1, count + 1)]


def call(day: str, seconds: int, transcribed: int = 0, who: str = "s01") -> dict[str, Any]:
    return {"user": who, "date": day, "duration_seconds": seconds, "transcribed_seconds": transcribed}


def scenario(**overrides: Any) -> dict[str, Any]:
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
    return document


def invoice(**overrides: Any) -> dict[str, Any]:
    """The invoice JSON of ``scenario(**overrides)``."""
    return invoice_to_json(price_invoice(facts_from_scenario(scenario(**overrides))))


def lines(document: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [line for line in document["lines"] if line["code"] == code]


def line(document: dict[str, Any], code: str) -> dict[str, Any]:
    found = lines(document, code)
    assert len(found) == 1, f"expected one {code} line, got {len(found)}"
    return found[0]


def codes(document: dict[str, Any]) -> list[str]:
    return [line["code"] for line in document["lines"]]

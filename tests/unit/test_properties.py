"""Properties that hold for every scenario and every ledger (hypothesis).

Deterministic: ``derandomize=True`` and no example database, so every run
tries the same 150 examples per property and a failure reproduces as is.
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from unit.scenario_builder import price, scenario

from billing import (
    LedgerInvoice,
    Payment,
    ScenarioError,
    facts_from_scenario,
    price_invoice,
    statuses,
)
from billing.money import round_cents
from billing.scenario import statuses_to_json

SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, database=None)
WINDOW_START = date(2026, 9, 1)  # spans start and end around the closed period 2026-10-24..2026-11-23


def _day(offset: int) -> str:
    return (WINDOW_START + timedelta(days=offset)).isoformat()


@st.composite
def spans(draw):
    """One user's non-overlapping spans, some touching, the last maybe open."""
    cuts = sorted(draw(st.lists(st.integers(0, 120), min_size=1, max_size=6, unique=True)))
    if draw(st.booleans()) and len(cuts) % 2 == 0:
        cuts = cuts[:-1]  # odd: the last span stays open
    pairs = [(cuts[i], cuts[i + 1] if i + 1 < len(cuts) else None) for i in range(0, len(cuts), 2)]
    return [{"from": _day(a), "to": None if b is None else _day(b)} for a, b in pairs]


def number_record(draw):
    start = draw(st.integers(0, 100))
    length = draw(st.one_of(st.none(), st.integers(1, 60)))
    return {"number": f"+1000000000{draw(st.integers(0, 4))}", "active_from": _day(start),
            "active_to": None if length is None else _day(start + length)}


@st.composite
def scenarios(draw):
    user_count = draw(st.integers(0, 14))
    users = [{"id": f"u{i}", "access": draw(spans())} for i in range(user_count)]
    calls = [
        {"user": f"u{draw(st.integers(0, 14))}", "date": _day(draw(st.integers(40, 90))),
         "duration_seconds": draw(st.integers(0, 3600)), "transcribed_seconds": draw(st.integers(0, 3600))}
        for _ in range(draw(st.integers(0, 15)))
    ]
    contract = {
        "user_fee": draw(st.sampled_from(["150.00", "99.99", "120", "175.5000", "0.01", "1234.5678"])),
        "minimum_users": draw(st.integers(0, 15)),
        "licensing_fee": draw(st.sampled_from(["50.00", "0", "75.5"])),
        "minute_rate": draw(st.sampled_from(["0.0150", "0.0125", "0.02", "0.00125"])),
        "minute_block": draw(st.sampled_from([1, 100, 500])),
        "replenish_buffer_pct": draw(st.sampled_from(["0", "5", "12.5", "33.3333"])),
        "signal": draw(st.sampled_from([None, {"mode": "per_user", "rate": "25.00"}, {"mode": "flat", "amount": "199.00"}])),
        "number_cleaning_rate": draw(st.sampled_from([None, "0.50", "0.005"])),
        "appointment_fee": draw(st.sampled_from([None, "35.00"])),
        "transcription_rate": draw(st.sampled_from([None, "0.0200", "0.0175"])),
    }
    history = [{"cycle": c, "minutes_used": draw(st.integers(0, 50000)), "user_days": draw(st.integers(0, 400))}
               for c in draw(st.lists(st.sampled_from(["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]),
                                      unique=True))]
    return scenario(
        contract=contract, users=users, calls=calls, usage_history=history,
        onboarded_on=draw(st.sampled_from(["2025-01-10", "2026-11-02", "2026-10-24"])),
        seats_paid_in_advance=draw(st.integers(0, 15)),
        minute_bank={"balance_at_previous_cutoff": draw(st.integers(-5000, 5000)),
                     "credited_at_period_start": draw(st.integers(0, 5000))},
        numbers=[number_record(draw) for _ in range(draw(st.integers(0, 6)))],
        appointments=[{"id": f"a{i}", "date": _day(draw(st.integers(40, 90))),
                       "status": draw(st.sampled_from(["completed", "cancelled", "no_show"]))}
                      for i in range(draw(st.integers(0, 6)))],
    )


def _amounts(doc):
    return [line["amount"] for line in doc["lines"]] + [doc["total"]]


def _user_fee(doc):
    return next(line for line in doc["lines"] if line["code"] == "USER_FEE")


# --- invoices ------------------------------------------------------------------------------------------

@SETTINGS
@given(scenarios())
def test_the_total_equals_the_sum_of_the_lines(document):
    doc = price(document)
    assert Decimal(doc["total"]) == sum((Decimal(line["amount"]) for line in doc["lines"]), Decimal(0))


@SETTINGS
@given(scenarios())
def test_every_amount_has_exactly_two_decimals(document):
    for amount in _amounts(price(document)):
        whole, _, cents = amount.partition(".")
        assert whole.isdigit() and len(cents) == 2 and cents.isdigit(), amount


@SETTINGS
@given(scenarios())
def test_a_prorated_line_never_exceeds_one_full_user_fee(document):
    fee = Decimal(document["contract"]["user_fee"])
    for line in price(document)["lines"]:
        if line["code"] == "PRORATED_USER_FEE":
            # A whole period's proration is the fee itself, rounded once to cents (a 4-decimal fee can round up).
            assert Decimal(line["amount"]) <= round_cents(fee)
            assert 1 <= line["quantity"] <= 31


@SETTINGS
@given(scenarios())
def test_every_line_is_its_quantity_times_its_unit_price_rounded_once(document):
    doc = price(document)
    days = doc["closed_period"]["days"]
    for line in doc["lines"]:
        exact = line["quantity"] * Decimal(line["unit_price"])
        if line["code"] == "PRORATED_USER_FEE":
            exact = exact / days
        assert abs(Decimal(line["amount"]) - exact) <= Decimal("0.005")


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_shuffling_users_spans_calls_and_the_rest_changes_nothing(document, rnd):
    shuffled = copy.deepcopy(document)
    for key in ("users", "calls", "numbers", "appointments", "usage_history"):
        rnd.shuffle(shuffled[key])
    for user in shuffled["users"]:
        rnd.shuffle(user["access"])
    assert price(shuffled) == price(document)


@SETTINGS
@given(scenarios(), st.integers(1, 20))
def test_raising_the_minimum_never_lowers_the_user_fee(document, raise_by):
    higher = copy.deepcopy(document)
    higher["contract"]["minimum_users"] += raise_by
    before, after = _user_fee(price(document)), _user_fee(price(higher))
    assert Decimal(after["amount"]) >= Decimal(before["amount"])
    assert after["quantity"] >= higher["contract"]["minimum_users"]


@SETTINGS
@given(scenarios(), st.integers(1, 7200))
def test_more_usage_never_lowers_the_replenishment(document, seconds):
    more = copy.deepcopy(document)
    more["calls"].append({"user": "u0", "date": "2026-11-01", "duration_seconds": seconds, "transcribed_seconds": 0})
    before, after = price(document)["minute_bank"], price(more)["minute_bank"]
    assert after["minutes_used"] == before["minutes_used"] + -(-seconds // 60)
    assert after["replenishment"] >= before["replenishment"]


@SETTINGS
@given(scenarios())
def test_the_invoice_json_round_trip_is_stable(document):
    doc = price(document)
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    assert json.loads(text) == doc
    assert json.dumps(json.loads(text), indent=2, ensure_ascii=False) == text
    assert price(json.loads(json.dumps(document))) == doc  # pricing is a pure function of the document


PATHS = [("cycle",), ("onboarded_on",), ("seats_paid_in_advance",), ("contract", "user_fee"),
         ("contract", "minute_block"), ("contract", "signal"), ("minute_bank", "balance_at_previous_cutoff"),
         ("users",), ("calls",), ("numbers",), ("appointments",), ("usage_history",)]
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                 st.text(max_size=12), st.sampled_from(["2026-02-30", "9999-12", "0001-01", "1e3", "-1", "A\ud800"]),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@SETTINGS
@given(scenarios(), st.sampled_from(PATHS), JUNK)
def test_a_malformed_document_is_refused_with_a_scenario_error_and_nothing_else(document, path, junk):
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = junk
    try:
        facts = facts_from_scenario(document)
    except ScenarioError as error:
        assert error.field.split(".")[0].split("[")[0] in {p[0] for p in PATHS}
        return
    price_invoice(facts)  # the document happened to stay valid: it must price


# --- ledgers --------------------------------------------------------------------------------------------

@st.composite
def ledgers(draw):
    count = draw(st.integers(1, 5))
    invoices = [
        LedgerInvoice(f"INV-{i}", draw(st.sampled_from("AB")), date(2026, 1 + i, 25), date(2026, 2 + i, 1),
                      Decimal(draw(st.integers(0, 500000))) / 100)
        for i in range(count)
    ]
    payments = []
    for _ in range(draw(st.integers(0, 6))):
        named = draw(st.sampled_from([None, *invoices]))
        agency = named.agency_id if named else draw(st.sampled_from("AB"))
        payments.append(Payment(agency, date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 250))),
                                Decimal(draw(st.integers(1, 300000))) / 100, named.number if named else None))
    return invoices, payments


def _by_agency(result):
    return {s.agency_id: s for s in result}


@SETTINGS
@given(ledgers(), st.sampled_from("AB"), st.integers(1, 300000), st.integers(0, 250), st.integers(0, 300))
def test_a_payment_never_increases_a_balance(ledger, agency, cents, offset, as_of_offset):
    invoices, payments = ledger
    as_of = date(2026, 1, 1) + timedelta(days=as_of_offset)
    extra = Payment(agency, date(2026, 1, 1) + timedelta(days=offset), Decimal(cents) / 100)
    before = _by_agency(statuses(invoices, payments, as_of))
    after = _by_agency(statuses(invoices, [*payments, extra], as_of))
    for agency_id, status in after.items():
        previous = before.get(agency_id)
        old_balance = previous.balance if previous else Decimal(0)
        assert Decimal(0) <= status.balance <= old_balance
        for number, balance in ((o.invoice.number, o.balance) for o in status.open_invoices):
            old = {o.invoice.number: o.balance for o in previous.open_invoices} if previous else {}
            assert balance <= old.get(number, balance)


@SETTINGS
@given(ledgers(), st.integers(0, 300))
def test_money_in_the_ledger_is_conserved(ledger, as_of_offset):
    invoices, payments = ledger
    as_of = date(2026, 1, 1) + timedelta(days=as_of_offset)
    for status in statuses(invoices, payments, as_of):
        billed = sum((i.total for i in invoices if i.agency_id == status.agency_id and i.invoice_date <= as_of), Decimal(0))
        paid = sum((p.amount for p in payments if p.agency_id == status.agency_id and p.paid_on <= as_of), Decimal(0))
        assert status.balance - status.credit == billed - paid
        assert status.balance == 0 or status.credit == 0  # credit never waits beside an open invoice


@SETTINGS
@given(ledgers(), st.integers(0, 300))
def test_the_status_document_has_two_decimal_money(ledger, as_of_offset):
    invoices, payments = ledger
    as_of = date(2026, 1, 1) + timedelta(days=as_of_offset)
    out = statuses_to_json(as_of, statuses(invoices, payments, as_of))
    for entry in out["agencies"]:
        for key in ("balance", "credit"):
            assert len(entry[key].partition(".")[2]) == 2
    assert json.loads(json.dumps(out)) == out

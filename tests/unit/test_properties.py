"""Properties that hold for every scenario (hypothesis, derandomized)."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing import LedgerInvoice, Payment, facts_from_scenario, price_invoice, statuses
from billing.scenario import invoice_to_json
from unit.scenario_builder import scenario

SETTINGS = settings(max_examples=120, derandomize=True, deadline=None)
WINDOW_START = date(2026, 9, 1)  # spans start and end around the closed period 2026-10-24..2026-11-23


def _day(offset: int) -> str:
    return (WINDOW_START + timedelta(days=offset)).isoformat()


@st.composite
def spans(draw):
    cuts = sorted(draw(st.lists(st.integers(0, 120), min_size=1, max_size=4, unique=True)))
    open_end = draw(st.booleans())
    if open_end and len(cuts) % 2 == 0:
        cuts = cuts[:-1]
    pairs = [(cuts[i], cuts[i + 1] if i + 1 < len(cuts) else None) for i in range(0, len(cuts), 2)]
    return [{"from": _day(a), "to": None if b is None else _day(b)} for a, b in pairs]


@st.composite
def scenarios(draw):
    user_count = draw(st.integers(0, 12))
    users = [{"id": f"u{i}", "access": draw(spans())} for i in range(user_count)]
    calls = [
        {"user": f"u{draw(st.integers(0, 12))}", "date": _day(draw(st.integers(40, 90))),
         "duration_seconds": draw(st.integers(0, 3600)), "transcribed_seconds": draw(st.integers(0, 3600))}
        for _ in range(draw(st.integers(0, 15)))
    ]
    contract = {
        "user_fee": draw(st.sampled_from(["150.00", "99.99", "120", "175.5000"])),
        "minimum_users": draw(st.integers(0, 15)),
        "minute_rate": draw(st.sampled_from(["0.0150", "0.0125", "0.02"])),
        "minute_block": draw(st.sampled_from([1, 100, 500])),
        "replenish_buffer_pct": draw(st.sampled_from(["0", "5", "12.5"])),
        "signal": draw(st.sampled_from([None, {"mode": "per_user", "rate": "25.00"}, {"mode": "flat", "amount": "199.00"}])),
        "number_cleaning_rate": draw(st.sampled_from([None, "0.50"])),
        "appointment_fee": draw(st.sampled_from([None, "35.00"])),
        "transcription_rate": draw(st.sampled_from([None, "0.0200"])),
    }
    history = [{"cycle": c, "minutes_used": draw(st.integers(0, 50000)), "user_days": draw(st.integers(0, 400))}
               for c in draw(st.lists(st.sampled_from(["2026-07", "2026-08", "2026-09", "2026-10"]), unique=True))]
    return scenario(
        contract=contract, users=users, calls=calls, usage_history=history,
        onboarded_on=draw(st.sampled_from(["2025-01-10", "2026-11-02"])),
        seats_paid_in_advance=draw(st.integers(0, 15)),
        minute_bank={"balance_at_previous_cutoff": draw(st.integers(-5000, 20000)), "credited_at_period_start": draw(st.integers(0, 30000))},
        numbers=[{"number": f"+1000000000{i % 4}", "active_from": _day(draw(st.integers(0, 100))), "active_to": None}
                 for i in range(draw(st.integers(0, 6)))],
        appointments=[{"id": f"a{i}", "date": _day(draw(st.integers(40, 90))),
                       "status": draw(st.sampled_from(["completed", "cancelled", "no_show"]))} for i in range(draw(st.integers(0, 6)))],
    )


def _price(document):
    return invoice_to_json(price_invoice(facts_from_scenario(document)))


@SETTINGS
@given(scenarios())
def test_total_equals_the_sum_of_the_lines(document):
    doc = _price(document)
    assert Decimal(doc["total"]) == sum((Decimal(l["amount"]) for l in doc["lines"]), Decimal(0))
    assert all(len(l["amount"].split(".")[1]) == 2 for l in doc["lines"])


@SETTINGS
@given(scenarios())
def test_a_prorated_line_never_exceeds_one_full_fee(document):
    fee = Decimal(document["contract"]["user_fee"])
    for line in _price(document)["lines"]:
        if line["code"] == "PRORATED_USER_FEE":
            assert Decimal(line["amount"]) <= fee


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_shuffling_users_calls_and_spans_changes_nothing(document, rnd):
    shuffled = copy.deepcopy(document)
    rnd.shuffle(shuffled["users"])
    for user in shuffled["users"]:
        rnd.shuffle(user["access"])
    rnd.shuffle(shuffled["calls"])
    rnd.shuffle(shuffled["numbers"])
    rnd.shuffle(shuffled["usage_history"])
    assert _price(shuffled) == _price(document)


@SETTINGS
@given(scenarios(), st.integers(1, 20))
def test_raising_the_minimum_never_lowers_the_user_fee(document, raise_by):
    higher = copy.deepcopy(document)
    higher["contract"]["minimum_users"] += raise_by
    before = next(l for l in _price(document)["lines"] if l["code"] == "USER_FEE")
    after = next(l for l in _price(higher)["lines"] if l["code"] == "USER_FEE")
    assert Decimal(after["amount"]) >= Decimal(before["amount"])


@st.composite
def ledgers(draw):
    invoices = [
        LedgerInvoice(f"INV-{i}", "A", date(2026, 1 + i, 25), date(2026, 2 + i, 1), Decimal(draw(st.integers(0, 500000))) / 100)
        for i in range(draw(st.integers(1, 5)))
    ]
    payments = [
        Payment("A", date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 250))), Decimal(draw(st.integers(1, 300000))) / 100,
                draw(st.sampled_from([None, *[i.number for i in invoices]])))
        for _ in range(draw(st.integers(0, 6)))
    ]
    return invoices, payments


@SETTINGS
@given(ledgers(), st.integers(1, 300000), st.integers(0, 250))
def test_a_payment_never_increases_a_balance(ledger, cents, offset):
    invoices, payments = ledger
    day = date(2026, 1, 1) + timedelta(days=offset)
    as_of = date(2026, 12, 31)
    before = statuses(invoices, payments, as_of)[0]
    after = statuses(invoices, [*payments, Payment("A", day, Decimal(cents) / 100)], as_of)[0]
    assert after.balance <= before.balance
    assert after.balance >= 0

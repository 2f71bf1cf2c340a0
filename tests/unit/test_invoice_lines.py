"""The optional lines, their order, and money: section 3 of BILLING_RULES.md."""

from __future__ import annotations

from decimal import Decimal

import pytest

from unit.scenario_builder import call, codes, invoice, line, lines, steady

ALL_ON = {
    "signal": {"mode": "per_user", "rate": "25.00"},
    "number_cleaning_rate": "0.50",
    "appointment_fee": "35.00",
    "transcription_rate": "0.0200",
}
NUMBERS = [{"number": "+13125550100", "active_from": "2025-01-01", "active_to": None}]
APPOINTMENTS = [{"id": "a1", "date": "2026-11-02", "status": "completed"}]
CALLS = [call("2026-11-02", 600, transcribed=600)]


def test_lines_appear_in_the_order_of_the_rules():
    doc = invoice(contract=ALL_ON, onboarded_on="2026-11-02", users=[*steady(1, "2026-11-02")],
                  numbers=NUMBERS, appointments=APPOINTMENTS, calls=CALLS)
    assert codes(doc) == ["USER_FEE", "LICENSING_FEE", "PRORATED_USER_FEE", "ONBOARDING_MINUTES", "PRE_BILLED_MINUTES",
                          "EH_SIGNAL", "NUMBER_CLEANING", "APPOINTMENTS", "AI_TRANSCRIPTION"]


def test_with_every_optional_service_off_only_user_fee_and_pre_billed_minutes_remain():
    doc = invoice(users=steady(2), seats_paid_in_advance=2, numbers=NUMBERS, appointments=APPOINTMENTS, calls=CALLS)
    assert codes(doc) == ["USER_FEE", "PRE_BILLED_MINUTES"]


def test_eh_signal_per_user_follows_the_user_fee_quantity_including_the_minimum():
    doc = invoice(contract={"minimum_users": 5, "signal": {"mode": "per_user", "rate": "25.00"}},
                  users=steady(3), seats_paid_in_advance=5)
    signal = line(doc, "EH_SIGNAL")
    assert (signal["quantity"], signal["amount"]) == (5, "125.00")


def test_eh_signal_flat_is_one_unit_of_the_flat_amount():
    signal = line(invoice(contract={"signal": {"mode": "flat", "amount": "199.00"}}, users=steady(3), seats_paid_in_advance=3),
                  "EH_SIGNAL")
    assert (signal["quantity"], signal["unit_price"], signal["amount"]) == (1, "199.00", "199.00")


def test_number_cleaning_counts_numbers_active_on_at_least_one_day_of_the_period():
    numbers = [
        {"number": "+10000000001", "active_from": "2025-01-01", "active_to": None},
        {"number": "+10000000002", "active_from": "2025-01-01", "active_to": "2026-10-24"},  # ends on the first day: out
        {"number": "+10000000003", "active_from": "2025-01-01", "active_to": "2026-10-25"},  # one day: in
        {"number": "+10000000004", "active_from": "2026-11-23", "active_to": None},  # starts on the last day: in
        {"number": "+10000000005", "active_from": "2026-11-24", "active_to": None},  # after: out
        {"number": "+10000000001", "active_from": "2020-01-01", "active_to": "2021-01-01"},  # listed twice: once
    ]
    cleaning = line(invoice(contract={"number_cleaning_rate": "0.50"}, numbers=numbers), "NUMBER_CLEANING")
    assert (cleaning["quantity"], cleaning["amount"]) == (3, "1.50")


def test_only_completed_appointments_in_the_period_are_billed():
    appointments = [
        {"id": "a1", "date": "2026-10-24", "status": "completed"},
        {"id": "a2", "date": "2026-11-23", "status": "completed"},
        {"id": "a3", "date": "2026-11-01", "status": "cancelled"},
        {"id": "a4", "date": "2026-11-01", "status": "no_show"},
        {"id": "a5", "date": "2026-10-23", "status": "completed"},
        {"id": "a2", "date": "2026-11-02", "status": "completed"},  # every record counts
    ]
    billed = line(invoice(contract={"appointment_fee": "35.00"}, appointments=appointments), "APPOINTMENTS")
    assert (billed["quantity"], billed["amount"]) == (3, "105.00")


def test_transcription_is_rounded_up_once_over_the_period_not_per_call():
    calls = [call("2026-11-02", 40, transcribed=30), call("2026-11-03", 40, transcribed=30), call("2026-11-04", 40, transcribed=1)]
    ai = line(invoice(contract={"transcription_rate": "0.0200"}, users=steady(1), calls=calls), "AI_TRANSCRIPTION")
    assert (ai["quantity"], ai["amount"]) == (2, "0.04")  # 61 s -> 2 minutes, not 3


def test_licensing_is_charged_once_per_user_whose_first_span_starts_in_the_period():
    doc = invoice(seats_paid_in_advance=5, users=[*steady(2), *steady(2, "2026-11-01", prefix="n")])
    fee = line(doc, "LICENSING_FEE")
    assert (fee["quantity"], fee["unit_price"], fee["amount"]) == (2, "50.00", "100.00")


def test_absent_defaults_apply_licensing_fee_block_buffer_and_onboarding():
    contract = {k: v for k, v in {"user_fee": "150", "minimum_users": 0, "minute_rate": "0.0150", "signal": None,
                                  "number_cleaning_rate": None, "appointment_fee": None, "transcription_rate": None}.items()}
    from unit.scenario_builder import scenario
    from billing import facts_from_scenario, price_invoice
    from billing.scenario import invoice_to_json
    document = scenario()
    document["contract"] = contract
    document["users"] = steady(1, "2026-11-01")
    doc = invoice_to_json(price_invoice(facts_from_scenario(document)))
    assert line(doc, "LICENSING_FEE")["unit_price"] == "50.00"
    assert line(doc, "USER_FEE")["unit_price"] == "150"  # the contract rate as given


def test_the_total_is_the_sum_of_the_rounded_lines():
    doc = invoice(contract=ALL_ON, seats_paid_in_advance=1,
                  users=[*steady(1), *steady(2, "2026-11-10", prefix="n")], numbers=NUMBERS, appointments=APPOINTMENTS,
                  calls=CALLS)
    assert Decimal(doc["total"]) == sum(Decimal(l["amount"]) for l in doc["lines"])
    assert all(len(l["amount"].split(".")[1]) == 2 for l in doc["lines"])


@pytest.mark.parametrize(("days", "amount"), [(1, "4.84"), (14, "67.74"), (16, "77.42"), (31, "150.00")])
def test_prorated_amounts_round_half_up_once(days, amount):
    from unit.scenario_builder import user
    start = f"2026-11-{23 - days + 1:02d}" if days <= 23 else f"2026-10-{24 + 31 - days:02d}"
    doc = invoice(seats_paid_in_advance=0, users=[user("n", (start, None))])
    assert lines(doc, "PRORATED_USER_FEE")[0]["amount"] == amount

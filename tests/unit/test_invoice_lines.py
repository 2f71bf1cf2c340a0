"""Section 3 of BILLING_RULES.md: which lines an invoice has, in which order,
the optional services on and off, and money (rounded half-up once per line;
the total is the sum of the lines)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from unit.scenario_builder import (
    EVERY_SERVICE_ON,
    appointment,
    call,
    codes,
    invoice,
    line,
    lines,
    number,
    price,
    scenario,
    steady,
    user,
)

NUMBERS = [number("+13125550100")]
APPOINTMENTS = [appointment("2026-11-02")]
CALLS = [call("2026-11-02", 600, transcribed=600)]
ORDER = ["USER_FEE", "LICENSING_FEE", "PRORATED_USER_FEE", "ONBOARDING_MINUTES", "PRE_BILLED_MINUTES",
         "EH_SIGNAL", "NUMBER_CLEANING", "APPOINTMENTS", "AI_TRANSCRIPTION"]


# --- order and presence ------------------------------------------------------------------

def test_lines_appear_in_the_order_of_the_rules():
    doc = invoice(contract=EVERY_SERVICE_ON, onboarded_on="2026-11-02", users=steady(2, "2026-11-02"),
                  numbers=NUMBERS, appointments=APPOINTMENTS, calls=CALLS)
    assert codes(doc) == [*ORDER[:3], "PRORATED_USER_FEE", *ORDER[3:]]


def test_with_every_optional_service_off_only_user_fee_and_pre_billed_minutes_remain():
    doc = invoice(users=steady(2), seats_paid_in_advance=2, numbers=NUMBERS, appointments=APPOINTMENTS, calls=CALLS)
    assert codes(doc) == ["USER_FEE", "PRE_BILLED_MINUTES"]


def test_user_fee_and_pre_billed_minutes_appear_even_with_quantity_zero():
    doc = invoice(contract=EVERY_SERVICE_ON, users=[])
    assert codes(doc) == ["USER_FEE", "PRE_BILLED_MINUTES"]  # per-user signal of 0 users is left out too
    assert [(line["quantity"], line["amount"]) for line in doc["lines"]] == [(0, "0.00"), (0, "0.00")]
    assert doc["total"] == "0.00"


@pytest.mark.parametrize(("contract", "facts", "absent"), [
    ({"number_cleaning_rate": "0.50"}, {"numbers": []}, "NUMBER_CLEANING"),
    ({"number_cleaning_rate": "0.50"}, {"numbers": [number("+1555", "2026-11-24")]}, "NUMBER_CLEANING"),
    ({"appointment_fee": "35.00"}, {"appointments": []}, "APPOINTMENTS"),
    ({"appointment_fee": "35.00"}, {"appointments": [appointment("2026-11-02", "cancelled"),
                                                     appointment("2026-11-02", "no_show")]}, "APPOINTMENTS"),
    ({"transcription_rate": "0.0200"}, {"calls": [call("2026-11-02", 600, transcribed=0)]}, "AI_TRANSCRIPTION"),
    ({"transcription_rate": "0.0200"}, {"calls": [call("2026-11-24", 600, transcribed=600)]}, "AI_TRANSCRIPTION"),
    ({"signal": {"mode": "per_user", "rate": "25.00"}}, {"users": []}, "EH_SIGNAL"),
    ({}, {"users": steady(2), "seats_paid_in_advance": 2}, "LICENSING_FEE"),
    ({}, {"users": steady(2), "seats_paid_in_advance": 2}, "PRORATED_USER_FEE"),
    ({}, {"users": steady(2), "seats_paid_in_advance": 2}, "ONBOARDING_MINUTES"),
])
def test_a_line_whose_quantity_is_zero_is_left_out(contract, facts, absent):
    assert absent not in codes(invoice(contract=contract, **facts))


# --- EH_SIGNAL -----------------------------------------------------------------------------

def test_eh_signal_per_user_follows_the_user_fee_quantity_including_the_minimum():
    doc = invoice(contract={"minimum_users": 5, "signal": {"mode": "per_user", "rate": "25.00"}},
                  users=steady(3), seats_paid_in_advance=5)
    signal = line(doc, "EH_SIGNAL")
    assert (signal["quantity"], signal["unit_price"], signal["amount"]) == (5, "25.00", "125.00")


def test_eh_signal_per_user_follows_the_headcount_above_the_minimum():
    doc = invoice(contract={"minimum_users": 2, "signal": {"mode": "per_user", "rate": "25.00"}},
                  users=steady(3), seats_paid_in_advance=3)
    assert line(doc, "EH_SIGNAL")["quantity"] == line(doc, "USER_FEE")["quantity"] == 3


def test_eh_signal_flat_is_one_unit_of_the_flat_amount():
    signal = line(invoice(contract={"signal": {"mode": "flat", "amount": "199.00"}}, users=steady(3),
                          seats_paid_in_advance=3), "EH_SIGNAL")
    assert (signal["quantity"], signal["unit_price"], signal["amount"]) == (1, "199.00", "199.00")


def test_eh_signal_flat_is_billed_even_with_no_users():
    assert line(invoice(contract={"signal": {"mode": "flat", "amount": "199.00"}}), "EH_SIGNAL")["quantity"] == 1


def test_eh_signal_null_means_no_line():
    assert "EH_SIGNAL" not in codes(invoice(contract={"signal": None}, users=steady(3)))


# --- NUMBER_CLEANING -------------------------------------------------------------------------

def test_number_cleaning_counts_numbers_active_on_at_least_one_day_of_the_period():
    numbers = [
        number("+10000000001"),
        number("+10000000002", active_to="2026-10-24"),  # ends on the period's first day: not active in it
        number("+10000000003", active_to="2026-10-25"),  # active on the first day only: counted
        number("+10000000004", active_from="2026-11-23"),  # starts on the last day: counted
        number("+10000000005", active_from="2026-11-24"),  # starts after the period: not counted
        number("+10000000006", active_from="2026-11-01", active_to="2026-11-02"),  # one day inside: counted
        number("+10000000007", active_from="2026-01-01", active_to="2026-06-01"),  # long before: not counted
    ]
    cleaning = line(invoice(contract={"number_cleaning_rate": "0.50"}, numbers=numbers), "NUMBER_CLEANING")
    assert (cleaning["quantity"], cleaning["unit_price"], cleaning["amount"]) == (4, "0.50", "2.00")


def test_a_number_listed_twice_is_counted_once():
    numbers = [
        number("+10000000001"),
        number("+10000000001", active_from="2020-01-01", active_to="2021-01-01"),  # an old record of it
        number("+10000000002", active_from="2026-10-01", active_to="2026-11-01"),
        number("+10000000002", active_from="2026-11-10"),  # twice active in the period: still one number
    ]
    assert line(invoice(contract={"number_cleaning_rate": "0.50"}, numbers=numbers), "NUMBER_CLEANING")["quantity"] == 2


def test_number_cleaning_null_means_no_line():
    assert "NUMBER_CLEANING" not in codes(invoice(contract={"number_cleaning_rate": None}, numbers=NUMBERS))


# --- APPOINTMENTS ----------------------------------------------------------------------------

def test_only_completed_appointments_in_the_period_are_billed():
    appointments = [
        appointment("2026-10-24", ident="a1"),  # first day: in
        appointment("2026-11-23", ident="a2"),  # last day: in
        appointment("2026-11-01", "cancelled", ident="a3"),
        appointment("2026-11-01", "no_show", ident="a4"),
        appointment("2026-10-23", ident="a5"),  # the day before: out
        appointment("2026-11-24", ident="a6"),  # the day after: out
        appointment("2026-11-02", ident="a2"),  # every record counts, even with a repeated id
    ]
    billed = line(invoice(contract={"appointment_fee": "35.00"}, appointments=appointments), "APPOINTMENTS")
    assert (billed["quantity"], billed["unit_price"], billed["amount"]) == (3, "35.00", "105.00")
    assert "2 cancelled or no-show not billed" in billed["description"]


def test_appointments_null_means_no_line():
    assert "APPOINTMENTS" not in codes(invoice(contract={"appointment_fee": None}, appointments=APPOINTMENTS))


# --- AI_TRANSCRIPTION ------------------------------------------------------------------------

def test_transcription_is_rounded_up_once_over_the_period_not_per_call():
    calls = [call("2026-11-02", 40, transcribed=30), call("2026-11-03", 40, transcribed=30),
             call("2026-11-04", 40, transcribed=1)]
    ai = line(invoice(contract={"transcription_rate": "0.0200"}, users=steady(1), calls=calls), "AI_TRANSCRIPTION")
    assert (ai["quantity"], ai["unit_price"], ai["amount"]) == (2, "0.0200", "0.04")  # 61 s -> 2 minutes, not 3


def test_transcription_counts_calls_started_in_the_period_only():
    calls = [call("2026-10-23", 600, transcribed=600), call("2026-10-24", 60, transcribed=60),
             call("2026-11-23", 60, transcribed=60), call("2026-11-24", 600, transcribed=600)]
    assert line(invoice(contract={"transcription_rate": "0.0200"}, calls=calls), "AI_TRANSCRIPTION")["quantity"] == 2


def test_transcription_null_means_no_line():
    assert "AI_TRANSCRIPTION" not in codes(invoice(contract={"transcription_rate": None}, calls=CALLS))


# --- every optional service on and off ----------------------------------------------------------

@pytest.mark.parametrize("service", ["signal", "number_cleaning_rate", "appointment_fee", "transcription_rate"])
def test_switching_one_service_off_removes_only_its_line(service):
    facts = {"users": steady(2), "seats_paid_in_advance": 2, "numbers": NUMBERS, "appointments": APPOINTMENTS,
             "calls": CALLS}
    on = invoice(contract=EVERY_SERVICE_ON, **facts)
    off = invoice(contract={**EVERY_SERVICE_ON, service: None}, **facts)
    removed = {"signal": "EH_SIGNAL", "number_cleaning_rate": "NUMBER_CLEANING", "appointment_fee": "APPOINTMENTS",
               "transcription_rate": "AI_TRANSCRIPTION"}[service]
    assert codes(on) == ["USER_FEE", "PRE_BILLED_MINUTES", "EH_SIGNAL", "NUMBER_CLEANING", "APPOINTMENTS",
                         "AI_TRANSCRIPTION"]
    assert codes(off) == [code for code in codes(on) if code != removed]
    assert [line for line in off["lines"]] == [line for line in on["lines"] if line["code"] != removed]
    assert Decimal(on["total"]) - Decimal(off["total"]) == Decimal(line(on, removed)["amount"])


# --- LICENSING_FEE and the defaults ----------------------------------------------------------------

@pytest.mark.parametrize("how", ["absent", "null"])
def test_absent_or_null_defaulted_fields_take_the_documented_defaults(how):
    document = scenario(users=[*steady(1), user("n01", ("2026-11-01", None))], seats_paid_in_advance=1,
                        calls=[call("2026-11-02", 3100 * 60)])
    for key in ("licensing_fee", "minute_block", "replenish_buffer_pct", "onboarding_minutes_per_user"):
        if how == "absent":
            del document["contract"][key]
        else:
            document["contract"][key] = None
    doc = price(document)
    assert line(doc, "LICENSING_FEE")["unit_price"] == "50.00"
    # 3100 min / 54 user-days x 2 users x 30 days = 3444.44 -> 3445, no buffer; bank -3100; 6545 -> 6600 in blocks of 100
    assert doc["minute_bank"]["projected_usage"] == 3445
    assert line(doc, "PRE_BILLED_MINUTES")["quantity"] == 6600


def test_licensing_fee_is_configurable():
    doc = invoice(contract={"licensing_fee": "75"}, seats_paid_in_advance=5, users=steady(2, "2026-11-01"))
    fee = line(doc, "LICENSING_FEE")
    assert (fee["quantity"], fee["unit_price"], fee["amount"]) == (2, "75", "150.00")


def test_unit_price_is_the_contract_rate_as_given():
    doc = invoice(contract={"user_fee": "150", "minute_rate": "0.0150"}, users=steady(1), seats_paid_in_advance=1)
    assert line(doc, "USER_FEE")["unit_price"] == "150" and line(doc, "USER_FEE")["amount"] == "150.00"
    assert line(doc, "PRE_BILLED_MINUTES")["unit_price"] == "0.0150"


def test_only_prorated_lines_name_a_user():
    doc = invoice(contract=EVERY_SERVICE_ON, onboarded_on="2026-11-02", users=steady(2, "2026-11-02"),
                  numbers=NUMBERS, appointments=APPOINTMENTS, calls=CALLS)
    for entry in doc["lines"]:
        assert ("user" in entry) == (entry["code"] == "PRORATED_USER_FEE")
        assert set(entry) - {"user"} == {"code", "quantity", "unit_price", "amount", "description"}
        assert isinstance(entry["quantity"], int) and entry["description"]


# --- money -------------------------------------------------------------------------------------

def test_the_total_is_the_sum_of_the_rounded_lines():
    doc = invoice(contract=EVERY_SERVICE_ON, seats_paid_in_advance=1,
                  users=[*steady(1), *steady(2, "2026-11-10", prefix="n")], numbers=NUMBERS, appointments=APPOINTMENTS,
                  calls=CALLS)
    assert Decimal(doc["total"]) == sum(Decimal(line["amount"]) for line in doc["lines"])
    assert all(len(line["amount"].split(".")[1]) == 2 for line in doc["lines"])


def test_the_total_adds_rounded_lines_not_unrounded_amounts():
    # 150 x 28 / 31 = 135.4838...: each line rounds to 135.48. Three of them add up to 406.44,
    # while rounding their exact sum (406.4516...) would give 406.45.
    doc = invoice(seats_paid_in_advance=0, users=[user(f"n{i}", ("2026-10-27", None)) for i in range(3)])
    assert [line["amount"] for line in lines(doc, "PRORATED_USER_FEE")] == ["135.48"] * 3
    assert doc["total"] == "1006.44"  # 3 x 150.00 USER_FEE + 3 x 50.00 licensing + 406.44 + 0.00 minutes


@pytest.mark.parametrize(("days", "amount"), [(1, "4.84"), (14, "67.74"), (16, "77.42"), (31, "150.00")])
def test_prorated_amounts_round_half_up_once(days, amount):
    start = f"2026-11-{23 - days + 1:02d}" if days <= 23 else f"2026-10-{24 + 31 - days:02d}"
    doc = invoice(seats_paid_in_advance=0, users=[user("n", (start, None))])
    assert lines(doc, "PRORATED_USER_FEE")[0]["amount"] == amount


def test_a_prorated_half_cent_rounds_up():
    # 28-day period, 14 days of a 0.01 fee: exactly 0.005 -> 0.01 (half-even would give 0.00).
    doc = invoice(cycle="2026-03", contract={"user_fee": "0.01"}, seats_paid_in_advance=0,
                  users=[user("n", ("2026-03-10", None))])
    assert lines(doc, "PRORATED_USER_FEE")[0]["amount"] == "0.01"


@pytest.mark.parametrize(("count", "amount"), [(1, "0.01"), (3, "0.02"), (5, "0.03")])
def test_a_line_is_rounded_once_not_unit_by_unit(count, amount):
    # 0.005 per number: 1 -> 0.005 -> 0.01; 3 -> 0.015 -> 0.02 (not 3 x 0.01); 5 -> 0.025 -> 0.03.
    numbers = [number(f"+1000000000{i}") for i in range(count)]
    cleaning = line(invoice(contract={"number_cleaning_rate": "0.005"}, numbers=numbers), "NUMBER_CLEANING")
    assert cleaning["amount"] == amount


def test_four_decimal_rates_are_kept_exactly():
    doc = invoice(contract={"transcription_rate": "0.0175"}, calls=[call("2026-11-02", 60, transcribed=60 * 999)])
    ai = line(doc, "AI_TRANSCRIPTION")
    assert (ai["quantity"], ai["unit_price"], ai["amount"]) == (999, "0.0175", "17.48")  # 17.4825


def test_a_rate_with_many_digits_is_multiplied_exactly_before_the_one_rounding():
    # 3 x 0.00499999999999999999999999999999 = 0.01499999999999999999999999999997 -> 0.01.
    # Rounding the product to 28 significant digits first gives 0.01500... and then 0.02: rounded twice.
    numbers = [number(f"+1000000000{i}") for i in range(3)]
    doc = invoice(contract={"number_cleaning_rate": "0.00499999999999999999999999999999"}, numbers=numbers)
    assert line(doc, "NUMBER_CLEANING")["amount"] == "0.01"

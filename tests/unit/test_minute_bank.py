"""ONBOARDING_MINUTES and PRE_BILLED_MINUTES (section 3): minutes used, the
bank, the usage rate per user-day, the projection and the replenishment.

Default cycle 2026-11: closed period 31 days, advance period 30 days. One
steady user gives 31 user-days and a headcount of 1, so ``3100 min`` used is
a rate of 100 per user-day and a projection of 3000 minutes."""

from __future__ import annotations

from fractions import Fraction

import pytest
from unit.scenario_builder import (
    bank,
    call,
    codes,
    history,
    invoice,
    line,
    price,
    scenario,
    steady,
    user,
)

from billing import Cycle, PeriodUsage
from billing.minute_bank import round_up_to_block, usage_rate
from billing.usage import billable_minutes

ONE_USER = steady(1)
HUNDRED_A_DAY = [call("2026-11-02", 3100 * 60)]  # 3100 min over 31 user-days


def _bank(**kw):
    doc = invoice(**kw)
    return doc["minute_bank"], line(doc, "PRE_BILLED_MINUTES")


# --- minutes used -----------------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "minutes"), [(0, 0), (1, 1), (59, 1), (60, 1), (61, 2), (3600, 60), (3601, 61)])
def test_each_call_is_rounded_up_to_a_whole_minute(seconds, minutes):
    assert billable_minutes(seconds) == minutes
    minute_bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", seconds)])
    assert minute_bank["minutes_used"] == minutes


def test_calls_of_0_59_60_and_61_seconds_use_0_1_1_and_2_minutes():
    minute_bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", s) for s in (0, 59, 60, 61)])
    assert minute_bank["minutes_used"] == 4


def test_calls_are_rounded_one_by_one_not_over_the_period():
    minute_bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", 30), call("2026-11-03", 30)])
    assert minute_bank["minutes_used"] == 2


def test_calls_dated_outside_the_closed_period_are_not_used():
    minute_bank, _ = _bank(users=ONE_USER, calls=[call("2026-10-23", 600), call("2026-10-24", 60),
                                                  call("2026-11-23", 60), call("2026-11-24", 600)])
    assert minute_bank["minutes_used"] == 2


def test_calls_count_whoever_made_them():
    minute_bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", 120, who="nobody-we-know")])
    assert minute_bank["minutes_used"] == 2


# --- the bank -------------------------------------------------------------------------------

def test_closing_balance_is_carried_plus_credited_minus_used():
    minute_bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", 1000 * 60)], minute_bank=bank(8000, 30000))
    assert minute_bank["closing_balance"] == 8000 + 30000 - 1000


def test_negative_bank_deficit_is_part_of_the_replenishment():
    minute_bank, _ = _bank(users=ONE_USER, calls=HUNDRED_A_DAY, minute_bank=bank(-400, 1000))
    assert minute_bank["closing_balance"] == -400 + 1000 - 3100 == -2500
    assert minute_bank["replenishment"] == 3000 + 2500


def test_a_bank_above_the_target_needs_no_replenishment():
    minute_bank, pre = _bank(users=ONE_USER, calls=HUNDRED_A_DAY, minute_bank=bank(9000))
    assert minute_bank["closing_balance"] == 5900 and minute_bank["replenishment"] == 0
    assert (pre["quantity"], pre["amount"]) == (0, "0.00")  # the line is still there
    assert "nothing to replenish" in pre["description"]


# --- the usage rate -------------------------------------------------------------------------

def test_with_no_history_the_rate_comes_from_the_closed_period_alone():
    minute_bank, pre = _bank(users=ONE_USER, calls=HUNDRED_A_DAY)
    assert minute_bank["projected_usage"] == 3000  # 100 per user-day x 1 user x 30 days
    assert (minute_bank["closing_balance"], minute_bank["replenishment"]) == (-3100, 6100)
    assert (pre["quantity"], pre["unit_price"], pre["amount"]) == (6100, "0.0150", "91.50")


def test_with_no_user_days_at_all_the_rate_is_zero_but_a_deficit_is_still_replenished():
    minute_bank, pre = _bank(users=[], calls=[call("2026-11-02", 250 * 60, who="gone")])
    assert minute_bank["projected_usage"] == 0
    assert minute_bank["closing_balance"] == -250 and minute_bank["replenishment"] == 300  # in blocks of 100
    assert pre["amount"] == "4.50"


def test_with_no_user_days_and_no_deficit_nothing_is_replenished():
    minute_bank, pre = _bank(users=[], minute_bank=bank(500))
    assert minute_bank["projected_usage"] == 0 and minute_bank["replenishment"] == 0
    assert (pre["quantity"], pre["amount"]) == (0, "0.00")


def test_history_periods_with_zero_user_days_are_skipped():
    minute_bank, _ = _bank(users=ONE_USER, calls=HUNDRED_A_DAY, usage_history=[
        history("2026-10", 99999, 0),
        history("2026-09", 3100, 31),
        history("2026-08", 6200, 62),
    ])
    assert minute_bank["projected_usage"] == 3000  # (3100 + 3100 + 6200) / (31 + 31 + 62) = 100


def test_only_the_two_most_recent_earlier_periods_count():
    minute_bank, _ = _bank(users=ONE_USER, calls=HUNDRED_A_DAY, usage_history=[
        history("2026-07", 900000, 31),
        history("2026-09", 6200, 31),
        history("2026-10", 0, 31),
    ])
    assert minute_bank["projected_usage"] == 3000  # (3100 + 0 + 6200) / 93 = 100


def test_history_may_come_in_any_order():
    entries = [history("2026-10", 0, 31), history("2026-07", 900000, 31), history("2026-09", 6200, 31)]
    forward, _ = _bank(users=ONE_USER, calls=HUNDRED_A_DAY, usage_history=entries)
    backward, _ = _bank(users=ONE_USER, calls=HUNDRED_A_DAY, usage_history=entries[::-1])
    assert forward == backward and forward["projected_usage"] == 3000


def test_history_entries_at_or_after_the_cycle_are_ignored():
    minute_bank, _ = _bank(users=ONE_USER, calls=HUNDRED_A_DAY, usage_history=[
        history("2026-11", 900000, 31),
        history("2026-12", 900000, 31),
        history("2027-05", 900000, 31),
    ])
    assert minute_bank["projected_usage"] == 3000


def test_a_closed_period_without_user_days_leaves_the_rate_to_history():
    rate = usage_rate(PeriodUsage(Cycle.parse("2026-11"), 500, 0), [
        PeriodUsage(Cycle.parse("2026-10"), 3000, 30),
        PeriodUsage(Cycle.parse("2026-09"), 0, 0),
        PeriodUsage(Cycle.parse("2026-08"), 1000, 20),
        PeriodUsage(Cycle.parse("2026-07"), 99999, 1),
    ])
    assert rate.periods == (Cycle.parse("2026-10"), Cycle.parse("2026-08"))
    assert rate.per_user_day == Fraction(4000, 50)


def test_the_rate_is_exact_three_periods_of_the_worked_example():
    rate = usage_rate(PeriodUsage(Cycle.parse("2026-11"), 33250, 384), [
        PeriodUsage(Cycle.parse("2026-09"), 30000, 372), PeriodUsage(Cycle.parse("2026-10"), 31000, 360)])
    assert rate.per_user_day == Fraction(94250, 1116)
    assert rate.per_user_day * 14 * 30 == Fraction(94250 * 14 * 30, 1116)  # 35,470.43, never a float


def test_the_rate_stays_exact_until_the_final_ceiling():
    # 1000 min / 3 user-days x 1 user x 30 days = 10,000 exactly, never 9,999.999... or 10,001
    minute_bank, _ = _bank(users=[user("u1", ("2026-11-21", None))], seats_paid_in_advance=1,
                           calls=[call("2026-11-21", 1000 * 60)])
    assert minute_bank["projected_usage"] == 10000


# --- the projection ----------------------------------------------------------------------

def test_projection_uses_the_headcount_at_cutoff_not_the_user_days():
    # Two users all period, one of them leaves on the 23rd: 62 - 1 user-days, headcount 1.
    users = [*steady(1), user("x01", ("2025-01-10", "2026-11-23"))]
    minute_bank, _ = _bank(users=users, calls=[call("2026-11-02", 61 * 60)])
    assert minute_bank["projected_usage"] == 30  # 61 / 61 x 1 user x 30 days


@pytest.mark.parametrize(("cycle", "advance_days"), [("2026-02", 28), ("2028-02", 29), ("2026-11", 30), ("2026-12", 31)])
def test_projection_covers_the_advance_period_length(cycle, advance_days):
    closed_days = invoice(cycle=cycle)["closed_period"]["days"]
    doc = invoice(cycle=cycle, users=ONE_USER, calls=[call(f"{cycle}-02", 100 * closed_days * 60)])
    assert doc["advance_period"]["days"] == advance_days
    assert doc["minute_bank"]["projected_usage"] == 100 * advance_days


def test_projected_usage_is_rounded_up_to_a_whole_minute():
    minute_bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", 1000 * 60)])
    assert minute_bank["projected_usage"] == 968  # 1000 / 31 x 30 = 967.74


# --- buffer and block ---------------------------------------------------------------------

def test_buffer_raises_the_target_but_not_the_projection():
    minute_bank, pre = _bank(contract={"replenish_buffer_pct": "10"}, users=ONE_USER, calls=HUNDRED_A_DAY,
                             minute_bank=bank(3100))
    assert minute_bank["projected_usage"] == 3000 and minute_bank["closing_balance"] == 0
    assert minute_bank["replenishment"] == 3300
    assert "10% buffer" in pre["description"]


def test_buffer_applies_to_the_exact_projection_not_the_rounded_one():
    # 3130 min / 31 user-days x 30 days = 3029.03 (shown as 3030); x 1.1 = 3331.94 -> 3332, not 3030 x 1.1 = 3333.
    minute_bank, _ = _bank(contract={"replenish_buffer_pct": "10", "minute_block": 1}, users=ONE_USER,
                           calls=[call("2026-11-02", 3130 * 60)], minute_bank=bank(3130))
    assert (minute_bank["projected_usage"], minute_bank["closing_balance"]) == (3030, 0)
    assert minute_bank["replenishment"] == 3332


def test_a_fractional_buffer_is_exact():
    minute_bank, _ = _bank(contract={"replenish_buffer_pct": "12.5", "minute_block": 1}, users=ONE_USER,
                           calls=HUNDRED_A_DAY, minute_bank=bank(3100))
    assert minute_bank["replenishment"] == 3375  # 3000 x 1.125


@pytest.mark.parametrize(("balance", "block", "replenishment"), [
    (3100, 100, 3000),  # needs exactly 3000: already a multiple
    (3099, 100, 3100),  # needs 3001: one more block
    (3099, 500, 3500),
    (3099, 1, 3001),
    (6099, 100, 100),  # needs 1: a whole block
    (6100, 100, 0),
])
def test_replenishment_is_rounded_up_to_the_block(balance, block, replenishment):
    minute_bank, pre = _bank(contract={"minute_block": block}, users=ONE_USER, calls=HUNDRED_A_DAY,
                             minute_bank=bank(balance))
    assert minute_bank["replenishment"] == replenishment == pre["quantity"]


def test_round_up_to_block():
    assert [round_up_to_block(m, 100) for m in (0, 1, 99, 100, 101)] == [0, 100, 100, 100, 200]


def test_pre_billed_amount_is_minutes_times_the_rate_rounded_half_up_once():
    _, pre = _bank(contract={"minute_rate": "0.00125"}, users=ONE_USER, minute_bank=bank(-1))
    assert (pre["quantity"], pre["amount"]) == (100, "0.13")  # 0.125 rounds up


# --- onboarding ---------------------------------------------------------------------------

def test_onboarding_credits_2500_minutes_per_user_active_on_the_onboarding_date():
    doc = invoice(onboarded_on="2026-11-02", users=[
        user("o1", ("2026-11-02", None)), user("o2", ("2026-11-02", None)), user("o3", ("2026-11-09", None))],
        calls=[call("2026-11-05", 600 * 60, who="o1")])
    onboarding = line(doc, "ONBOARDING_MINUTES")
    assert (onboarding["quantity"], onboarding["unit_price"], onboarding["amount"]) == (5000, "0.0150", "75.00")
    assert doc["minute_bank"]["closing_balance"] == 5000 - 600


@pytest.mark.parametrize("absent", [True, False])
def test_onboarding_minutes_per_user_default_to_2500_when_absent_or_null(absent):
    document = scenario(onboarded_on="2026-11-02", users=[user("o1", ("2026-11-02", None))])
    if absent:
        del document["contract"]["onboarding_minutes_per_user"]
    else:
        document["contract"]["onboarding_minutes_per_user"] = None
    assert line(price(document), "ONBOARDING_MINUTES")["quantity"] == 2500


def test_onboarding_minutes_per_user_is_configurable():
    doc = invoice(onboarded_on="2026-11-02", contract={"onboarding_minutes_per_user": 1000},
                  users=[user("o1", ("2026-11-02", None)), user("o2", ("2026-11-02", None))])
    assert line(doc, "ONBOARDING_MINUTES")["quantity"] == 2000


def test_no_onboarding_line_when_nobody_is_active_on_the_onboarding_date():
    doc = invoice(onboarded_on="2026-11-02", users=[user("o1", ("2026-11-03", None))])
    assert "ONBOARDING_MINUTES" not in codes(doc)


def test_no_onboarding_line_when_onboarding_minutes_per_user_is_zero():
    doc = invoice(onboarded_on="2026-11-02", contract={"onboarding_minutes_per_user": 0},
                  users=[user("o1", ("2026-11-02", None))])
    assert "ONBOARDING_MINUTES" not in codes(doc)


@pytest.mark.parametrize("onboarded_on", ["2026-10-23", "2026-11-24"])
def test_onboarding_minutes_appear_only_on_the_invoice_whose_period_holds_the_onboarding_date(onboarded_on):
    doc = invoice(onboarded_on=onboarded_on, users=[user("o1", ("2026-10-23", None))])
    assert "ONBOARDING_MINUTES" not in codes(doc)


@pytest.mark.parametrize("onboarded_on", ["2026-10-24", "2026-11-23"])
def test_onboarding_on_the_first_or_last_day_of_the_period_is_credited(onboarded_on):
    doc = invoice(onboarded_on=onboarded_on, users=[user("o1", (onboarded_on, None))])
    assert line(doc, "ONBOARDING_MINUTES")["quantity"] == 2500
    assert doc["minute_bank"]["closing_balance"] == 2500

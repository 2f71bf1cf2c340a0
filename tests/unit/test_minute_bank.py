"""PRE_BILLED_MINUTES and ONBOARDING_MINUTES: the bank, the usage rate,
the projection and the replenishment."""

from __future__ import annotations

from unit.scenario_builder import call, invoice, line, steady, user

ONE_USER = steady(1)  # 31 user-days in the closed period of 2026-11


def _bank(**kw):
    doc = invoice(**kw)
    return doc["minute_bank"], line(doc, "PRE_BILLED_MINUTES")


def test_calls_are_rounded_up_to_whole_minutes_each():
    bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", s) for s in (0, 59, 60, 61)])
    assert bank["minutes_used"] == 0 + 1 + 1 + 2


def test_calls_dated_outside_the_closed_period_are_not_used():
    bank, _ = _bank(users=ONE_USER, calls=[call("2026-10-23", 600), call("2026-10-24", 60), call("2026-11-23", 60),
                                            call("2026-11-24", 600)])
    assert bank["minutes_used"] == 2


def test_calls_count_whoever_made_them():
    bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", 120, who="nobody-we-know")])
    assert bank["minutes_used"] == 2


def test_with_no_history_the_rate_comes_from_the_closed_period_alone():
    bank, pre = _bank(users=ONE_USER, calls=[call("2026-11-02", 3100 * 60)])
    # 3100 min / 31 user-days = 100 per user-day x 1 user x 30 days
    assert bank["projected_usage"] == 3000
    assert (bank["closing_balance"], bank["replenishment"]) == (-3100, 6100)
    assert (pre["quantity"], pre["amount"]) == (6100, "91.50")


def test_with_no_user_days_at_all_the_rate_is_zero():
    bank, pre = _bank(users=[], minute_bank={"balance_at_previous_cutoff": 500, "credited_at_period_start": 0})
    assert bank["projected_usage"] == 0 and bank["replenishment"] == 0
    assert (pre["quantity"], pre["amount"]) == (0, "0.00")  # the line is still there


def test_history_periods_with_zero_user_days_are_skipped():
    bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", 3100 * 60)], usage_history=[
        {"cycle": "2026-10", "minutes_used": 99999, "user_days": 0},
        {"cycle": "2026-09", "minutes_used": 3100, "user_days": 31},
        {"cycle": "2026-08", "minutes_used": 6200, "user_days": 62},
    ])
    assert bank["projected_usage"] == 3000  # (3100 + 3100 + 6200) / (31 + 31 + 62) = 100


def test_only_the_two_most_recent_earlier_periods_count():
    bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", 3100 * 60)], usage_history=[
        {"cycle": "2026-07", "minutes_used": 900000, "user_days": 31},
        {"cycle": "2026-09", "minutes_used": 6200, "user_days": 31},
        {"cycle": "2026-10", "minutes_used": 0, "user_days": 31},
    ])
    assert bank["projected_usage"] == 3000  # (3100 + 0 + 6200) / 93 = 100


def test_history_at_or_after_the_cycle_is_ignored():
    bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", 3100 * 60)], usage_history=[
        {"cycle": "2026-11", "minutes_used": 900000, "user_days": 31},
        {"cycle": "2026-12", "minutes_used": 900000, "user_days": 31},
    ])
    assert bank["projected_usage"] == 3000


def test_the_rate_stays_exact_until_the_final_ceiling():
    # 1000 min / 3 user-days x 1 user x 30 days = 10,000 exactly, never 9,999.999...
    bank, _ = _bank(users=[user("u1", ("2026-11-21", None))], seats_paid_in_advance=1, calls=[call("2026-11-21", 1000 * 60)])
    assert bank["projected_usage"] == 10000


def test_negative_bank_deficit_is_part_of_the_replenishment():
    bank, _ = _bank(users=ONE_USER, calls=[call("2026-11-02", 3100 * 60)],
                    minute_bank={"balance_at_previous_cutoff": -400, "credited_at_period_start": 1000})
    assert bank["closing_balance"] == -400 + 1000 - 3100
    assert bank["replenishment"] == 3000 + 2500


def test_buffer_raises_the_target_but_not_the_projection():
    bank, pre = _bank(contract={"replenish_buffer_pct": "10"}, users=ONE_USER, calls=[call("2026-11-02", 3100 * 60)],
                      minute_bank={"balance_at_previous_cutoff": 3100, "credited_at_period_start": 0})
    assert bank["projected_usage"] == 3000 and bank["closing_balance"] == 0
    assert bank["replenishment"] == 3300
    assert "10% buffer" in pre["description"]


def test_replenishment_is_rounded_up_to_the_block():
    bank, _ = _bank(contract={"minute_block": 500}, users=ONE_USER, calls=[call("2026-11-02", 3100 * 60)],
                    minute_bank={"balance_at_previous_cutoff": 3099, "credited_at_period_start": 0})
    assert bank["closing_balance"] == -1 and bank["replenishment"] == 3500  # needs 3001


def test_a_bank_above_the_target_needs_no_replenishment():
    bank, pre = _bank(users=ONE_USER, calls=[call("2026-11-02", 3100 * 60)],
                      minute_bank={"balance_at_previous_cutoff": 9000, "credited_at_period_start": 0})
    assert bank["replenishment"] == 0 and pre["amount"] == "0.00"
    assert "nothing to replenish" in pre["description"]


def test_onboarding_credits_2500_minutes_per_user_active_on_the_onboarding_date():
    doc = invoice(onboarded_on="2026-11-02", users=[
        user("o1", ("2026-11-02", None)), user("o2", ("2026-11-02", None)), user("o3", ("2026-11-09", None))],
        calls=[call("2026-11-05", 600 * 60, who="o1")])
    onboarding = line(doc, "ONBOARDING_MINUTES")
    assert (onboarding["quantity"], onboarding["unit_price"], onboarding["amount"]) == (5000, "0.0150", "75.00")
    assert doc["minute_bank"]["closing_balance"] == 5000 - 600


def test_onboarding_minutes_appear_only_in_the_onboarding_period():
    doc = invoice(onboarded_on="2026-10-23", users=[user("o1", ("2026-10-23", None))])
    assert "ONBOARDING_MINUTES" not in [l["code"] for l in doc["lines"]]

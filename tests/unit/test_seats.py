"""Section 2 and PRORATED_USER_FEE / USER_FEE / LICENSING_FEE of section 3:
headcount, seat reuse and proration."""

from __future__ import annotations

from unit.scenario_builder import invoice, line, lines, steady, user


def _prorated(document):
    return [(l["user"], l["quantity"], l["amount"]) for l in lines(document, "PRORATED_USER_FEE")]


def test_freed_seat_is_reused_without_proration():
    doc = invoice(seats_paid_in_advance=2, users=[
        user("s01", ("2025-01-10", None)), user("s02", ("2025-01-10", "2026-11-02")), user("n01", ("2026-11-05", None))])
    assert _prorated(doc) == []
    assert line(doc, "LICENSING_FEE")["quantity"] == 1  # n01 is new, so licensed


def test_activation_beyond_the_paid_seats_is_prorated_to_the_end_of_the_period():
    doc = invoice(seats_paid_in_advance=2, users=[*steady(2), user("n01", ("2026-11-10", None))])
    assert _prorated(doc) == [("n01", 14, "67.74")]  # 150 x 14 / 31


def test_deactivation_is_applied_before_activation_on_the_same_day():
    doc = invoice(seats_paid_in_advance=2, users=[
        user("s01", ("2025-01-10", None)), user("s02", ("2025-01-10", "2026-11-05")), user("n01", ("2026-11-05", None))])
    assert _prorated(doc) == []


def test_activation_on_the_first_day_of_the_period_is_prorated_for_all_its_days():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(1), user("n01", ("2026-10-24", None))])
    assert _prorated(doc) == [("n01", 31, "150.00")]


def test_activation_on_the_last_day_of_the_period_is_prorated_one_day():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(1), user("n01", ("2026-11-23", None))])
    assert _prorated(doc) == [("n01", 1, "4.84")]


def test_activation_after_the_cutoff_belongs_to_the_next_period():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(1), user("n01", ("2026-11-24", None))])
    assert _prorated(doc) == [] and doc["headcount_at_cutoff"] == 1
    assert not lines(doc, "LICENSING_FEE")


def test_user_deactivated_on_the_24th_is_still_active_at_cutoff():
    doc = invoice(seats_paid_in_advance=2, users=[*steady(1), user("x01", ("2025-01-10", "2026-11-24"))])
    assert doc["headcount_at_cutoff"] == 2 and line(doc, "USER_FEE")["quantity"] == 2


def test_user_deactivated_on_the_23rd_is_not_active_at_cutoff():
    doc = invoice(seats_paid_in_advance=2, users=[*steady(1), user("x01", ("2025-01-10", "2026-11-23"))])
    assert doc["headcount_at_cutoff"] == 1


def test_prorated_days_run_to_the_period_end_even_if_the_user_left_again():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(1), user("n01", ("2026-11-10", "2026-11-12"))])
    assert _prorated(doc) == [("n01", 14, "67.74")]


def test_returning_user_pays_no_second_licensing_fee():
    doc = invoice(seats_paid_in_advance=1, users=[
        *steady(1), user("r01", ("2025-01-10", "2026-03-01"), ("2026-11-05", None))])
    assert not lines(doc, "LICENSING_FEE")
    assert _prorated(doc) == [("r01", 19, "91.94")]  # still needs a seat: 150 x 19 / 31 = 91.935...


def test_user_who_comes_goes_and_comes_back_can_be_prorated_twice():
    doc = invoice(seats_paid_in_advance=1, users=[
        *steady(1),
        user("n01", ("2026-10-27", "2026-11-01"), ("2026-11-10", None)),
        user("x01", ("2026-11-03", None)),  # takes the seat n01 freed
    ])
    assert _prorated(doc) == [("n01", 28, "135.48"), ("n01", 14, "67.74")]
    assert line(doc, "LICENSING_FEE")["quantity"] == 2  # n01 once, x01 once


def test_seats_under_the_minimum_are_never_prorated():
    doc = invoice(contract={"minimum_users": 10}, seats_paid_in_advance=10,
                  users=[*steady(6), user("n01", ("2026-11-02", None)), user("n02", ("2026-11-20", None))])
    assert _prorated(doc) == []
    fee = line(doc, "USER_FEE")
    assert (fee["quantity"], fee["amount"]) == (10, "1500.00")
    assert "minimum 10 applied; 8 active" in fee["description"]


def test_user_fee_is_the_headcount_when_above_the_minimum():
    doc = invoice(contract={"minimum_users": 3}, seats_paid_in_advance=5, users=steady(5))
    assert line(doc, "USER_FEE")["quantity"] == 5


def test_user_fee_always_appears_even_with_nobody():
    doc = invoice(users=[])
    fee = line(doc, "USER_FEE")
    assert (fee["quantity"], fee["amount"]) == (0, "0.00")


def test_in_the_onboarding_period_nothing_was_paid_so_every_activation_is_prorated():
    doc = invoice(onboarded_on="2026-11-02", seats_paid_in_advance=0, users=[
        user("o1", ("2026-11-02", None)), user("o2", ("2026-11-02", None)), user("o3", ("2026-11-09", None))])
    assert _prorated(doc) == [("o1", 22, "106.45"), ("o2", 22, "106.45"), ("o3", 15, "72.58")]
    assert line(doc, "LICENSING_FEE")["quantity"] == 3


def test_user_ids_compare_as_plain_strings_in_the_walk():
    doc = invoice(seats_paid_in_advance=0, users=[user("u2", ("2026-11-05", None)), user("u10", ("2026-11-05", None))])
    assert [l["user"] for l in lines(doc, "PRORATED_USER_FEE")] == ["u10", "u2"]


def test_prorated_lines_appear_in_walk_order_date_then_user():
    doc = invoice(seats_paid_in_advance=0, users=[
        user("a", ("2026-11-09", None)), user("b", ("2026-11-01", None)), user("c", ("2026-11-01", None))])
    assert [l["user"] for l in lines(doc, "PRORATED_USER_FEE")] == ["b", "c", "a"]

"""Section 2 and USER_FEE / LICENSING_FEE / PRORATED_USER_FEE of section 3:
who is active, headcount at cutoff, the seat-reuse walk and proration.

Default cycle 2026-11: closed period 2026-10-24..2026-11-23 (N = 31)."""

from __future__ import annotations

from datetime import date

import pytest
from unit.scenario_builder import invoice, line, lines, prorated, steady, user

from billing import AccessSpan, Cycle, User
from billing.seats import headcount_on, user_days, walk_seats

# --- access spans and headcount ------------------------------------------------------

def test_a_span_is_active_from_its_first_day_up_to_the_day_before_to():
    span = AccessSpan(date(2026, 11, 5), date(2026, 11, 10))
    assert [span.is_active_on(date(2026, 11, d)) for d in (4, 5, 9, 10)] == [False, True, True, False]
    assert AccessSpan(date(2026, 11, 5)).is_active_on(date(2099, 1, 1))


def test_user_deactivated_on_the_24th_is_still_active_at_cutoff():
    doc = invoice(seats_paid_in_advance=2, users=[*steady(1), user("x01", ("2025-01-10", "2026-11-24"))])
    assert doc["headcount_at_cutoff"] == 2 and line(doc, "USER_FEE")["quantity"] == 2


def test_user_deactivated_on_the_23rd_is_not_active_at_cutoff():
    doc = invoice(seats_paid_in_advance=2, users=[*steady(1), user("x01", ("2025-01-10", "2026-11-23"))])
    assert doc["headcount_at_cutoff"] == 1 and line(doc, "USER_FEE")["quantity"] == 1


def test_user_activated_on_the_24th_belongs_to_the_next_period():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(1), user("n01", ("2026-11-24", None))])
    assert prorated(doc) == [] and doc["headcount_at_cutoff"] == 1
    assert not lines(doc, "LICENSING_FEE")


def test_user_days_sum_the_active_users_of_every_day():
    users = [
        User("a", (AccessSpan(date(2025, 1, 1)),)),  # 31 days
        User("b", (AccessSpan(date(2026, 11, 20), date(2026, 11, 22)),)),  # 20th and 21st: 2 days
        User("c", (AccessSpan(date(2026, 10, 1), date(2026, 10, 25)), AccessSpan(date(2026, 11, 23)))),  # 24th + 23rd
        User("d", (AccessSpan(date(2026, 11, 24)),)),  # after the period: 0
    ]
    period = Cycle.parse("2026-11").closed_period
    assert user_days(users, period) == 31 + 2 + 2
    assert user_days(users, period) == sum(headcount_on(users, day) for day in period.dates())


# --- USER_FEE ------------------------------------------------------------------------

def test_user_fee_is_the_headcount_when_above_the_minimum():
    fee = line(invoice(contract={"minimum_users": 3}, seats_paid_in_advance=5, users=steady(5)), "USER_FEE")
    assert (fee["quantity"], fee["unit_price"], fee["amount"]) == (5, "150.00", "750.00")
    assert "minimum" not in fee["description"]


def test_user_fee_is_the_minimum_when_fewer_users_are_active_and_says_so():
    fee = line(invoice(contract={"minimum_users": 10}, seats_paid_in_advance=10, users=steady(7)), "USER_FEE")
    assert (fee["quantity"], fee["amount"]) == (10, "1500.00")
    assert "minimum 10 applied; 7 active" in fee["description"]


def test_user_fee_always_appears_even_with_nobody():
    fee = line(invoice(users=[]), "USER_FEE")
    assert (fee["quantity"], fee["amount"]) == (0, "0.00")


def test_minimum_applies_to_the_onboarding_invoice_user_fee_which_covers_the_advance_period():
    doc = invoice(contract={"minimum_users": 5}, onboarded_on="2026-11-02",
                  users=[user("o1", ("2026-11-02", None)), user("o2", ("2026-11-02", None))])
    assert line(doc, "USER_FEE")["quantity"] == 5
    assert [u for u, _, _ in prorated(doc)] == ["o1", "o2"]  # but nothing was paid for the onboarding period


# --- LICENSING_FEE ---------------------------------------------------------------------

def test_licensing_is_charged_once_per_user_whose_first_span_starts_in_the_period():
    doc = invoice(seats_paid_in_advance=5, users=[*steady(2), *steady(2, "2026-11-01", prefix="n")])
    fee = line(doc, "LICENSING_FEE")
    assert (fee["quantity"], fee["unit_price"], fee["amount"]) == (2, "50.00", "100.00")


@pytest.mark.parametrize("first_day", ["2026-10-24", "2026-11-23"])
def test_licensing_covers_activations_on_the_first_and_the_last_day(first_day):
    doc = invoice(seats_paid_in_advance=5, users=[*steady(1), user("n01", (first_day, None))])
    assert line(doc, "LICENSING_FEE")["quantity"] == 1


def test_returning_user_pays_no_second_licensing_fee():
    doc = invoice(seats_paid_in_advance=2, users=[
        *steady(1), user("r01", ("2025-01-10", "2026-03-01"), ("2026-11-05", None))])
    assert not lines(doc, "LICENSING_FEE")
    assert prorated(doc) == []  # a seat was paid: the returning user fills it


def test_returning_user_who_needs_an_unpaid_seat_is_prorated_but_not_licensed():
    doc = invoice(seats_paid_in_advance=1, users=[
        *steady(1), user("r01", ("2025-01-10", "2026-03-01"), ("2026-11-05", None))])
    assert not lines(doc, "LICENSING_FEE")
    assert prorated(doc) == [("r01", 19, "91.94")]  # 150 x 19 / 31 = 91.935...


def test_user_who_joins_and_leaves_inside_the_period_is_licensed_once():
    doc = invoice(seats_paid_in_advance=5, users=[*steady(1), user("n01", ("2026-11-01", "2026-11-03"),
                                                                   ("2026-11-10", "2026-11-12"))])
    assert line(doc, "LICENSING_FEE")["quantity"] == 1


def test_a_user_whose_first_span_starts_after_the_period_is_not_licensed_yet():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(1), user("f01", ("2026-12-01", None))])
    assert not lines(doc, "LICENSING_FEE") and prorated(doc) == []


# --- PRORATED_USER_FEE: the seat walk ---------------------------------------------------

def test_freed_seat_is_reused_without_proration():
    doc = invoice(seats_paid_in_advance=2, users=[
        user("s01", ("2025-01-10", None)), user("s02", ("2025-01-10", "2026-11-02")), user("n01", ("2026-11-05", None))])
    assert prorated(doc) == []
    assert line(doc, "LICENSING_FEE")["quantity"] == 1  # n01 is new, so licensed


def test_activation_beyond_the_paid_seats_is_prorated_to_the_end_of_the_period():
    doc = invoice(seats_paid_in_advance=2, users=[*steady(2), user("n01", ("2026-11-10", None))])
    assert prorated(doc) == [("n01", 14, "67.74")]  # 150 x 14 / 31
    assert line(doc, "USER_FEE")["quantity"] == 3


def test_a_prorated_line_names_the_user_and_carries_the_user_fee_as_unit_price():
    (only,) = lines(invoice(seats_paid_in_advance=0, users=[user("n01", ("2026-11-10", None))]), "PRORATED_USER_FEE")
    assert only["user"] == "n01" and only["unit_price"] == "150.00" and only["quantity"] == 14


def test_deactivation_is_applied_before_activation_on_the_same_day():
    doc = invoice(seats_paid_in_advance=2, users=[
        user("s01", ("2025-01-10", None)), user("s02", ("2025-01-10", "2026-11-05")), user("n01", ("2026-11-05", None))])
    assert prorated(doc) == []


def test_deactivations_come_first_whatever_the_user_ids():
    # "z" leaves and "a" arrives the same day: the seat is freed before it is needed.
    doc = invoice(seats_paid_in_advance=1, users=[user("z", ("2025-01-10", "2026-11-05")), user("a", ("2026-11-05", None))])
    assert prorated(doc) == []


def test_a_user_deactivated_and_reactivated_on_the_same_day_keeps_the_seat():
    doc = invoice(seats_paid_in_advance=1, users=[user("s01", ("2025-01-10", "2026-11-05"), ("2026-11-05", None))])
    assert prorated(doc) == [] and not lines(doc, "LICENSING_FEE")
    assert doc["headcount_at_cutoff"] == 1


def test_a_user_deactivated_on_the_first_day_frees_a_seat_for_the_whole_period():
    doc = invoice(seats_paid_in_advance=1, users=[user("x01", ("2025-01-10", "2026-10-24")),
                                                   user("n01", ("2026-10-24", None))])
    assert prorated(doc) == []


def test_activation_on_the_first_day_of_the_period_is_prorated_for_all_its_days():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(1), user("n01", ("2026-10-24", None))])
    assert prorated(doc) == [("n01", 31, "150.00")]


def test_activation_on_the_last_day_of_the_period_is_prorated_one_day():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(1), user("n01", ("2026-11-23", None))])
    assert prorated(doc) == [("n01", 1, "4.84")]


def test_prorated_days_run_to_the_period_end_even_if_the_user_left_again():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(1), user("n01", ("2026-11-10", "2026-11-12"))])
    assert prorated(doc) == [("n01", 14, "67.74")]
    assert doc["headcount_at_cutoff"] == 1


def test_user_who_comes_goes_and_comes_back_can_be_prorated_twice():
    doc = invoice(seats_paid_in_advance=1, users=[
        *steady(1),
        user("n01", ("2026-10-27", "2026-11-01"), ("2026-11-10", None)),
        user("x01", ("2026-11-03", None)),  # takes the seat n01 freed
    ])
    assert prorated(doc) == [("n01", 28, "135.48"), ("n01", 14, "67.74")]
    assert line(doc, "LICENSING_FEE")["quantity"] == 2  # n01 once, x01 once


def test_user_who_comes_back_into_a_seat_already_paid_is_prorated_once():
    doc = invoice(seats_paid_in_advance=1, users=[
        *steady(1), user("n01", ("2026-10-27", "2026-11-01"), ("2026-11-10", None))])
    # The first activation paid a seat (paid = 2); the return finds it free.
    assert prorated(doc) == [("n01", 28, "135.48")]


def test_each_prorated_activation_adds_a_paid_seat():
    doc = invoice(seats_paid_in_advance=1, users=[
        *steady(1),
        user("n01", ("2026-11-01", "2026-11-05")),  # prorated, paid = 2
        user("n02", ("2026-11-06", None)),  # fills n01's freed seat, not prorated
        user("n03", ("2026-11-07", None)),  # 3 > 2: prorated
    ])
    assert [u for u, _, _ in prorated(doc)] == ["n01", "n03"]


def test_seats_under_the_minimum_are_never_prorated():
    doc = invoice(contract={"minimum_users": 10}, seats_paid_in_advance=10,
                  users=[*steady(6), user("n01", ("2026-11-02", None)), user("n02", ("2026-11-20", None))])
    assert prorated(doc) == []
    fee = line(doc, "USER_FEE")
    assert (fee["quantity"], fee["amount"]) == (10, "1500.00")
    assert "minimum 10 applied; 8 active" in fee["description"]


def test_activations_beyond_the_minimum_paid_in_advance_are_prorated():
    doc = invoice(contract={"minimum_users": 3}, seats_paid_in_advance=3,
                  users=[*steady(2), user("n01", ("2026-11-02", None)), user("n02", ("2026-11-20", None))])
    assert [u for u, _, _ in prorated(doc)] == ["n02"]


def test_an_activation_when_more_users_are_active_than_seats_paid_is_prorated():
    doc = invoice(seats_paid_in_advance=1, users=[*steady(3), user("n01", ("2026-11-20", None))])
    assert prorated(doc) == [("n01", 4, "19.35")]  # 150 x 4 / 31 = 19.354...


def test_in_the_onboarding_period_nothing_was_paid_so_every_activation_is_prorated():
    doc = invoice(onboarded_on="2026-11-02", seats_paid_in_advance=0, users=[
        user("o1", ("2026-11-02", None)), user("o2", ("2026-11-02", None)), user("o3", ("2026-11-09", None))])
    assert prorated(doc) == [("o1", 22, "106.45"), ("o2", 22, "106.45"), ("o3", 15, "72.58")]
    assert line(doc, "LICENSING_FEE")["quantity"] == 3


def test_user_ids_compare_as_plain_strings_in_the_walk():
    # One paid seat, two activations the same day: "u10" < "u2", so u10 takes the seat.
    doc = invoice(seats_paid_in_advance=1, users=[user("u2", ("2026-11-05", None)), user("u10", ("2026-11-05", None))])
    assert prorated(doc) == [("u2", 19, "91.94")]


def test_prorated_lines_appear_in_walk_order_date_then_user_id():
    doc = invoice(seats_paid_in_advance=0, users=[
        user("u2", ("2026-11-01", None)), user("a", ("2026-11-09", None)), user("u10", ("2026-11-01", None))])
    assert [u for u, _, _ in prorated(doc)] == ["u10", "u2", "a"]


@pytest.mark.parametrize(("cycle", "last_day", "n", "amount"), [
    ("2026-03", "2026-03-23", 28, "5.36"),  # 150 / 28 = 5.357...
    ("2028-03", "2028-03-23", 29, "5.17"),  # leap February: 150 / 29 = 5.172...
    ("2026-10", "2026-10-23", 30, "5.00"),
    ("2026-11", "2026-11-23", 31, "4.84"),  # 150 / 31 = 4.838...
])
def test_a_prorated_day_is_the_fee_divided_by_the_closed_period_length(cycle, last_day, n, amount):
    doc = invoice(cycle=cycle, seats_paid_in_advance=1, users=[*steady(1), user("n01", (last_day, None))])
    assert doc["closed_period"]["days"] == n
    assert prorated(doc) == [("n01", 1, amount)]


def test_leap_day_activation_is_prorated_through_march_23rd():
    doc = invoice(cycle="2028-03", seats_paid_in_advance=1, users=[*steady(1), user("n01", ("2028-02-29", None))])
    assert prorated(doc) == [("n01", 24, "124.14")]  # 150 x 24 / 29 = 124.137...


def test_a_prorated_line_never_exceeds_one_full_fee():
    doc = invoice(cycle="2026-03", seats_paid_in_advance=0, users=[user("n01", ("2026-02-24", None))])
    assert prorated(doc) == [("n01", 28, "150.00")]


def test_the_walk_records_why_each_activation_was_or_was_not_prorated():
    users = [User("s", (AccessSpan(date(2025, 1, 1), date(2026, 11, 2)),)),
             User("a", (AccessSpan(date(2026, 11, 2)),)), User("b", (AccessSpan(date(2026, 11, 3)),))]
    walk = walk_seats(users, Cycle.parse("2026-11").closed_period, seats_paid_in_advance=1)
    assert walk.active_at_start == 1
    assert [(s.user_id, s.event.value, s.active_after, s.paid_after) for s in walk.steps] == [
        ("s", "deactivated", 0, 1), ("a", "filled_paid_seat", 1, 1), ("b", "prorated", 2, 2)]
    assert [(p.user_id, p.days, p.seats_paid_before) for p in walk.prorated] == [("b", 21, 1)]

"""What-if: a scenario document with hypothetical changes applied.

The changes are applied to the *scenario* (the engine's JSON input, see
SCENARIO_FORMAT.md), never to the database, so the changed scenario is the
whole answer: ``python -m billing invoice`` of it reproduces the what-if's
invoice exactly, and empty changes (``{}``) leave the scenario as it was.
The keys are in docs/WHATIF_FORMAT.md. A changes file that does not follow
them gets a :class:`~billing.scenario.ScenarioError` naming the field.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .calendar import Cycle, parse_date
from .money import plain
from .scenario import ScenarioError, _contract, _Node

CHANGE_KEYS = ("add_users", "deactivate_users", "minutes_per_user_day", "contract", "services")
CONTRACT_KEYS = ("user_fee", "minimum_users", "licensing_fee", "minute_rate", "minute_block", "replenish_buffer_pct",
                 "onboarding_minutes_per_user", "signal", "number_cleaning_rate", "appointment_fee",
                 "transcription_rate")
# "services" names a service by what people call it; each is one contract field.
SERVICE_FIELDS = {"signal": "signal", "number_cleaning": "number_cleaning_rate", "appointments": "appointment_fee",
                  "transcription": "transcription_rate"}
WHATIF_USER = "(what-if)"
NEW_USER_PREFIX = "whatif-"


@dataclass(frozen=True)
class AddUsers:
    count: int
    start: date


@dataclass(frozen=True)
class Deactivate:
    on: date
    count: int = 0
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Changes:
    """A validated changes document; :attr:`document` is its JSON form
    (normalised), for links and for the quote."""

    add_users: tuple[AddUsers, ...] = ()
    deactivate_users: tuple[Deactivate, ...] = ()
    minutes_per_user_day: Decimal | None = None
    contract: tuple[tuple[str, Any], ...] = ()  # (scenario contract key, JSON value)

    @property
    def is_empty(self) -> bool:
        return not (self.add_users or self.deactivate_users or self.minutes_per_user_day is not None or self.contract)

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.add_users:
            out["add_users"] = [{"count": a.count, "from": a.start.isoformat()} for a in self.add_users]
        if self.deactivate_users:
            out["deactivate_users"] = [
                {"ids": list(d.ids), "on": d.on.isoformat()} if d.ids else {"count": d.count, "on": d.on.isoformat()}
                for d in self.deactivate_users
            ]
        if self.minutes_per_user_day is not None:
            out["minutes_per_user_day"] = plain(self.minutes_per_user_day)
        if self.contract:
            out["contract"] = dict(self.contract)
        return out


MAX_ADDED_USERS = 10_000


def _only(node: _Node, allowed: tuple[str, ...]) -> None:
    node.obj()
    for key in node.value:
        if key not in allowed:
            raise ScenarioError(node._child_path(key), f"unknown key; expected one of {', '.join(allowed)}")


def parse_changes(document: Any) -> Changes:
    """Validate a changes document (docs/WHATIF_FORMAT.md)."""
    root = _Node(document, "")
    _only(root, CHANGE_KEYS)
    adds = []
    for item in root.get("add_users").items() if "add_users" in root.value else ():
        _only(item, ("count", "from"))
        count_node = item.get("count")
        count = count_node.count(minimum=1)
        if count > MAX_ADDED_USERS:
            raise count_node.fail(f"must be at most {MAX_ADDED_USERS:,}, got {count}")
        adds.append(AddUsers(count, item.get("from").date()))
    deactivations = []
    for item in root.get("deactivate_users").items() if "deactivate_users" in root.value else ():
        _only(item, ("count", "ids", "on"))
        on = item.get("on").date()
        if ("count" in item.value) == ("ids" in item.value):
            raise item.fail("give either count or ids")
        if "count" in item.value:
            deactivations.append(Deactivate(on, count=item.get("count").count(minimum=1)))
        else:
            ids = tuple(i.text() for i in item.get("ids").items())
            if not ids:
                raise ScenarioError(f"{item.path}.ids", "must name at least one user")
            deactivations.append(Deactivate(on, ids=ids))
    rate = None
    if root.value.get("minutes_per_user_day") is not None:
        rate_node = root.get("minutes_per_user_day")
        if isinstance(rate_node.value, (int, float)) and not isinstance(rate_node.value, bool):
            rate_node = _Node(str(rate_node.value), rate_node.path)  # 14.5 as a number reads like "14.5"
        rate = rate_node.money()
    contract: dict[str, Any] = {}
    if "services" in root.value:
        services = root.get("services")
        _only(services, tuple(SERVICE_FIELDS))
        for name, value in services.value.items():
            contract[SERVICE_FIELDS[name]] = value
    if "contract" in root.value:
        node = root.get("contract")
        _only(node, CONTRACT_KEYS)
        contract.update(node.value)
    return Changes(tuple(adds), tuple(deactivations), rate, tuple(contract.items()))


def _new_ids(existing: set[str], count: int) -> list[str]:
    """Ids that no stored user has (``whatif-001``…), skipping any taken."""
    out: list[str] = []
    n = 0
    while len(out) < count:
        n += 1
        candidate = f"{NEW_USER_PREFIX}{n:03d}"
        if candidate not in existing:
            out.append(candidate)
            existing.add(candidate)
    return out


def _active(user: dict[str, Any], day: date) -> bool:
    return any(parse_date(s["from"]) <= day and (s["to"] is None or day < parse_date(s["to"])) for s in user["access"])


def _deactivate(user: dict[str, Any], on: date) -> None:
    """End the user's access on ``on``: the span running then ends, later spans go."""
    spans = []
    for span in user["access"]:
        start = parse_date(span["from"])
        end = None if span["to"] is None else parse_date(span["to"])
        if start >= on:
            continue
        if end is None or end > on:
            span = {"from": span["from"], "to": on.isoformat()}
        spans.append(span)
    user["access"] = spans


def _round_half_up(value: Fraction) -> int:
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def apply_changes(scenario: dict[str, Any], changes: Changes, as_of: date) -> dict[str, Any]:
    """A copy of ``scenario`` with ``changes`` applied, as of ``as_of``.

    Added users get new ids and one open span from their date (so they are
    new users: licensing applies). ``count`` deactivations take the stored
    users active on that day, highest id first. ``minutes_per_user_day``
    replaces the calls of the closed period's days from ``as_of`` on with
    one record a day: the rate x the users active that day (after the other
    changes), rounded half-up, transcribed in the ratio of the days before.
    """
    out = _copy(scenario)
    users: list[dict[str, Any]] = out["users"]
    stored = list(users)
    for index, deactivation in enumerate(changes.deactivate_users):
        where = f"deactivate_users[{index}]"
        if deactivation.ids:
            by_id = {u["id"]: u for u in stored}
            for position, user_id in enumerate(deactivation.ids):
                user = by_id.get(user_id)
                if user is None or not _active(user, deactivation.on):
                    raise ScenarioError(f"{where}.ids[{position}]",
                                        f"no user {user_id!r} is active on {deactivation.on.isoformat()}")
                _deactivate(user, deactivation.on)
        else:
            active = sorted((u for u in stored if _active(u, deactivation.on)), key=lambda u: u["id"], reverse=True)
            if len(active) < deactivation.count:
                raise ScenarioError(f"{where}.count", f"only {len(active)} users are active on "
                                                      f"{deactivation.on.isoformat()}, cannot deactivate {deactivation.count}")
            for user in active[: deactivation.count]:
                _deactivate(user, deactivation.on)
    existing = {u["id"] for u in users}
    for addition in changes.add_users:
        for user_id in _new_ids(existing, addition.count):
            users.append({"id": user_id, "access": [{"from": addition.start.isoformat(), "to": None}]})
    for key, value in changes.contract:
        out["contract"][key] = value
    if changes.minutes_per_user_day is not None:
        _replace_usage(out, changes.minutes_per_user_day, as_of)
    if changes.contract:
        _contract(_Node(out["contract"], "contract"))  # a value the format refuses is named by its field
    return out


def _copy(scenario: dict[str, Any]) -> dict[str, Any]:
    """A copy deep enough for :func:`apply_changes`, which changes users'
    spans, the contract and the list of calls, and nothing else (a full
    deep copy of a 300-user scenario costs more than pricing it)."""
    out = dict(scenario)
    out["users"] = [{**u, "access": [dict(s) for s in u["access"]]} for u in scenario["users"]]
    out["contract"] = copy.deepcopy(scenario["contract"])
    out["calls"] = list(scenario["calls"])
    return out


def _replace_usage(scenario: dict[str, Any], rate: Decimal, as_of: date) -> None:
    closed = Cycle.parse(scenario["cycle"]).closed_period
    first = max(as_of, closed.start)
    kept = [c for c in scenario["calls"] if not (first <= parse_date(c["date"]) <= closed.end)]
    past_minutes = sum(-(-c["duration_seconds"] // 60) for c in kept if parse_date(c["date"]) in closed)
    past_seconds = sum(c["transcribed_seconds"] for c in kept if parse_date(c["date"]) in closed)
    ratio = Fraction(past_seconds, past_minutes) if past_minutes else Fraction(0)
    active = _active_per_day(scenario["users"], first, closed.end)
    exact = Fraction(rate)
    for offset, users in enumerate(active):
        minutes = _round_half_up(exact * users)
        if minutes:
            day = first + timedelta(days=offset)
            kept.append({"user": WHATIF_USER, "date": day.isoformat(), "duration_seconds": minutes * 60,
                         "transcribed_seconds": _round_half_up(ratio * minutes)})
    scenario["calls"] = kept


def _active_per_day(users: list[dict[str, Any]], first: date, last: date) -> list[int]:
    """Users active on each day ``first..last``, span by span (a running sum of
    +1 at each span's start and -1 at its end): no day-by-user loop."""
    length = (last - first).days + 1
    if length <= 0:
        return []
    steps = [0] * (length + 1)
    for user in users:
        for span in user["access"]:
            start = max(parse_date(span["from"]), first)
            end = last + timedelta(days=1) if span["to"] is None else min(parse_date(span["to"]), last + timedelta(days=1))
            if start < end:
                steps[(start - first).days] += 1
                steps[(end - first).days] -= 1
    out, running = [], 0
    for step in steps[:length]:
        running += step
        out.append(running)
    return out

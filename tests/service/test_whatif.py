"""What-if: the engine's answer to hypothetical changes, replayable outside the app."""

from __future__ import annotations

import json
from datetime import date

import pytest

from billing import Cycle
from billing.cli import main as billing_cli
from services.access import AccessDenied
from services.previews import invoice_json, preview_cycle, scenario
from services.whatif import ChangesError, changes_from_query, changes_to_query, what_if

from .conftest import FINANCE, NOVEMBER, OPS, TODAY, account_manager

DECEMBER = Cycle.parse("2026-12")
CHANGES = {"add_users": [{"count": 10, "from": "2026-12-05"}],
           "deactivate_users": [{"count": 2, "on": "2026-12-10"}],
           "minutes_per_user_day": "14.5",
           "contract": {"minimum_users": 20, "user_fee": "140.00", "transcription_rate": None}}


@pytest.mark.parametrize("cycle", [NOVEMBER, DECEMBER], ids=str)
def test_a_whatif_without_changes_is_the_scenario_and_the_preview_for_every_seeded_agency(sessions, pinned_today, cycle):
    agencies = sorted(preview_cycle(cycle, sessions=sessions).previews)
    assert len(agencies) >= 7
    for agency_id in agencies:
        result = what_if(FINANCE, agency_id, cycle, {}, TODAY, sessions=sessions).document()
        assert result["scenario"] == scenario(agency_id, cycle, sessions=sessions)
        preview = invoice_json(agency_id, cycle, TODAY, sessions=sessions)
        preview.pop("standing")
        assert result["baseline"] == preview == result["invoice"], agency_id


def test_a_whatifs_scenario_reproduces_its_invoice_through_python_m_billing(sessions, pinned_today, tmp_path, capsys):
    result = what_if(FINANCE, "A-1001", DECEMBER, CHANGES, TODAY, sessions=sessions).document()
    assert result["invoice"] != result["baseline"]
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(result["scenario"]))
    capsys.readouterr()
    assert billing_cli(["invoice", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == result["invoice"]


def test_added_users_are_new_users_with_ids_that_cannot_clash_and_pay_licensing(sessions, pinned_today):
    result = what_if(FINANCE, "A-1001", DECEMBER, {"add_users": [{"count": 3, "from": "2026-12-05"}]}, TODAY,
                     sessions=sessions)
    ids = [u["id"] for u in result.scenario["users"]]
    assert len(ids) == len(set(ids)) and {"whatif-001", "whatif-002", "whatif-003"} <= set(ids)
    licensing = {d.code: d for d in result.current.lines}["LICENSING_FEE"]
    assert (licensing.whatif_quantity or 0) - (licensing.baseline_quantity or 0) == 3
    assert licensing.difference == 3 * 50
    prorated = [d for d in result.current.lines if d.code == "PRORATED_USER_FEE" and d.user and d.user.startswith("whatif-")]
    assert len(prorated) <= 3 and result.current.difference > 0


def test_a_whatif_changes_the_next_cycle_too(sessions, pinned_today):
    result = what_if(FINANCE, "A-1001", DECEMBER, {"add_users": [{"count": 5, "from": "2026-12-05"}]}, TODAY,
                     sessions=sessions)
    assert result.following is not None and str(result.following.cycle) == "2027-01"
    user_fee = {d.code: d for d in result.following.lines}["USER_FEE"]
    assert user_fee.whatif_quantity >= user_fee.baseline_quantity
    empty = what_if(FINANCE, "A-1001", DECEMBER, {}, TODAY, sessions=sessions)
    assert empty.following is not None and empty.following.difference == 0


def test_named_users_are_deactivated_and_unknown_ones_refused_by_field(sessions, pinned_today):
    users = scenario("A-1001", DECEMBER, sessions=sessions)["users"]
    active = [u["id"] for u in users if any(s["to"] is None for s in u["access"])]
    result = what_if(FINANCE, "A-1001", DECEMBER, {"deactivate_users": [{"ids": active[:1], "on": "2026-12-10"}]},
                     TODAY, sessions=sessions)
    changed = {u["id"]: u for u in result.scenario["users"]}[active[0]]
    assert changed["access"][-1]["to"] == "2026-12-10"
    with pytest.raises(ChangesError, match=r"deactivate_users\[0\]\.ids\[0\]: no user 'nobody'"):
        what_if(FINANCE, "A-1001", DECEMBER, {"deactivate_users": [{"ids": ["nobody"], "on": "2026-12-10"}]},
                TODAY, sessions=sessions)


@pytest.mark.parametrize(("changes", "field"), [
    ({"add_users": [{"count": 0, "from": "2026-12-05"}]}, "add_users[0].count"),
    ({"add_users": [{"count": 2, "from": "soon"}]}, "add_users[0].from"),
    ({"minutes_per_user_day": "-3"}, "minutes_per_user_day"),
    ({"contract": {"user_fee": "cheap"}}, "contract.user_fee"),
    ({"contract": {"colour": "red"}}, "contract.colour"),
    ({"add_agents": 5}, "add_agents"),
    ([], "(file)"),
])
def test_a_bad_changes_document_is_refused_naming_the_field(sessions, pinned_today, changes, field):
    with pytest.raises(ChangesError) as raised:
        what_if(FINANCE, "A-1001", DECEMBER, changes, TODAY, sessions=sessions)
    assert raised.value.field == field


def test_a_whatif_link_keeps_the_changes(pinned_today):
    parsed = changes_from_query(json.dumps(CHANGES))
    assert changes_from_query(changes_to_query(parsed)) == parsed
    assert parsed.document()["add_users"] == [{"count": 10, "from": "2026-12-05"}]


def test_ops_may_not_run_a_whatif_and_an_account_manager_only_for_their_agencies(sessions, pinned_today):
    with pytest.raises(AccessDenied):
        what_if(OPS, "A-1001", DECEMBER, {}, TODAY, sessions=sessions)
    with pytest.raises(AccessDenied):
        what_if(account_manager("A-1002"), "A-1001", DECEMBER, {}, TODAY, sessions=sessions)
    assert what_if(account_manager("A-1001"), "A-1001", DECEMBER, {}, date(2026, 11, 25), sessions=sessions)


def test_a_whatif_quote_is_marked_whatif_and_never_numbered_like_an_invoice(sessions, pinned_today):
    import io

    from pypdf import PdfReader

    from services.whatif import quote_pdf

    result = what_if(FINANCE, "A-1001", DECEMBER, CHANGES, TODAY, sessions=sessions)
    name, pdf = quote_pdf(result, "Acme Insurance Group")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert name.startswith("WHATIF_2026-12_")
    assert "WHAT-IF QUOTE — not an invoice" in text and "What if: add 10 users from 2026-12-05" in text
    assert "INV-" not in text and "INVOICE PREVIEW" not in text

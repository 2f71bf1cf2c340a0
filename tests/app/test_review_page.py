"""The review page (issue #15): finance reads every agency's findings,
acknowledges, approves and issues; an account manager reads the review of
their own agencies and acts on nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from db.engine import get_engine, session_scope
from db.models import AuditEvent, Invoice, ReviewApproval

MANAGER_AGENCIES = {"A-1001", "A-1004", "A-1007", "A-1010"}  # maria.lopez@ in the seeded demo


def _texts(at) -> list[str]:
    parts = [el.value for kind in ("title", "subheader", "markdown", "caption", "info", "success", "warning", "error")
             for el in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [" ".join(map(str, df.value.to_numpy().ravel())) for df in at.dataframe]
    return parts


def _keys(at, kind: str) -> set[str]:
    return {w.key for w in getattr(at, kind) if w.key}


def _review(at, **params):
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page("pages/review.py").run()
    assert not at.exception, at.exception
    return at


def _count(model, *where) -> int:
    with session_scope(get_engine()) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_finance_sees_every_agency_with_its_findings_and_can_act(viewer_app):
    at = _review(viewer_app("finance"), cycle="2026-11")
    table = at.dataframe[0].value
    assert len(table) == 10 and set(table.columns) >= {"Agency", "Name", "State", "Blocking", "Total"}
    assert table["State"].iloc[0] == "Blocked"  # severity first: the blocked agency leads
    text = " ".join(_texts(at)).replace("\\", "")  # markdown escapes
    assert "$36,663.82" in text and "Wed 2026-11-25" in text  # money and dates with weekdays
    popovers = [p.proto.popover.label for p in at.get("popover")]
    assert any(label.startswith("Approve 9 ready agencies") for label in popovers), popovers
    assert any(label.startswith("Issue cycle 2026-11: 0 approved invoices") for label in popovers), popovers


def test_finance_acknowledges_a_blocking_finding_then_approves_and_issues(viewer_app):
    at = _review(viewer_app("finance"), cycle="2026-11", agency="A-1009")
    assert "Total changed" in " ".join(_texts(at))
    at.text_input(key="ack_note_total_changed").input("Last month was its onboarding")
    at.button(key="FormSubmitter:ack_A-1009_total_changed-Acknowledge").click().run()
    assert any("Acknowledged “Total changed”" in s.value for s in at.success), _texts(at)
    at.text_input(key="approve_all_note").input("Reviewed on the 25th").run()
    at.button(key="approve_all").click().run()
    assert any("Approved 10 invoices" in s.value for s in at.success), _texts(at)
    assert _count(ReviewApproval, ReviewApproval.cycle == "2026-11") == 10
    at.button(key="review_issue_now").click().run()
    assert not at.exception, at.exception
    assert any("Issued 10 invoices of cycle 2026-11" in s.value for s in at.success), _texts(at)
    links = [link.proto.label for link in at.get("page_link")]
    assert any(label.startswith("INV-2026-11-0001 ") for label in links), links  # same-tab links to the issued invoices
    assert "review_issue_now" not in _keys(at, "button")  # the issued state at once: no button left
    assert set(at.dataframe[0].value["State"]) == {"Issued"}
    assert _count(Invoice, Invoice.cycle == "2026-11") == 10
    with session_scope(get_engine()) as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"acknowledge_finding", "approve_invoices", "issue_cycle"} <= actions


def test_an_unapproved_agency_is_not_issued_by_the_page(viewer_app):
    at = _review(viewer_app("finance"), cycle="2026-11", agency="A-1001")
    at.button(key="FormSubmitter:approve_A-1001-Approve Acme Insurance Group").click().run()
    assert any("Approved Acme Insurance Group" in s.value for s in at.success), _texts(at)
    at.button(key="review_issue_now").click().run()
    assert any("Issued 1 invoice of cycle 2026-11" in s.value for s in at.success), _texts(at)
    assert any(w.value.startswith("Not issued: ") and "not approved" in w.value for w in at.warning)
    with session_scope(get_engine()) as session:
        assert set(session.scalars(select(Invoice.agency_id).where(Invoice.cycle == "2026-11"))) == {"A-1001"}


def test_the_invoices_page_issues_only_approved_and_shows_the_issued_state_at_once(viewer_app):
    at = viewer_app("finance")
    at = _review(at, cycle="2026-11", agency="A-1004")
    at.button(key="FormSubmitter:approve_A-1004-Approve " + at.selectbox(key="review_agency").format_func("A-1004")
              .rsplit(" (", 1)[0]).click().run()
    at.query_params["agency"] = "A-1004"
    at.switch_page("pages/invoices.py").run()
    popovers = [p.proto.popover.label for p in at.get("popover")]
    assert any(label.startswith("Issue cycle 2026-11: 1 approved invoice,") for label in popovers), popovers
    at.button(key="issue_now").click().run()
    assert not at.exception, at.exception
    assert any("Issued 1 invoice of cycle 2026-11" in s.value for s in at.success), _texts(at)
    table = at.dataframe[-1].value
    assert dict(zip(table["Agency"], table["State"], strict=True))["A-1004"].startswith("INV-")
    assert (table["State"] == "Preview").sum() == 9  # the others wait for approval
    at.run()  # the invoice above is now the issued one, compared with what was approved
    assert any("the issued invoice is exactly the approved preview, nothing changed" in c.value for c in at.caption), \
        [c.value for c in at.caption]
    assert _count(Invoice, Invoice.cycle == "2026-11") == 1


def test_an_account_manager_reads_only_their_agencies_and_acts_on_nothing(viewer_app):
    at = _review(viewer_app("account_manager"), cycle="2026-11")
    table = at.dataframe[0].value
    assert set(table["Agency"]) == MANAGER_AGENCIES
    assert "Brightpath Benefits" not in " ".join(_texts(at))  # sam.okafor@'s agency
    assert not at.get("popover") and not [k for k in _keys(at, "text_input") if k.startswith(("ack_", "approve"))]
    assert not [b for b in at.button if b.key and b.key.startswith(("approve", "review_issue"))]
    assert any("read only" in c.value for c in at.caption)


def test_a_cycle_still_in_progress_says_so_and_shows_the_forecast_totals_its_checks_compare(viewer_app):
    running = _review(viewer_app("finance"), cycle="2026-12")  # on Wed 2026-11-25 its closed period has just begun
    infos = [i.value for i in running.info]
    assert any(text.startswith("Cycle 2026-12 is in progress: 1 day of 30") and "**forecast at cutoff**" in text
               for text in infos), infos
    table = running.dataframe[0].value
    assert {"Forecast total", "So far", "Change"} <= set(table.columns) and "Total" not in table.columns
    assert (table["Forecast total"] >= table["So far"]).all() and (table["Forecast total"] > table["So far"]).any()
    assert any(m.value.startswith("Forecast total at cutoff **") for m in running.markdown)
    closed = _review(viewer_app("finance"), cycle="2026-11")
    assert not any("is in progress" in i.value for i in closed.info)
    columns = set(closed.dataframe[0].value.columns)
    assert "Total" in columns and not {"Forecast total", "So far"} & columns

"""Revenue and receivables: what was billed and collected over the last
cycles, what was owed at each month end, and the cycle's invoices as files
for the accounting system. Finance only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from billing import Cycle
from services.access import Permission
from services.accounting_export import (
    ExportFormat,
    account_codes,
    export_cycle,
    export_entries,
    note_export,
    set_account_codes,
)
from services.errors import BillingError
from services.exports import text_cell
from ui import cache, charts
from ui.context import empty_state, page_setup, query_value
from ui.format import counted, day, md, money_float, signed_usd, usd

viewer, today = page_setup("Revenue", Permission.VIEW_REPORTS)
SPLITS = {"charge": "Charge", "manager": "Account manager", "band": "Agency size"}


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.map(lambda v: text_cell(v) if isinstance(v, str) else v).to_csv(index=False).encode()


def _kept(name: str, options: list[str], default: str) -> str:
    """A filter read from the URL (a shared link keeps it), or its default."""
    wanted = query_value(name)
    return wanted if wanted in options else default


view = st.segmented_control("Show", ["Revenue", "Receivables", "Accounting export"], key="revenue_view",
                            default=_kept("view", ["Revenue", "Receivables", "Accounting export"], "Revenue"))
view = view or "Revenue"
st.query_params["view"] = view

if view == "Revenue":
    split_key = _kept("split", list(SPLITS), "charge")
    split = st.radio("Split by", list(SPLITS), format_func=SPLITS.__getitem__, horizontal=True, key="revenue_split",
                     index=list(SPLITS).index(split_key))
    st.query_params["split"] = split
    report = cache.revenue(viewer, today)
    if not report.cycles:
        empty_state("No cycle has been issued yet; revenue appears here after the first one.")
        st.stop()
    latest = report.cycles[-1]
    st.caption(f"The last {counted(len(report.cycles), 'issued cycle')} as of {day(today)}: issued invoices only "
               "(previews are not revenue). Collected is what the ledger has applied to each cycle's invoices by today.")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(f"Billed in {latest.cycle}", usd(latest.billed),
              delta=None if latest.change is None else f"{signed_usd(latest.change)} vs {latest.cycle.previous()}",
              delta_color="off")
    m2.metric("Collected of it", usd(latest.collected),
              help="Payments and credits applied to this cycle's invoices so far")
    m3.metric("Same cycle last year", "—" if latest.change_year is None else signed_usd(latest.change_year),
              help="Change against the cycle twelve months before, when it was issued")
    m4.metric("Average days to pay", "—" if latest.average_days_to_pay is None else f"{latest.average_days_to_pay} days",
              help="From the invoice date to the day the last cent was applied, over invoices paid in full")

    def parts(c):  # type: ignore[no-untyped-def]
        return {"charge": c.by_charge, "manager": c.by_manager, "band": c.by_band}[split]

    keys = sorted({k for c in report.cycles for k in parts(c)}, key=lambda k: -sum(parts(c).get(k, 0) for c in report.cycles))
    chart_col, table_col = st.columns([3, 2])
    names = tuple(str(c.cycle) for c in report.cycles)
    figure = charts.revenue_bars(
        names,
        tuple((key, tuple(money_float(parts(c).get(key, 0)) for c in report.cycles),
               tuple(usd(parts(c).get(key)) if key in parts(c) else "$0.00" for c in report.cycles)) for key in keys),
        tuple(money_float(c.collected) for c in report.cycles), tuple(usd(c.collected) for c in report.cycles))
    chart_col.plotly_chart(figure, width="stretch", key="revenue_chart", config={"displayModeBar": False})
    frame = pd.DataFrame({
        "Cycle": [str(c.cycle) for c in report.cycles],
        "Invoices": [c.invoices for c in report.cycles],
        "Billed": [money_float(c.billed) for c in report.cycles],
        "Change": [signed_usd(c.change) for c in report.cycles],
        "vs last year": [signed_usd(c.change_year) for c in report.cycles],
        "Collected": [money_float(c.collected) for c in report.cycles],
        "Days to pay": ["—" if c.average_days_to_pay is None else f"{c.average_days_to_pay}" for c in report.cycles],
    })
    table_col.dataframe(frame, hide_index=True, width="stretch", key="revenue_table", column_config={
        name: st.column_config.NumberColumn(format="dollar") for name in ("Billed", "Collected")})
    table_col.download_button("Download CSV", _csv(frame), file_name=f"revenue-{today.isoformat()}.csv",
                              mime="text/csv", icon=":material/download:", key="revenue_csv")

    st.subheader(f"By {SPLITS[split].lower()}")
    by = pd.DataFrame({"Cycle": [str(c.cycle) for c in report.cycles],
                       **{key: [money_float(parts(c).get(key, 0)) for c in report.cycles] for key in keys},
                       "Total": [money_float(c.billed) for c in report.cycles]})
    st.dataframe(by, hide_index=True, width="stretch", key="revenue_split_table",
                 column_config={name: st.column_config.NumberColumn(format="dollar") for name in [*keys, "Total"]})
    st.download_button("Download CSV", _csv(by), file_name=f"revenue-by-{split}-{today.isoformat()}.csv",
                       mime="text/csv", icon=":material/download:", key="revenue_split_csv")

    st.subheader("Seats and minutes billed")
    seats_col, minutes_col = st.columns(2)
    for column, title, values, unit in ((seats_col, "Seats billed", [c.seats for c in report.cycles], "seats"),
                                        (minutes_col, "Minutes used", [c.minutes for c in report.cycles], "min")):
        small = charts.small_bars(names, tuple(values), title, unit)
        column.plotly_chart(small, width="stretch", key=f"chart_{unit}", config={"displayModeBar": False})

elif view == "Receivables":
    months = cache.receivables(viewer, today)
    st.caption("What agencies owed at each month end, by how far past due, from the same ledger as the overdue page. "
               "DSO: owed ÷ billed in the 90 days before × 90.")
    labels = list(months[0].buckets) if months else []
    chart_col, table_col = st.columns([3, 2])
    figure = charts.receivables_bars(
        tuple(m.month_end.strftime("%b %Y") for m in months),
        tuple((label, tuple(money_float(m.buckets[label]) for m in months), tuple(usd(m.buckets[label]) for m in months))
              for label in labels))
    chart_col.plotly_chart(figure, width="stretch", key="aging_history_chart", config={"displayModeBar": False})
    frame = pd.DataFrame({"Month end": [day(m.month_end) for m in months],
                          **{label: [money_float(m.buckets[label]) for m in months] for label in labels},
                          "Owed": [money_float(m.receivable) for m in months],
                          "DSO (days)": ["—" if m.dso is None else f"{m.dso}" for m in months]})
    table_col.dataframe(frame, hide_index=True, width="stretch", key="aging_history_table", column_config={
        name: st.column_config.NumberColumn(format="dollar") for name in [*labels, "Owed"]})
    table_col.download_button("Download CSV", _csv(frame), file_name=f"receivables-{today.isoformat()}.csv",
                              mime="text/csv", icon=":material/download:", key="aging_history_csv")

else:
    report = cache.revenue(viewer, today)  # the last CYCLES_SHOWN issued cycles
    cycles = [str(c.cycle) for c in reversed(report.cycles)]
    st.caption("Files your accounting system imports: one row per invoice line, amounts as exact decimals, "
               "dates as a US organisation's (MM/DD/YYYY). Column lists and sources: docs/ACCOUNTING_EXPORT.md.")
    if not cycles:
        empty_state("No cycle has been issued yet; there is nothing to export.")
        st.stop()
    c1, c2 = st.columns(2)
    cycle = c1.selectbox("Cycle", cycles, key="export_cycle", index=cycles.index(_kept("cycle", cycles, cycles[0])))
    st.query_params["cycle"] = cycle
    chosen = c2.selectbox("Format", list(ExportFormat), format_func=lambda f: f.label, key="export_format")
    try:
        exported = export_cycle(viewer, Cycle.parse(cycle), chosen, audited=False)
    except BillingError as error:
        st.error(md(error), icon=":material/error:")
    else:
        st.download_button(f"Download {exported.name}", exported.content.encode(), file_name=exported.name,
                           mime="text/csv", type="primary", icon=":material/download:", key="export_download",
                           on_click=note_export, args=(viewer, cycle, chosen))
        st.caption(f"{counted(exported.invoices, 'invoice')} · {counted(exported.rows, 'row')} · "
                   f"total {md(usd(exported.total))}, the issued invoices' total to the cent.")
    with st.expander("Payments and adjustments of a date range, as a journal"):
        d1, d2 = st.columns(2)
        start = d1.date_input("From", value=today.replace(day=1), key="journal_from", format="YYYY-MM-DD")
        end = d2.date_input("To", value=today, key="journal_to", format="YYYY-MM-DD")
        try:
            journal = export_entries(viewer, start, end, audited=False)
        except BillingError as error:
            st.error(md(error), icon=":material/error:")
        else:
            st.download_button(f"Download {journal.name}", journal.content.encode(), file_name=journal.name,
                               mime="text/csv", icon=":material/download:", key="journal_download",
                               on_click=note_export, args=(viewer, f"{start.isoformat()}..{end.isoformat()}", "journal"))
            st.caption(f"{counted(journal.rows // 2, 'entry', 'entries')} · {md(usd(journal.total))}")
    st.subheader("Account codes")
    codes = account_codes(viewer)
    editable = viewer.can(Permission.EDIT_ACCOUNT_CODES)
    table = pd.DataFrame({"Charge": [c.label for c in codes], "Account": [c.account for c in codes],
                          "Item (QuickBooks)": [c.item for c in codes],
                          "Set by": ["default" if c.is_default else "finance" for c in codes]})
    edited = st.data_editor(table, hide_index=True, width="stretch", key="account_codes", disabled=not editable or
                            ["Charge", "Set by"], column_config={"Account": st.column_config.TextColumn(max_chars=40),
                                                                 "Item (QuickBooks)": st.column_config.TextColumn(max_chars=100)})
    if editable and st.button("Save account codes", key="save_account_codes", icon=":material/save:"):
        changes = [(c.charge, str(row["Account"] or ""), str(row["Item (QuickBooks)"] or ""))
                   for c, (_, row) in zip(codes, edited.iterrows(), strict=True)]
        try:
            changed = set_account_codes(viewer, changes)
        except BillingError as error:
            st.error(f"Not saved. {md(error)}", icon=":material/error:")
        else:
            st.success(f"Saved: {counted(changed, 'account code')} changed." if changed else "Nothing changed.",
                       icon=":material/check:")

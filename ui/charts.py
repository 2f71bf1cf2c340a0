"""Plotly figures: built here from service results, drawn by the pages.

Building a figure is most of the CPU of a page that is otherwise cached
(plotly validates every property it is given: 25–60 ms a chart), and every
person's every click builds it again. So each figure is built once per
distinct content and kept (:data:`_figures`, least recently used out): each
builder below takes exactly what it draws, as hashable values (frozen
dataclasses, tuples), so equal content is the same key and a changed fact is
a new one; nothing can be stale. The figures are shared between sessions:
pages hand them to ``st.plotly_chart`` (which copies them to JSON) and never
change them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from billing import Cycle, Period
from services.agency_account import BankPoint
from services.invoices import InvoiceView, LineChange
from services.minute_bank import BankDay, BankDetail, BankRunway, BankTrend, TrendPoint
from services.overdue import AgingBucket, OverdueView

from .format import STATUS_COLORS, counted, money_float, signed_usd, usd

REVENUE_COLORS = ["#0b5cad", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#5d4037", "#455a64", "#f9a825"]
SEAT_COLORS = {
    "prorated": "#ef6c00",
    "filled a paid seat": "#2e7d32",
    "active": "#90a4ae",
    "left": "#cfd8dc",
}


FIGURES_KEPT = 512  # figures per builder; a few KiB each
Builder = TypeVar("Builder", bound=Callable[..., go.Figure])


def _kept(builder: Builder) -> Builder:
    """One figure per distinct (hashable) content; see the module docstring."""
    return functools.lru_cache(maxsize=FIGURES_KEPT)(builder)  # type: ignore[return-value]


def _tidy(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(height=height, margin=dict(l=0, r=0, t=30, b=0), legend=dict(orientation="h", y=1.08, x=0),
                         plot_bgcolor="white", hovermode="closest")
    figure.update_xaxes(showgrid=True, gridcolor="#eceff1")
    figure.update_yaxes(showgrid=True, gridcolor="#eceff1")
    return figure


def seat_timeline(view: InvoiceView, max_users: int = 60) -> go.Figure:
    """Who was active when in the closed period; prorated activations stand out."""
    changed = [b for b in view.seat_bars if b.kind != "active"]  # users active throughout add nothing to see
    bars = sorted(changed, key=lambda b: ({"prorated": 0, "filled a paid seat": 1, "left": 2}[b.kind], b.start, b.user_id))
    shown = tuple((view.named(b.user_id), b.user_id, b.start, b.end, b.kind) for b in bars[:max_users])
    return _seat_timeline(view.cycle.closed_period, shown)


@_kept
def _seat_timeline(period: Period, shown: tuple[tuple[str, str, date, date, str], ...]) -> go.Figure:
    figure = go.Figure()
    for kind, color in SEAT_COLORS.items():
        mine = [b for b in shown if b[4] == kind]
        if not mine:
            continue
        figure.add_trace(go.Bar(
            name=kind.capitalize(), orientation="h", marker_color=color,
            y=[name for name, *_ in mine],
            x=[((end - start).days + 1) * 86_400_000 for _, _, start, end, _ in mine],
            base=[start.isoformat() for _, _, start, _, _ in mine],
            hovertemplate="%{y}: %{base|%a %Y-%m-%d} for %{customdata} days<extra>" + kind + "</extra>",
            customdata=[(end - start).days + 1 for _, _, start, end, _ in mine],
        ))
    figure.add_vrect(x0=period.start.isoformat(), x1=(period.end + timedelta(days=1)).isoformat(),
                     fillcolor="#e3f2fd", opacity=0.35, line_width=0, layer="below",
                     annotation_text="closed period", annotation_position="top left")
    figure.update_xaxes(type="date", range=[(period.start - timedelta(days=7)).isoformat(), (period.end + timedelta(days=2)).isoformat()])
    figure.update_yaxes(autorange="reversed", type="category")
    figure = _tidy(figure, max(240, 22 * len({user_id for _, user_id, *_ in shown}) + 120))
    # The legend goes below the bars, clear of the closed period's label at the top.
    figure.update_layout(legend=dict(orientation="h", y=-0.12, yanchor="top", x=0), margin=dict(t=30, b=40))
    return figure


def bank_history(points: Sequence[BankPoint]) -> go.Figure:
    """The minute bank at each cutoff and after each replenishment: one axis, minutes."""
    return _bank_history(tuple(points))


@_kept
def _bank_history(points: tuple[BankPoint, ...]) -> go.Figure:
    figure = go.Figure()
    x = [p.cutoff for p in points]
    figure.add_trace(go.Scatter(name="At cutoff", x=x, y=[p.closing_balance for p in points], mode="lines+markers",
                                line=dict(color="#1565c0", width=3),
                                hovertemplate="%{x|%a %Y-%m-%d}: %{y:,} min at cutoff<extra></extra>"))
    figure.add_trace(go.Scatter(name="After replenishment", x=x, y=[p.after_replenishment for p in points],
                                mode="lines+markers", line=dict(color="#2e7d32", dash="dot"),
                                hovertemplate="%{x|%a %Y-%m-%d}: %{y:,} min for the next period<extra></extra>"))
    figure.add_hline(y=0, line_color="#c62828", line_width=1)
    figure.update_yaxes(title="Minutes", separatethousands=True)
    figure.update_xaxes(tickformat="%b %Y")
    return _tidy(figure, 300)


def change_waterfall(view: InvoiceView) -> go.Figure:
    """Previous total → each line's change → this total."""
    return _change_waterfall(view.cycle, tuple(view.changes))


@_kept
def _change_waterfall(cycle: Cycle, changes: tuple[LineChange, ...]) -> go.Figure:
    previous_total = sum((c.previous for c in changes), Decimal(0))
    moved = [c for c in changes if c.delta != 0]
    this_total = previous_total + sum((c.delta for c in moved), Decimal(0))
    figure = go.Figure(go.Waterfall(
        orientation="v",
        measure=["absolute"] + ["relative"] * len(moved) + ["total"],
        x=[f"Cycle {cycle.previous()}"] + [c.title for c in moved] + [f"Cycle {cycle}"],
        y=[money_float(previous_total)] + [money_float(c.delta) for c in moved] + [0],
        connector={"line": {"color": "#b0bec5"}},
        increasing={"marker": {"color": "#ef6c00"}},
        decreasing={"marker": {"color": "#2e7d32"}},
        totals={"marker": {"color": "#1565c0"}},
        # Labels and hover text come from the app's own money format, never
        # plotly's (which would print "$−1,452.18" with another minus sign).
        text=[usd(previous_total)] + [signed_usd(c.delta) for c in moved] + [usd(this_total)],
        textposition="outside", cliponaxis=False,
        hovertemplate="%{x}: %{text}<extra></extra>",
    ))
    figure.update_yaxes(tickprefix="$", separatethousands=True, title="Invoice total")
    return _tidy(figure, 360)


def bank_chart(detail: BankDetail) -> go.Figure:
    """The running period day by day on ONE minutes axis: the balance, the
    credits, and the projection to period end (dashed). Daily usage is in
    the hover (as bars on the same axis it would be too small to read)."""
    return _bank_chart(detail.runway, detail.days, detail.projection)


@_kept
def _bank_chart(runway: BankRunway, days: tuple[BankDay, ...], projection: tuple[tuple[date, int], ...]) -> go.Figure:
    figure = go.Figure()
    figure.add_trace(go.Scatter(name="Bank balance", x=[d.day for d in days], y=[d.balance for d in days],
                                mode="lines+markers", line=dict(color="#1565c0", width=3),
                                customdata=[d.used for d in days],
                                hovertemplate="%{x|%a %Y-%m-%d}: %{y:,} min in the bank, %{customdata:,} used<extra></extra>"))
    credits = [d for d in days if d.credited]
    if credits:
        figure.add_trace(go.Scatter(name="Credited (replenishment, onboarding)", x=[d.day for d in credits],
                                    y=[d.balance for d in credits], mode="markers",
                                    marker=dict(size=16, symbol="star", color="#2e7d32", line=dict(width=1, color="white")),
                                    customdata=[d.credited for d in credits],
                                    hovertemplate="%{x|%a %Y-%m-%d}: +%{customdata:,} min credited<extra></extra>"))
    if projection:
        figure.add_trace(go.Scatter(name=f"Projection at {runway.burn_per_day:,.0f} min/day", x=[p[0] for p in projection],
                                    y=[p[1] for p in projection], mode="lines", line=dict(color="#ef6c00", dash="dash"),
                                    hovertemplate="%{x|%a %Y-%m-%d}: %{y:,} min projected<extra></extra>"))
    figure.add_hline(y=0, line_color="#c62828", line_width=1)
    figure.update_layout(yaxis=dict(title="Minutes in the bank", separatethousands=True))
    figure.update_xaxes(range=[runway.period.start - timedelta(days=1), runway.period.end + timedelta(days=1)], tickformat="%b %d")
    return _tidy(figure, 340)


@_kept
def trend_chart(trend: BankTrend) -> go.Figure:
    """The bank cycle by cycle on ONE minutes axis: credited and used per
    closed period (bars), the closing balance (line); the running period's
    forecast at cutoff hatched and dashed, never drawn like history."""
    history = [p for p in trend.points if p.kind == "history"]
    so_far = [p for p in trend.points if p.kind == "so_far"]
    forecast = [p for p in trend.points if p.kind == "forecast"]
    figure = go.Figure()

    def hover(label: str) -> str:
        return ("Cycle %{customdata[0]}: %{y:,} min " + label + "<br>opened %{customdata[1]:,} · replenishment billed "
                "%{customdata[2]:,}<extra></extra>")

    def data(points: list[TrendPoint]) -> list[list[object]]:
        return [[str(p.cycle), p.opening, p.replenishment] for p in points]

    x = lambda points: [p.period.end for p in points]  # noqa: E731
    figure.add_trace(go.Bar(name="Credited", x=x(history + so_far), y=[p.credited for p in history + so_far],
                            marker_color="#81c784", customdata=data(history + so_far), hovertemplate=hover("credited")))
    figure.add_trace(go.Bar(name="Used", x=x(history + so_far), y=[p.used for p in history + so_far],
                            marker_color="#64b5f6", customdata=data(history + so_far),
                            hovertemplate=hover("used (so far in the running period)")))
    if forecast:
        figure.add_trace(go.Bar(name="Used, forecast at cutoff", x=x(forecast), y=[p.used for p in forecast],
                                marker=dict(color="rgba(100,181,246,0.35)", line=dict(color="#1565c0", width=1.5),
                                            pattern=dict(shape="/", fgcolor="#1565c0")),
                                customdata=data(forecast), hovertemplate=hover("used (forecast)")))
    figure.add_trace(go.Scatter(name="Closing balance", x=x(history), y=[p.closing for p in history], mode="lines+markers",
                                line=dict(color="#0d47a1", width=3), customdata=data(history),
                                hovertemplate=hover("at cutoff")))
    if history and forecast:
        tail = [history[-1], *forecast]
        figure.add_trace(go.Scatter(name="Closing balance, forecast", x=x(tail), y=[p.closing for p in tail],
                                    mode="lines+markers", line=dict(color="#ef6c00", width=3, dash="dash"),
                                    marker=dict(symbol="circle-open", size=10), customdata=data(tail),
                                    hovertemplate=hover("at cutoff (forecast)")))
    if so_far:
        figure.add_trace(go.Scatter(name="In the bank now", x=[trend.runway.today if trend.runway else so_far[0].period.end],
                                    y=[so_far[0].closing], mode="markers",
                                    marker=dict(symbol="diamond", size=12, color="#6a1b9a"),
                                    hovertemplate="Today: %{y:,} min in the bank<extra></extra>"))
    dry = trend.runway.dry_on if trend.runway else None
    if dry is not None and trend.points and dry <= trend.points[-1].period.end + timedelta(days=45):
        # a shape and an annotation: plotly's add_vline cannot place its annotation on a date axis
        figure.add_shape(type="line", x0=dry.isoformat(), x1=dry.isoformat(), y0=0, y1=1, yref="paper",
                         line=dict(color="#c62828", dash="dot", width=1.5))
        figure.add_annotation(x=dry.isoformat(), y=1, yref="paper", text=f"runs dry ~{dry:%b %d}", showarrow=False,
                              xanchor="right", yanchor="bottom", font=dict(color="#c62828", size=11))
    figure.add_hline(y=0, line_color="#c62828", line_width=1)
    figure.update_layout(barmode="group", bargap=0.25, yaxis=dict(title="Minutes", separatethousands=True))
    # Two-line month labels, never rotated: they stay readable on a phone.
    figure.update_xaxes(tickformat="%b<br>%Y", dtick="M1" if len(trend.points) <= 6 else "M3", tickangle=0)
    figure = _tidy(figure, 400)
    figure.update_layout(legend=dict(orientation="h", y=-0.24, yanchor="top", x=0), margin=dict(t=30, b=90))
    return figure


def aging_bars(view: OverdueView) -> go.Figure:
    return _aging_bars(view.buckets)


@_kept
def _aging_bars(buckets: tuple[AgingBucket, ...]) -> go.Figure:
    colors = ["#1565c0", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a"]
    figure = go.Figure(go.Bar(
        x=[b.label for b in buckets], y=[money_float(b.balance) for b in buckets],
        marker_color=colors[: len(buckets)],
        text=[f"${b.balance:,.2f}<br>{counted(b.invoices, 'invoice')}" for b in buckets], textposition="outside",
        hovertemplate="%{x}: $%{y:,.2f}<extra></extra>",
    ))
    figure.update_yaxes(tickprefix="$", separatethousands=True, title="Open balance")
    return _tidy(figure, 320)


@_kept
def invoice_totals(rows: tuple[tuple[str, float, str], ...]) -> go.Figure:
    """The overview's largest invoices of the cycle: (agency, total, state) rows, largest first."""
    frame = pd.DataFrame(list(rows), columns=["Agency", "Total", "State"])
    chart = px.bar(frame, x="Total", y="Agency", color="State", orientation="h",
                   color_discrete_map={"Issued": "#1565c0", "Preview": "#90a4ae"},
                   labels={"Total": "Invoice total (USD)"})
    chart.update_layout(height=420, margin=dict(l=0, r=0, t=10, b=0), yaxis=dict(autorange="reversed", title=None),
                        legend=dict(orientation="h", y=1.02, x=0, title=None), showlegend=frame["State"].nunique() > 1)
    chart.update_xaxes(tickprefix="$", separatethousands=True)
    return chart


@_kept
def payment_status(rows: tuple[tuple[str, int, str], ...]) -> go.Figure:
    """The overview's donut: (label, agencies, status key) rows with at least one agency."""
    frame = pd.DataFrame(list(rows), columns=["Status", "Agencies", "key"])
    donut = px.pie(frame, names="Status", values="Agencies", hole=0.55, color="key", color_discrete_map=STATUS_COLORS)
    donut.update_traces(textinfo="value", textposition="inside", sort=False)
    donut.update_layout(height=300, margin=dict(l=0, r=0, t=10, b=0), legend=dict(orientation="v", x=1, y=0.5))
    return donut


Series = tuple[str, tuple[float, ...], tuple[str, ...]]  # name, values, their hover text


@_kept
def revenue_bars(cycles: tuple[str, ...], series: tuple[Series, ...], collected: tuple[float, ...],
                 collected_text: tuple[str, ...]) -> go.Figure:
    """Billed per cycle, stacked by the split's parts, with collected as a dotted line."""
    figure = go.Figure()
    for index, (name, values, texts) in enumerate(series):
        figure.add_trace(go.Bar(
            name=name, x=list(cycles), y=list(values), marker_color=REVENUE_COLORS[index % len(REVENUE_COLORS)],
            customdata=list(texts), hovertemplate="%{x} · " + name.replace("%", "%%") + ": %{customdata}<extra></extra>",
        ))
    figure.add_trace(go.Scatter(name="Collected", x=list(cycles), y=list(collected), mode="lines+markers",
                                line=dict(color="#111418", width=2, dash="dot"), customdata=list(collected_text),
                                hovertemplate="%{x} · collected %{customdata}<extra></extra>"))
    figure.update_layout(barmode="stack", height=380, margin=dict(l=0, r=0, t=10, b=0), plot_bgcolor="white",
                         legend=dict(orientation="h", y=-0.2, yanchor="top"),
                         yaxis=dict(title="Billed (USD)", tickprefix="$", separatethousands=True, gridcolor="#eceff1"),
                         xaxis=dict(type="category", tickangle=-45))
    return figure


@_kept
def small_bars(cycles: tuple[str, ...], values: tuple[int, ...], title: str, unit: str) -> go.Figure:
    """Seats or minutes billed per cycle."""
    small = go.Figure(go.Bar(x=list(cycles), y=list(values), marker_color="#90a4ae",
                             hovertemplate="%{x}: %{y:,} " + unit + "<extra></extra>"))
    small.update_layout(height=240, margin=dict(l=0, r=0, t=30, b=0), title=title, plot_bgcolor="white",
                        yaxis=dict(separatethousands=True, gridcolor="#eceff1", title=unit), xaxis=dict(type="category"))
    return small


@_kept
def receivables_bars(months: tuple[str, ...], series: tuple[Series, ...]) -> go.Figure:
    """Owed at each month end, stacked by age."""
    figure = go.Figure()
    for index, (label, values, texts) in enumerate(series):
        figure.add_trace(go.Bar(name=label, x=list(months), y=list(values),
                                marker_color=["#1565c0", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a"][index % 5],
                                customdata=list(texts), hovertemplate="%{x} · " + label + ": %{customdata}<extra></extra>"))
    figure.update_layout(barmode="stack", height=380, margin=dict(l=0, r=0, t=10, b=0), plot_bgcolor="white",
                         legend=dict(orientation="h", y=-0.12, yanchor="top"),
                         yaxis=dict(title="Owed at month end (USD)", tickprefix="$", separatethousands=True,
                                    gridcolor="#eceff1"), xaxis=dict(type="category"))
    return figure

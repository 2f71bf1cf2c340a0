"""The review checks: each looks at one agency's live preview (the engine's
invoice and the facts it was priced from) beside stored facts the engine
does not read (earlier invoices, the last day with calls, who actually
called, the ledger, the agency's contact) and says, when something looks
off, what and why in one :class:`Finding`.

Pure functions of :class:`CheckInput` and the thresholds (settings.py,
``BILLING_REVIEW_*``): no database, so every check is tested on a case
built for it and on a clean one. Loading the input for a whole cycle in a
handful of queries is :mod:`services.review.service`.

While the cycle is in progress the preview a check reads is the *forecast
at cutoff* (``preview.forecast`` is set, ``preview.facts`` are the completed
facts), so a total, a bank or a replenishment is judged as it will be at the
cutoff, not on the days so far; the sentences of the checks that depend on
usage say "forecast at cutoff". Late data is judged only once the cutoff has
passed: before it, no day is missing yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from billing import LineCode, Status
from billing.calendar import weekday_date
from billing.forecast import standing
from billing.ledger import AgencyStatus
from billing.money import format_count, format_usd, plain
from db.queries.agencies import AgencyRecord
from db.queries.review import IssuedFigures, LateFacts
from settings import ReviewThresholds

from ..previews import CyclePreview
from .findings import Finding, FindingCode, LineMove, counted

HUNDRED = Decimal(100)
ONE_PLACE = Decimal("0.1")
TREND_CYCLES = 3  # replenishment is compared with the mean of this many earlier cycles


@dataclass(frozen=True)
class CheckInput:
    """Everything the checks read about one agency for one cycle."""

    agency: AgencyRecord
    preview: CyclePreview  # live: ``invoice`` and ``facts`` are set
    previous: CyclePreview | None  # the previous cycle's invoice (issued or preview)
    earlier: tuple[IssuedFigures, ...]  # earlier cycles, oldest first, the previous one last
    last_call_day: date | None  # the last day of the closed period with a call
    callers: frozenset[str]  # users whose last call is in the closed period or later
    status: AgencyStatus | None  # payment status today
    today: date
    late_facts: LateFacts | None = None  # facts of the previous, issued cycle imported after it was issued


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * HUNDRED / whole).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _by_code(preview: CyclePreview | None) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    for line in preview.snapshot.lines if preview else ():
        amounts[line.code] = amounts.get(line.code, Decimal("0.00")) + line.amount
    return amounts


def line_moves(current: CyclePreview, previous: CyclePreview | None) -> tuple[LineMove, ...]:
    """Each kind of line's amount then and now, the largest move first (unmoved left out)."""
    now, before = _by_code(current), _by_code(previous)
    moves = [LineMove(code.value, code.label, before.get(code.value, Decimal("0.00")), now.get(code.value, Decimal("0.00")))
             for code in LineCode if code.value in now or code.value in before]
    return tuple(sorted((m for m in moves if m.delta), key=lambda m: (-abs(m.delta), m.code)))


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + format_usd(value)


def _forecast_days(data: CheckInput) -> str:
    """" (7 of 30 days elapsed)" for a forecast at cutoff, "" for a final preview."""
    detail = data.preview.forecast
    return "" if detail is None else f" ({detail.standing.days_elapsed} of {detail.standing.days} days elapsed)"


def total_changed(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    if data.previous is None:
        return None
    before, now = data.previous.total, data.preview.total
    delta = now - before
    over_amount = limits.change_amount > 0 and abs(delta) > limits.change_amount
    over_share = limits.change_pct > 0 and before > 0 and abs(delta) * HUNDRED > limits.change_pct * before
    if not (over_amount or over_share):
        return None
    moves = line_moves(data.preview, data.previous)
    share = f" ({'+' if delta > 0 else ''}{plain(_pct(delta, before))}%)" if before > 0 else ""
    movers = ", ".join(f"{m.title} {_signed(m.delta)}" for m in moves[:3])
    what = f"The forecast at cutoff{_forecast_days(data)} totals" if data.preview.is_forecast else "The total is"
    then = "in the forecast at cutoff of cycle" if data.previous.is_forecast else "in cycle"
    return Finding(
        FindingCode.TOTAL_CHANGED,
        f"{what} {format_usd(now)}, {'up' if delta > 0 else 'down'} {format_usd(abs(delta))}{share} from "
        f"{format_usd(before)} {then} {data.previous.cycle}" + (f"; moved most by {movers}." if movers else "."),
        (("total", plain(now)), ("previous_total", plain(before)), ("change", plain(delta)),
         ("change_pct", plain(_pct(delta, before)) if before > 0 else "")),
        lines=moves,
    )


def idle_seats(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    facts = data.preview.facts
    assert facts is not None
    cutoff = data.preview.cycle.cutoff
    seats = data.preview.seats_billed
    callers = sum(1 for user in facts.users if user.is_active_on(cutoff) and user.id in data.callers)
    idle = seats - callers
    if seats <= 0 or idle <= 0 or idle * HUNDRED <= limits.idle_seats_pct * seats:
        return None
    period = f"closed period so far{_forecast_days(data)}" if data.preview.is_forecast else "closed period"
    return Finding(
        FindingCode.IDLE_SEATS,
        f"{counted(seats, 'seat')} billed, but only {counted(callers, 'user')} active at cutoff made a call in the "
        f"{period}: {counted(idle, 'seat')} ({plain(_pct(Decimal(idle), Decimal(seats)))}%) look idle.",
        (("seats_billed", seats), ("callers", callers), ("idle", idle)),
    )


def minimum_binding(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    facts = data.preview.facts
    assert facts is not None
    minimum = facts.contract.minimum_users
    if data.preview.seats_billed <= data.preview.snapshot.headcount_at_cutoff:
        return None
    streak = 1
    expected = data.preview.cycle.previous()
    for figures in reversed(data.earlier):
        if figures.cycle != expected or figures.seats_billed <= figures.headcount_at_cutoff:
            break
        streak, expected = streak + 1, expected.previous()
    if streak < limits.minimum_cycles:
        return None
    headcount = data.preview.snapshot.headcount_at_cutoff
    return Finding(
        FindingCode.MINIMUM_BINDING,
        f"The contract minimum of {counted(minimum, 'user')} has been billed for {counted(streak, 'cycle')} in a row "
        f"({format_count(headcount)} active at this cutoff): the agency pays for seats it does not use.",
        (("minimum", minimum), ("headcount", headcount), ("cycles", streak)),
    )


def bank_negative(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    closing = data.preview.closing_balance
    if closing >= 0:
        return None
    if data.preview.is_forecast:
        said = (f"In the forecast at cutoff{_forecast_days(data)} the minute bank closes at {format_count(closing)} "
                "minutes: at its recent rate the agency will use more than it had pre-paid; the deficit is part of "
                f"the forecast replenishment of {format_count(data.preview.replenishment)} minutes.")
    else:
        said = (f"The minute bank closes at {format_count(closing)} minutes: the agency used more than it had "
                f"pre-paid; the deficit is part of this replenishment of {format_count(data.preview.replenishment)} "
                "minutes.")
    return Finding(
        FindingCode.BANK_NEGATIVE,
        said,
        (("closing_balance", closing), ("replenishment", data.preview.replenishment)),
    )


def replenishment_off_trend(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    recent = [f.replenishment for f in data.earlier[-TREND_CYCLES:]]
    if len(recent) < 2 or limits.trend_pct <= 0:
        return None
    mean = Decimal(sum(recent)) / len(recent)
    now = Decimal(data.preview.replenishment)
    if mean <= 0 or abs(now - mean) * HUNDRED <= limits.trend_pct * mean:
        return None
    rounded_mean = int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    off = _pct(abs(now - mean), mean)
    billed = f"forecast at cutoff{_forecast_days(data)}" if data.preview.is_forecast else "pre-billed"
    return Finding(
        FindingCode.REPLENISHMENT_OFF_TREND,
        f"{format_count(int(now))} minutes {billed}, {off:,}% {'above' if now > mean else 'below'} the mean of "
        f"the last {counted(len(recent), 'cycle')} ({format_count(rounded_mean)}).",
        (("replenishment", int(now)), ("recent_mean", rounded_mean), ("off_pct", plain(off))),
    )


def _services(data: CheckInput) -> list[tuple[str, int, str, bool]]:
    """(service, usage, what counts, has a rate) for each usage-priced service."""
    facts = data.preview.facts
    assert facts is not None
    contract, calls = facts.contract, facts.call_totals
    return [
        ("appointments", facts.completed_appointments, "completed appointments", contract.appointment_fee is not None),
        ("ai_transcription", calls.transcribed_seconds, "transcribed seconds", contract.transcription_rate is not None),
        ("number_cleaning", facts.active_numbers, "active dialing numbers", contract.number_cleaning_rate is not None),
    ]


def usage_without_rate(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    # Dialing numbers are every agency's; only a cleaning *subscription* makes them a service.
    found = [(name, used, what) for name, used, what, rated in _services(data)
             if used > 0 and not rated and name != "number_cleaning"]
    if not found:
        return None
    basis = f" (forecast at cutoff{_forecast_days(data)})" if data.preview.is_forecast else ""
    return Finding(
        FindingCode.USAGE_WITHOUT_RATE,
        f"Used but not in the contract, so not billed{basis}: "
        + ", ".join(f"{format_count(used)} {what}" for _, used, what in found)
        + ". Add the rate to the contract, or acknowledge that it is free.",
        tuple((name, used) for name, used, _ in found),
    )


def rate_without_usage(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    """Before the cutoff: judged on the forecast at cutoff, and not at all
    while no day of the period is over (nothing can have been used yet)."""
    detail = data.preview.forecast
    if detail is not None and not detail.standing.days_elapsed:
        return None
    found = [(name, what) for name, used, what, rated in _services(data) if rated and used == 0]
    if not found:
        return None
    when = f"so far{_forecast_days(data)} and in the forecast at cutoff" if detail is not None else "this period"
    return Finding(
        FindingCode.RATE_WITHOUT_USAGE,
        f"In the contract but unused {when}: no " + ", no ".join(what for _, what in found)
        + " (is the data missing, or the service cancelled?).",
        tuple((name, 0) for name, _ in found),
    )


def late_data(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    """Only once the cutoff has passed (the cycle is final): before it, the
    last days before the cutoff have not happened yet, and a quiet day or two
    among the elapsed ones is too often a weekend or an export not run yet to
    block on. Lateness before the cutoff shows as a low forecast instead."""
    cycle = data.preview.cycle
    if not standing(cycle, data.today).is_final or data.preview.snapshot.headcount_at_cutoff == 0:
        return None
    first_quiet = cycle.cutoff - timedelta(days=limits.quiet_days - 1)
    last = data.last_call_day
    if last is not None and last >= first_quiet:
        return None
    since = "no call at all in the closed period" if last is None else f"the last call is on {weekday_date(last)}"
    return Finding(
        FindingCode.LATE_DATA,
        f"No call imported for the last {counted(limits.quiet_days, 'day')} before the cutoff "
        f"({weekday_date(cycle.cutoff)}); {since}. The dialer's export is probably late: import it before approving.",
        (("last_call_day", "" if last is None else last.isoformat()), ("quiet_days", limits.quiet_days)),
    )


def onboarded_in_period(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    if data.agency.first_cycle != data.preview.cycle:
        return None
    onboarding = data.preview.snapshot.lines_with(LineCode.ONBOARDING_MINUTES.value)
    minutes = sum(line.quantity for line in onboarding)
    return Finding(
        FindingCode.ONBOARDED_IN_PERIOD,
        f"Onboarded on {weekday_date(data.agency.onboarded_on)}: its first invoice, with "
        f"{format_count(minutes)} onboarding minutes and every activation prorated.",
        (("onboarded_on", data.agency.onboarded_on.isoformat()), ("onboarding_minutes", minutes)),
    )


def previous_open(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    status = data.status
    if status is None or not status.open_invoices:
        return None
    oldest = max(status.open_invoices, key=lambda o: o.days_overdue)
    overdue = f", {counted(oldest.days_overdue, 'day')} overdue" if oldest.days_overdue else ", not yet due"
    return Finding(
        FindingCode.PREVIOUS_OPEN,
        f"{counted(len(status.open_invoices), 'earlier bill')} still open, {format_usd(status.balance)} in all "
        f"(oldest {oldest.invoice.number}{overdue}) on {weekday_date(data.today)}.",
        (("open_invoices", len(status.open_invoices)), ("balance", plain(status.balance)),
         ("oldest", oldest.invoice.number), ("days_overdue", oldest.days_overdue)),
    )


def restricted(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    status = data.status
    if status is None or status.status is not Status.RESTRICTED:
        return None
    return Finding(
        FindingCode.RESTRICTED,
        f"Dialer access is restricted ({counted(status.days_overdue, 'day')} overdue, "
        f"{format_usd(status.amount_to_lift_or_avoid_restriction)} to pay to lift it).",
        (("days_overdue", status.days_overdue), ("to_lift", plain(status.amount_to_lift_or_avoid_restriction))),
    )


def no_billing_contact(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    if (data.agency.billing_email or "").strip():
        return None
    return Finding(
        FindingCode.NO_BILLING_CONTACT,
        "No billing e-mail on file: nobody would receive this invoice. Import the agency with its billing_email.",
        (("billing_email", ""),),
    )


def import_warnings(data: CheckInput, limits: ReviewThresholds) -> Finding | None:
    """The imports' warnings about the previous cycle: its facts arrived after
    it was issued, so they are on neither invoice (calls count by the day they
    started). The cycle under review is not issued, so its own facts never warn."""
    late = data.late_facts
    if late is None or not late.counts:
        return None
    previous = data.preview.cycle.previous()
    what = ", ".join(f"{format_count(count)} {noun if count != 1 else noun.rstrip('s')}" for noun, count in late.counts)
    return Finding(
        FindingCode.IMPORT_WARNINGS,
        f"Imports after cycle {previous} was issued stored {what} of its period ({', '.join(late.files[:3])}, last on "
        f"{weekday_date(late.last_at.date())}): they are on neither invoice; an adjustment may be due.",
        (*late.counts, ("cycle", str(previous))),
    )


CHECKS: tuple[Callable[[CheckInput, ReviewThresholds], Finding | None], ...] = (
    total_changed, usage_without_rate, late_data, no_billing_contact, idle_seats, minimum_binding, bank_negative,
    replenishment_off_trend, rate_without_usage, onboarded_in_period, previous_open, restricted, import_warnings,
)


def run_checks(data: CheckInput, limits: ReviewThresholds) -> tuple[Finding, ...]:
    """Every finding for one agency, blocking first, in the order of :data:`CHECKS`."""
    found = [finding for check in CHECKS if (finding := check(data, limits)) is not None]
    return tuple(sorted(found, key=lambda f: f.severity.rank))

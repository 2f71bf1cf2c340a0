"""A month grid in HTML with the billing cycle's key dates marked.

Only our own text goes into it (dates and fixed labels), never user data.
"""

from __future__ import annotations

import calendar as month_math
from datetime import date
from html import escape

from billing import CycleCalendar

MARKS = {
    "Housekeeping reminder 1": ("#fff3e0", "#a84300", "Reminder 1"),
    "Housekeeping reminder 2": ("#fff3e0", "#a84300", "Reminder 2"),
    "Cutoff (end of day)": ("#ede7f6", "#5e35b1", "Cutoff"),
    "Invoice date": ("#e3f2fd", "#1565c0", "Invoice"),
    "Due date": ("#e8f5e9", "#1b5e20", "Due"),
    "Restriction date": ("#ffebee", "#c62828", "Restriction"),
    "Closed period starts": ("#eceff1", "#455a64", "Period start"),
}

_STYLE = """
<style>
.bc-month{font-family:inherit;border-collapse:separate;border-spacing:3px;width:100%;table-layout:fixed}
.bc-month caption{font-weight:600;font-size:1.05rem;text-align:left;padding:4px 2px}
.bc-month th{font-size:.75rem;color:#455a64;font-weight:600;text-align:center}
.bc-month td{height:58px;vertical-align:top;border-radius:6px;padding:3px 5px;font-size:.8rem;background:#fafafa}
.bc-month td.out{background:transparent;color:#cfd8dc}
.bc-month td.closed{background:#e3f2fd}
.bc-month td.today{outline:2px solid #1565c0}
.bc-day{font-weight:600}
.bc-tag{display:block;margin-top:2px;border-radius:4px;padding:0 4px;font-size:.68rem;font-weight:600;line-height:1.25}
.bc-legend span{display:inline-block;margin-right:10px;font-size:.75rem}
</style>
"""


def month_grid_html(year: int, month: int, calendars: list[CycleCalendar], today: date) -> str:
    marks: dict[date, list[str]] = {}
    for cal in calendars:
        for day, name in cal.key_dates():
            marks.setdefault(day, []).append(name)
    closed = [(cal.closed_period.start, cal.closed_period.end) for cal in calendars]
    weeks = month_math.Calendar(firstweekday=6).monthdatescalendar(year, month)  # weeks start on Sunday
    rows = []
    for week in weeks:
        cells = []
        for day in week:
            classes = []
            if day.month != month:
                classes.append("out")
            elif any(start <= day <= end for start, end in closed):
                classes.append("closed")
            if day == today:
                classes.append("today")
            tags = ""
            if day.month == month:
                for name in marks.get(day, []):
                    background, color, label = MARKS[name]
                    tags += f'<span class="bc-tag" style="background:{background};color:{color}">{escape(label)}</span>'
                if day == today:
                    tags += '<span class="bc-tag" style="background:#1565c0;color:white">Today</span>'
            if day.month != month:  # another month's day: an empty cell (its own grid shows it)
                cells.append('<td class="out"></td>')
                continue
            cells.append(f'<td class="{" ".join(classes)}" title="{day:%A %Y-%m-%d}"><span class="bc-day">{day.day}</span>{tags}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f"<th>{name}</th>" for name in ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"))
    caption = (date(year, month, 1).strftime("%B %Y")
               + ' <span style="font-weight:400;font-size:.75rem;color:#455a64">(blue: closed periods)</span>')
    return f'{_STYLE}<table class="bc-month"><caption>{caption}</caption><tr>{header}</tr>{"".join(rows)}</table>'

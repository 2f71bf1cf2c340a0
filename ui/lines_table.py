"""The invoice's lines as an HTML table: explanations wrap, numbers line up.

Every piece of text is escaped; only our own tags reach the page.
"""

from __future__ import annotations

from html import escape

from services.invoices import DocumentLine

from .format import count, usd

_STYLE = """
<style>
.inv-lines{width:100%;border-collapse:collapse;font-size:0.92rem}
.inv-lines th{background:#1f4e79;color:white;text-align:left;padding:8px 10px;font-weight:600}
.inv-lines th.n,.inv-lines td.n{text-align:right;white-space:nowrap}
.inv-lines td{padding:8px 10px;vertical-align:top;border-bottom:1px solid #e0e6ed}
.inv-lines tr:nth-child(even) td{background:#f6f8fb}
.inv-lines .why{color:#4f5b69;font-size:0.85rem;margin-top:2px;line-height:1.35}
.inv-lines tfoot td{font-weight:700;font-size:1.05rem;border-bottom:none;border-top:2px solid #1f4e79}
</style>
"""


def lines_table_html(lines: tuple[DocumentLine, ...], total_text: str) -> str:
    rows = "".join(
        "<tr>"
        f'<td><div><b>{escape(line.title)}</b></div><div class="why">{escape(line.description)}</div></td>'
        f'<td class="n">{escape(count(line.quantity))}</td>'
        f'<td class="n">{escape(usd(line.unit_price))}</td>'
        f'<td class="n">{escape(usd(line.amount))}</td>'
        "</tr>"
        for line in lines
    )
    return (
        f'{_STYLE}<table class="inv-lines"><thead><tr><th>Line and why</th><th class="n">Quantity</th>'
        f'<th class="n">Unit price</th><th class="n">Amount</th></tr></thead><tbody>{rows}</tbody>'
        f'<tfoot><tr><td></td><td></td><td class="n">Total</td><td class="n">{escape(total_text)}</td></tr></tfoot></table>'
    )

"""The invoice's lines as an HTML table: explanations wrap, numbers line up.
On a narrow screen (a phone, 390 px) each line becomes a card: the title and
its amount on top, the explanation under the title at nearly full width,
quantity and unit price below, so the amount is never clipped.

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
@media (max-width: 640px){
.inv-lines thead{display:none}
.inv-lines,.inv-lines tbody,.inv-lines tfoot{display:block;width:100%}
.inv-lines tr{display:grid;grid-template-columns:1fr auto;grid-template-areas:"main amount" "qty price";
  border-bottom:1px solid #e0e6ed;padding:4px 0}
.inv-lines tr:nth-child(even){background:#f6f8fb}
.inv-lines td,.inv-lines tr:nth-child(even) td{border:none;padding:3px 8px;background:transparent}
.inv-lines td.main{grid-area:main}
.inv-lines td.amount{grid-area:amount;font-weight:700}
.inv-lines td.qty{grid-area:qty;text-align:left;font-size:.85rem;color:#4f5b69}
.inv-lines td.price{grid-area:price;font-size:.85rem;color:#4f5b69}
.inv-lines td.qty::before{content:"Quantity "}
.inv-lines td.price::before{content:"at "}
.inv-lines tfoot tr{grid-template-areas:"main amount";border-top:2px solid #1f4e79;border-bottom:none}
.inv-lines tfoot td{border-top:none}
.inv-lines tfoot td.blank{display:none}
}
</style>
"""


def lines_table_html(lines: tuple[DocumentLine, ...], total_text: str) -> str:
    rows = "".join(
        "<tr>"
        f'<td class="main"><div><b>{escape(line.title)}</b></div><div class="why">{escape(line.description)}</div></td>'
        f'<td class="n qty">{escape(count(line.quantity))}</td>'
        f'<td class="n price">{escape(usd(line.unit_price))}</td>'
        f'<td class="n amount">{escape(usd(line.amount))}</td>'
        "</tr>"
        for line in lines
    )
    return (
        f'{_STYLE}<table class="inv-lines"><thead><tr><th>Line and why</th><th class="n">Quantity</th>'
        f'<th class="n">Unit price</th><th class="n">Amount</th></tr></thead><tbody>{rows}</tbody>'
        f'<tfoot><tr><td class="blank"></td><td class="blank"></td><td class="n main">Total</td>'
        f'<td class="n amount">{escape(total_text)}</td></tr></tfoot></table>'
    )

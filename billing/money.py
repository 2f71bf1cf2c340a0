"""Exact money arithmetic: parsing, rounding and formatting.

Every amount on an invoice is a ``Decimal`` rounded half-up to cents exactly
once (BILLING_RULES.md section 3). Intermediate values that are not decimal
fractions (a fee times days over a period length) are kept as ``Fraction`` so
that rounding happens on the exact value, never on an approximation.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

_DECIMAL_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")


def parse_decimal(text: str) -> Decimal:
    """Parse a plain non-negative decimal (``"150"``, ``"0.0150"``).

    Signs, exponents, spaces, thousands separators and currency symbols are
    rejected, because a money field that silently accepts ``"1e3"`` invites
    mistakes nobody sees until the invoice is wrong.
    """
    if not isinstance(text, str) or not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError(f"must be a decimal string like \"150.00\", got {text!r}")
    return Decimal(text)


def decimal_places(value: Decimal) -> int:
    """Number of digits after the decimal point as written (``1.50`` → 2)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def round_cents(value: Decimal | Fraction | int) -> Decimal:
    """Round an exact value half-up (away from zero on a tie) to cents."""
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    hundredths = abs(Fraction(value)) * 100
    whole, remainder = divmod(hundredths.numerator, hundredths.denominator)
    if 2 * remainder >= hundredths.denominator:
        whole += 1
    sign = -1 if value < 0 else 1
    return (Decimal(sign * whole) / 100).quantize(CENT)


def plain(value: Decimal) -> str:
    """A decimal as written, never in exponent notation (``0.0150``)."""
    return format(value, "f")


def format_usd(value: Decimal, *, places: int | None = None) -> str:
    """``$12,345.67``; negative as ``-$5.00``. Rates keep their own places."""
    if places is None:
        places = max(2, decimal_places(value))
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{places}f}"


def format_count(value: int) -> str:
    """``35,471`` — thousands separators for people, never for machines."""
    return f"{value:,}"

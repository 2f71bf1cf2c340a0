"""Exact money arithmetic: parsing, rounding and formatting.

Every amount on an invoice is a ``Decimal`` rounded half-up to cents exactly
once (BILLING_RULES.md section 3). Intermediate values that are not decimal
fractions (a fee times days over a period length) are kept as ``Fraction`` so
that rounding happens on the exact value, never on an approximation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    localcontext,
)
from fractions import Fraction
from typing import TypeVar

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The default context keeps 28 significant digits: a product or sum with more
# would be rounded there first and again to cents, or quantize would fail.
# Money is only added, subtracted and multiplied, so unbounded precision is
# exact and costs nothing for ordinary amounts. Divide only by powers of ten
# under it: a quotient that does not terminate would never finish.
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP)
_F = TypeVar("_F", bound=Callable)


def exact(function: _F) -> _F:
    """Run ``function`` with exact decimal arithmetic (see :data:`EXACT`)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        with localcontext(EXACT):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


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


@exact
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

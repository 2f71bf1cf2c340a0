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
# The engine stays exact far beyond any real amount, but a megabyte of digits
# is an attack, not money: arithmetic on it would take minutes.
MAX_DECIMAL_TEXT = 1000


def parse_decimal(text: str) -> Decimal:
    """Parse a plain non-negative decimal (``"150"``, ``"0.0150"``).

    Signs, exponents, spaces, thousands separators and currency symbols are
    rejected, because a money field that silently accepts ``"1e3"`` invites
    mistakes nobody sees until the invoice is wrong.
    """
    if isinstance(text, str) and len(text) > MAX_DECIMAL_TEXT:
        raise ValueError(f"must be a decimal string of at most {MAX_DECIMAL_TEXT:,} characters, got {len(text):,}")
    if not isinstance(text, str) or not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError(f"must be a decimal string like \"150.00\", got {text!r}")
    return Decimal(text)


MAX_AMOUNT_LENGTH = 40  # characters a person types for an amount: longer text is not one


class AmountError(ValueError):
    """Why a typed amount is not one, as words a person can act on
    (``"must not contain underscores"``); the caller names the field."""


MAX_WHOLE_DIGITS = 12  # 999,999,999,999.99 is more than any invoice we bill
_TYPED_AMOUNT = re.compile(r"\$?(?P<number>(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?)")
_ASCII_DIGITS = frozenset("0123456789")


def parse_amount(text: str, *, places: int = 2, typed: bool = True) -> Decimal:
    """The one parser of money (and rates) written by people.

    ``typed=True`` (forms, the command line) accepts what a person types:
    ``1000``, ``1000.00``, ``1,000.00`` and ``$1,000.00``. ``typed=False``
    (CSV files) accepts plain decimals only (``1000.00``, ``0.0150``).
    Either way exponents, underscores, signs, spaces inside, digits other
    than 0-9 and more than ``places`` decimals are refused with a reason in
    words, because ``Decimal()`` would read ``1e3``, ``1_000`` and ``١٠٠٠``
    and nobody would notice until the invoice is wrong. Extra zeros after
    ``places`` are only zeros: ``125.000`` is $125.00. Money (two places)
    comes back in cents (``125`` -> ``125.00``); a rate as written.
    """
    if not isinstance(text, str):
        raise AmountError(f"must be written as text, not {type(text).__name__}")
    cleaned = text.strip()
    example = "1,250.00" if places == 2 else "0.0150"
    if not cleaned:
        raise AmountError("is required")
    if len(cleaned) > MAX_AMOUNT_LENGTH:
        raise AmountError("is too long to be an amount")
    if any(ch.isnumeric() and ch not in _ASCII_DIGITS for ch in cleaned):
        raise AmountError("must be written with the digits 0-9")
    if cleaned[0] in "-+−" or cleaned.startswith(("$-", "$+")):
        raise AmountError("must be written without a sign" if cleaned[0] == "+" else "must not be negative")
    if "_" in cleaned:
        raise AmountError(f"must not contain underscores; write it like {example}")
    if "e" in cleaned.lower() and any(ch in _ASCII_DIGITS for ch in cleaned):
        raise AmountError(f"must be written out in digits, like {example}, not as an exponent")
    if not typed and "$" in cleaned:
        raise AmountError(f"must be a plain number without a currency sign, like {example}")
    if not typed and "," in cleaned:
        raise AmountError(f"must be a plain number without thousands separators, like {example}")
    match = _TYPED_AMOUNT.fullmatch(cleaned)
    if match is None:
        if "," in cleaned and _TYPED_AMOUNT.fullmatch(cleaned.replace(",", "")):
            raise AmountError(f"has its thousands separators in the wrong places; write it like {example}")
        raise AmountError(f"is not an amount; write it like {example}")
    value = Decimal(match["number"].replace(",", ""))
    whole_digits = len(match["number"].split(".")[0].replace(",", "").lstrip("0"))
    if whole_digits > MAX_WHOLE_DIGITS:
        raise AmountError("is larger than any amount we bill")
    if decimal_places(value) > places:
        trimmed = value.quantize(Decimal(1).scaleb(-places))
        if trimmed != value:
            raise AmountError(f"has more than {places} decimal places" + (": amounts are in cents" if places == 2 else ""))
        value = trimmed
    return value.quantize(CENT) if places == 2 else value


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


def format_signed_usd(value: Decimal) -> str:
    """A change or a deduction: ``+$5.00``, ``-$5.00``, ``$0.00``. The one
    signed form on screen and in PDFs: the ASCII minus of :func:`format_usd`
    (which ``st.metric`` also reads to point its arrow down)."""
    return ("+" if value > 0 else "") + format_usd(value)


def format_count(value: int) -> str:
    """``35,471`` — thousands separators for people, never for machines."""
    return f"{value:,}"

"""Column types that keep money and rates exact on SQLite and PostgreSQL.

PostgreSQL's unconstrained ``NUMERIC`` keeps a decimal exactly as written,
trailing zeros included (``0.0150``). SQLite has no decimal type at all —
SQLAlchemy's ``Numeric`` would store a float there — so on SQLite the value
is kept as its plain text. Either way a value with more decimal places than
the column allows is *rejected*, never rounded: ``1.005`` is not money.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from billing.money import decimal_places, plain

MONEY_PLACES = 2
RATE_PLACES = 4


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` stored exactly, with at most ``places`` decimals."""

    impl = String(40)
    cache_ok = True

    def __init__(self, places: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = places

    def __repr__(self) -> str:
        return f"ExactDecimal({self.places})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.NUMERIC())
        return dialect.type_descriptor(String(40))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = to_exact_decimal(value, self.places)
        return exact if dialect.name == "postgresql" else plain(exact)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


def to_exact_decimal(value: Any, places: int) -> Decimal:
    """Convert without losing anything, or refuse.

    Floats are refused outright: ``0.1`` as a float is not one tenth.
    """
    if isinstance(value, float | bool):
        raise ValueError(f"money must be a Decimal or a decimal string, not {type(value).__name__} {value!r}")
    try:
        exact = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not exact.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    if decimal_places(exact) > places:
        trimmed = exact.quantize(Decimal(1).scaleb(-places))
        if trimmed != exact:
            raise ValueError(f"{plain(exact)} has more than {places} decimal places")
        return trimmed  # 150.0000 is 150.00: same value, fewer zeros
    return exact


def Money() -> ExactDecimal:
    return ExactDecimal(MONEY_PLACES)


def Rate() -> ExactDecimal:
    return ExactDecimal(RATE_PLACES)

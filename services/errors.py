"""The errors a person can act on, as the pages and the command line see them.

They are raised by the services (and by the query functions beneath them,
which is why they are defined in :mod:`db.errors`); pages, ``ui/`` and
``manage.py`` import them from here and never from ``db``.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from db.errors import BillingError, FieldError, InvoiceIntegrityError, NotFound

__all__ = ["BillingError", "FieldError", "InvoiceIntegrityError", "NotFound", "one_line"]


def one_line(error: BaseException) -> str:
    """An exception as one line with no traceback and no secrets: a database
    error shows its driver's first line, never the URL it connected to."""
    if isinstance(error, SQLAlchemyError):
        cause = getattr(error, "orig", None) or error
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        return f"the database refused or could not be reached: {first}"
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror or error}: {error.filename}"
    return (str(error).strip().splitlines() or [type(error).__name__])[0]

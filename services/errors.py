"""The errors a person can act on, as the pages and the command line see them.

They are raised by the services (and by the query functions beneath them,
which is why they are defined in :mod:`db.errors`); pages, ``ui/`` and
``manage.py`` import them from here and never from ``db``.
"""

from __future__ import annotations

from db.errors import BillingError, FieldError, InvoiceIntegrityError, NotFound

__all__ = ["BillingError", "FieldError", "InvoiceIntegrityError", "NotFound"]

"""Which day it is, in the billing time zone: the app's one clock.

The clock itself is the leaf module :mod:`clock` (``db`` stamps records
with it too); this module is the name the pages and services use.
"""

from __future__ import annotations

from datetime import date

import clock
from settings import billing_zone

__all__ = ["billing_today", "billing_zone"]


def billing_today() -> date:
    """The business day: ``BILLING_TODAY`` when pinned, else today in the billing zone."""
    return clock.today()

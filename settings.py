"""Deployment settings read from the environment, in one place.

A leaf module: ``db`` and ``services`` both read it, it imports nothing of
ours, so configuration never makes a layer point the wrong way.

- ``BILLING_TIMEZONE``: the billing time zone (default America/New_York).
- ``BILLING_TODAY``: pin "today" (``YYYY-MM-DD``) for demos, screenshots, tests.
"""

from __future__ import annotations

import os

DEFAULT_ZONE = "America/New_York"


def billing_zone() -> str:
    return os.environ.get("BILLING_TIMEZONE", "").strip() or DEFAULT_ZONE


def pinned_today() -> str | None:
    return os.environ.get("BILLING_TODAY", "").strip() or None

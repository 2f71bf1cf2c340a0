"""Logging, with the standard library: one line per thing that happened
(issuing, imports, payments, adjustments, account changes, sign-in failures
and lockouts, seed errors), each naming the agency and the actor.

No line carries a password, a password hash or a database URL's password;
amounts and references are fine (they are in the audit log too). The level
is ``BILLING_LOG_LEVEL`` (default INFO); lines go to stderr, where Streamlit
and ``manage.py`` already write, so any process supervisor collects them.
"""

from __future__ import annotations

import logging

import settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PACKAGES = ("services", "db", "reports", "ui", "manage")  # module loggers: logging.getLogger(__name__)


def configure() -> None:
    """Send our modules' log lines to stderr at the configured level.
    Idempotent: Streamlit runs the app script again on every interaction."""
    level = settings.current().log_level
    for name in PACKAGES:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(getattr(h, "_billing", False) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(FORMAT))
            handler._billing = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
            logger.propagate = False

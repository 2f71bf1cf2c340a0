"""Errors a person can act on: what, where, and what to do instead."""

from __future__ import annotations


class BillingError(Exception):
    """A request the billing rules refuse (one clear sentence)."""


class NotFound(BillingError):
    """Something named by a person does not exist (an agency, an invoice)."""


class FieldError(BillingError):
    """A form or command-line value that is not acceptable."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class InvoiceIntegrityError(BillingError):
    """An issued invoice whose stored row does not match its content hash:
    it was changed outside the app, and nothing may be computed from it."""

    def __init__(self, message: str, numbers: list[str]) -> None:
        super().__init__(message)
        self.numbers = numbers

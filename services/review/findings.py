"""What a review check says about one agency's preview: a finding.

Each finding has a code (what was checked), a severity that comes with the
code (a *blocking* finding keeps the agency from being approved until
someone acknowledges it; a *warning* is there to be read), the numbers
behind it and one plain sentence. The numbers are also its fingerprint
(:attr:`Finding.evidence_hash`): an acknowledgement covers a finding only
while it states the same numbers, so a late import that moves them asks
for a fresh look.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum

from billing.money import format_count

from ..invoices import LineChange


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        """Sort order: blocking first."""
        return 0 if self is Severity.BLOCKING else 1

    @property
    def label(self) -> str:
        return "Blocking" if self is Severity.BLOCKING else "Warning"


class FindingCode(StrEnum):
    TOTAL_CHANGED = "total_changed"
    IDLE_SEATS = "idle_seats"
    MINIMUM_BINDING = "minimum_binding"
    BANK_NEGATIVE = "bank_negative"
    REPLENISHMENT_OFF_TREND = "replenishment_off_trend"
    USAGE_WITHOUT_RATE = "usage_without_rate"
    RATE_WITHOUT_USAGE = "rate_without_usage"
    LATE_DATA = "late_data"
    ONBOARDED_IN_PERIOD = "onboarded_in_period"
    PREVIOUS_OPEN = "previous_open"
    RESTRICTED = "restricted"
    NO_BILLING_CONTACT = "no_billing_contact"
    IMPORT_WARNINGS = "import_warnings"

    @property
    def severity(self) -> Severity:
        return SEVERITIES[self]

    @property
    def label(self) -> str:
        return LABELS[self]


# Blocking: the invoice is likely wrong or cannot reach anyone until someone looks.
SEVERITIES: dict[FindingCode, Severity] = {
    FindingCode.TOTAL_CHANGED: Severity.BLOCKING,
    FindingCode.USAGE_WITHOUT_RATE: Severity.BLOCKING,
    FindingCode.LATE_DATA: Severity.BLOCKING,
    FindingCode.NO_BILLING_CONTACT: Severity.BLOCKING,
    FindingCode.IDLE_SEATS: Severity.WARNING,
    FindingCode.MINIMUM_BINDING: Severity.WARNING,
    FindingCode.BANK_NEGATIVE: Severity.WARNING,
    FindingCode.REPLENISHMENT_OFF_TREND: Severity.WARNING,
    FindingCode.RATE_WITHOUT_USAGE: Severity.WARNING,
    FindingCode.ONBOARDED_IN_PERIOD: Severity.WARNING,
    FindingCode.PREVIOUS_OPEN: Severity.WARNING,
    FindingCode.RESTRICTED: Severity.WARNING,
    FindingCode.IMPORT_WARNINGS: Severity.WARNING,
}

LABELS: dict[FindingCode, str] = {
    FindingCode.TOTAL_CHANGED: "Total changed",
    FindingCode.IDLE_SEATS: "Idle seats",
    FindingCode.MINIMUM_BINDING: "Minimum binding",
    FindingCode.BANK_NEGATIVE: "Minute bank negative",
    FindingCode.REPLENISHMENT_OFF_TREND: "Replenishment off trend",
    FindingCode.USAGE_WITHOUT_RATE: "Usage without a rate",
    FindingCode.RATE_WITHOUT_USAGE: "Rate without usage",
    FindingCode.LATE_DATA: "Late data likely",
    FindingCode.ONBOARDED_IN_PERIOD: "Onboarded in the period",
    FindingCode.PREVIOUS_OPEN: "Previous invoice open",
    FindingCode.RESTRICTED: "Agency restricted",
    FindingCode.NO_BILLING_CONTACT: "No billing contact",
    FindingCode.IMPORT_WARNINGS: "Import warnings",
}

Number = str | int


LineMove = LineChange  # how much one kind of line moved between two invoices: the invoice page's own value


@dataclass(frozen=True)
class Acknowledgement:
    by: str
    at_iso: str
    note: str


@dataclass(frozen=True)
class Finding:
    """One check that spoke up about one agency's preview."""

    code: FindingCode
    sentence: str
    numbers: tuple[tuple[str, Number], ...]  # (name, value): money and shares as plain decimal text
    lines: tuple[LineMove, ...] = ()  # for a changed total: the lines that moved it, largest first
    acknowledged: Acknowledgement | None = None

    @property
    def severity(self) -> Severity:
        return self.code.severity

    @property
    def is_open_blocking(self) -> bool:
        return self.severity is Severity.BLOCKING and self.acknowledged is None

    @property
    def evidence_hash(self) -> str:
        """SHA-256 of the code and the numbers: what an acknowledgement covers."""
        text = json.dumps([str(self.code), [list(pair) for pair in self.numbers]], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def number(self, name: str) -> Number | None:
        return dict(self.numbers).get(name)


def counted(value: int, noun: str, plural: str | None = None) -> str:
    """``1 seat``, ``2 seats``: the count and its noun agree."""
    return f"{format_count(value)} {noun if value == 1 else plural or noun + 's'}"

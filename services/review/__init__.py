"""The review of a cycle before it is issued (issue #15): checks on every
preview, acknowledgements of what they find, and the approvals issuing
waits for. :mod:`.findings` says what a finding is, :mod:`.checks` holds the
checks (pure), :mod:`.service` the use cases."""

from .findings import Finding, FindingCode, LineMove, Severity
from .service import (
    AgencyReview,
    Approval,
    ApprovalOutcome,
    CycleReview,
    LineDiff,
    ReviewState,
    acknowledge_finding,
    approval_gaps_in,
    approval_of_invoice,
    approve,
    approve_for_seed,
    issue_readiness,
    preview_hash,
    review_cycle,
    review_document,
    review_in,
)

__all__ = [
    "AgencyReview", "Approval", "ApprovalOutcome", "CycleReview", "Finding", "FindingCode", "LineDiff", "LineMove",
    "ReviewState", "Severity", "acknowledge_finding", "approval_gaps_in", "approval_of_invoice", "approve", "approve_for_seed",
    "issue_readiness",
    "preview_hash", "review_cycle", "review_document", "review_in",
]

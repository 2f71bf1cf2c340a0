"""Who may see and do what. Checked here, in the service layer, so that no
page can leak data by forgetting a check; the navigation only mirrors it.

- **finance**: everything; the only role that issues, records payments or
  adjustments, imports, edits contracts and reads the audit log.
- **account manager**: only the agencies assigned to them; read-only (the
  review of their agencies too, without approving).
- **ops**: overdue, restrictions and minute banks across all agencies;
  read-only; no invoice amounts beyond balances due.
- **agency contact**: an agency's own billing contact (the billing portal):
  exactly one agency, read-only: its agency page, invoices and PDFs,
  statement, usage reports and minute bank.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from db.errors import BillingError


class Role(StrEnum):
    FINANCE = "finance"
    ACCOUNT_MANAGER = "account_manager"
    OPS = "ops"
    AGENCY_CONTACT = "agency_contact"

    @property
    def label(self) -> str:
        return {"finance": "Finance", "account_manager": "Account manager", "ops": "Ops",
                "agency_contact": "Agency billing contact"}[self.value]

    @property
    def scoped(self) -> bool:
        """Whether the role sees only the agencies assigned to the account."""
        return self in (Role.ACCOUNT_MANAGER, Role.AGENCY_CONTACT)


class Permission(StrEnum):
    VIEW_OVERVIEW = "view_overview"
    VIEW_AGENCY = "view_agency"  # the agency page: status, balance, contacts, users
    VIEW_CALENDAR = "view_calendar"
    VIEW_INVOICES = "view_invoices"  # invoice lines and amounts, PDFs
    VIEW_MINUTE_BANK = "view_minute_bank"
    VIEW_OVERDUE = "view_overdue"
    ISSUE = "issue"
    RECORD_PAYMENT = "record_payment"
    RECORD_ADJUSTMENT = "record_adjustment"
    IMPORT = "import"
    EDIT_CONTRACTS = "edit_contracts"
    VIEW_AUDIT = "view_audit"
    MANAGE_ACCOUNTS = "manage_accounts"
    VIEW_REPORTS = "view_reports"  # revenue, receivables over time, accounting exports
    EDIT_ACCOUNT_CODES = "edit_account_codes"
    VIEW_REVIEW = "view_review"  # the review of a cycle: findings and approvals
    APPROVE = "approve"  # approve previews, acknowledge findings
    ISSUE_WITHOUT_APPROVAL = "issue_without_approval"  # with a reason, audited
    VIEW_MESSAGES = "view_messages"  # the outbox; ops: overdue notices only (services.outbox)
    MANAGE_MESSAGES = "manage_messages"  # contacts, resend, pause


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.FINANCE: frozenset(Permission),
    Role.ACCOUNT_MANAGER: frozenset({
        Permission.VIEW_OVERVIEW, Permission.VIEW_AGENCY, Permission.VIEW_CALENDAR, Permission.VIEW_INVOICES,
        Permission.VIEW_MINUTE_BANK, Permission.VIEW_OVERDUE, Permission.VIEW_REVIEW, Permission.VIEW_MESSAGES,
    }),
    Role.OPS: frozenset({Permission.VIEW_OVERVIEW, Permission.VIEW_AGENCY, Permission.VIEW_MINUTE_BANK,
                         Permission.VIEW_OVERDUE, Permission.VIEW_MESSAGES}),
    Role.AGENCY_CONTACT: frozenset({Permission.VIEW_AGENCY, Permission.VIEW_INVOICES, Permission.VIEW_MINUTE_BANK}),
}


class AccessDenied(BillingError):
    """The signed-in person may not see or do this."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as the services see them."""

    email: str
    name: str
    role: Role
    agencies: frozenset[str] | None = None  # None: every agency
    stamp: str = ""  # what the account looked like at sign-in: see services.accounts.still_signed_in

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise AccessDenied(f"{self.role.label} accounts cannot {permission.value.replace('_', ' ')}")

    def may_see_agency(self, agency_id: str) -> bool:
        return self.agencies is None or agency_id in self.agencies

    def require_agency(self, agency_id: str) -> None:
        if not self.may_see_agency(agency_id):
            raise AccessDenied(f"agency {agency_id} is not assigned to {self.email}")

    @property
    def scope(self) -> list[str] | None:
        """Agency ids this viewer may see, for queries (None: all)."""
        return None if self.agencies is None else sorted(self.agencies)

    def only_visible(self, agency_ids: Iterable[str]) -> list[str]:
        return [a for a in agency_ids if self.may_see_agency(a)]


SYSTEM = Viewer("system", "System", Role.FINANCE)
"""For the command line and schedulers, which run with the operator's rights."""

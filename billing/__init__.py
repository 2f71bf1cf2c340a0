"""The billing engine: pure, exact, and able to explain itself.

Facts in (:class:`InvoiceFacts`), invoice out (:func:`price_invoice`);
ledger in, statuses out (:func:`statuses`). Standard library only: no
database, no Streamlit, no pandas — every other layer depends on this one,
never the other way round.
"""

from .calendar import Cycle, CycleCalendar, Period, billing_date, parse_date
from .facts import (
    AccessSpan,
    CallTotals,
    Contract,
    InvoiceFacts,
    MinuteBankCarry,
    PeriodUsage,
    SignalMode,
    SignalPlan,
    User,
)
from .invoice import Invoice, InvoiceLine, LineCode, price_invoice
from .ledger import AgencyStatus, LedgerEntry, LedgerInvoice, Payment, Status, account_history, statuses
from .scenario import ScenarioError, facts_from_scenario, invoice_to_json

__all__ = [
    "AccessSpan",
    "AgencyStatus",
    "CallTotals",
    "Contract",
    "Cycle",
    "CycleCalendar",
    "Invoice",
    "InvoiceFacts",
    "InvoiceLine",
    "LedgerEntry",
    "LedgerInvoice",
    "LineCode",
    "MinuteBankCarry",
    "Payment",
    "Period",
    "PeriodUsage",
    "ScenarioError",
    "SignalMode",
    "SignalPlan",
    "Status",
    "User",
    "account_history",
    "billing_date",
    "facts_from_scenario",
    "invoice_to_json",
    "parse_date",
    "price_invoice",
    "statuses",
]

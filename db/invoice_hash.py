"""The content hash of an issued invoice: proof that its row is as issued.

An ``invoice`` row holds the frozen snapshot (canonical JSON) and, beside it,
the columns the app reads without parsing the snapshot: the ledger reads the
number, agency, dates and total; the pages read who issued it and when. The
hash must cover all of them, or a changed ``total`` turns a restricted agency
paid up while the page says "content hash verified". Two versions exist:

**v1** — invoices issued before migration 0005: ``snapshot_hash`` is NULL and
``content_hash = sha256(number + "\\n" + snapshot)``. Rows are immutable, so
they are never re-hashed; a v1 row is verified by that hash *and* by checking
that every column the app reads says what its own snapshot says (agency,
cycle, dates, total, seats, headcount, minute bank). ``issued_at`` and
``issued_by`` were never hashed and cannot be checked for a v1 row.

**v2** — every invoice issued since: ``snapshot_hash = sha256(snapshot)`` and
``content_hash = sha256`` of the canonical header: every column of the row
except ``id``, ``snapshot`` and ``content_hash`` itself, ``snapshot_hash``
included (:data:`HEADER_COLUMNS`). The ledger verifies a v2 header without
loading the snapshot; whoever reads the snapshot also checks it against
``snapshot_hash``. The version is told by ``snapshot_hash``: NULL is v1.

Wherever an issued invoice is used — statuses and balances
(:func:`verify_ledger_rows`), the frozen invoice itself for a page, a PDF or
the next cycle's carry-over (:func:`verify_frozen`) — a row that does not
match raises :class:`~db.errors.InvoiceIntegrityError` naming the invoice and,
where its snapshot still tells, which column differs. Nothing is computed
from it: a finance user must not act on a status that rests on it.

The hash is not a signature: whoever can rewrite a row and knows this module
can rewrite the hash too. It catches a row changed outside the app (a
console "fix", an edited backup) that did not recompute it; what stops the
change is the database (triggers, and on PostgreSQL a runtime role that may
only SELECT and INSERT issued invoices: SECURITY.md, "PostgreSQL roles").

Cost: statuses read only ``(id, number, agency_id, invoice_date, due_date,
total)`` — columns stored before the snapshot, so SQLite never walks a
snapshot's overflow pages for them. The first time a process meets such a
tuple in a database it reads the row's full header (and for a v1 row its
snapshot) once and remembers the tuple as verified; later statuses only look
tuples up. (A row's id never changes hands — rows are never deleted — so a
tuple once verified still says what was issued, whatever happens to the
row's other columns, which whoever reads them checks again.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from billing.money import plain

from .errors import InvoiceIntegrityError

log = logging.getLogger(__name__)

# Every column of ``invoice`` a v2 content hash covers, in this order.
HEADER_COLUMNS = (
    "number", "agency_id", "cycle", "invoice_date", "due_date", "restriction_date", "total", "seats_billed",
    "headcount_at_cutoff", "minutes_used", "closing_balance", "replenishment", "issued_at", "issued_by",
    "snapshot_hash",
)
# What statuses and balances read from a row (db.ledger.load_ledger).
LEDGER_COLUMNS = ("id", "number", "agency_id", "invoice_date", "due_date", "total")
V2_LABEL = "dialer-billing invoice header v2"
CENT = Decimal("0.01")
SHOWN_PROBLEMS = 5
CACHE_LIMIT = 500_000

# database -> rows known to be as issued: the ledger's (LEDGER_COLUMNS, parsed or as the driver returned them)
# and whole rows (id, HEADER_COLUMNS, content_hash, the snapshot's digest: verify_frozen), told apart by length
_verified: dict[str, set[tuple[Any, ...]]] = {}
_verified_lock = threading.Lock()


# --- the hashes ------------------------------------------------------------------

def v1_content_hash(number: str, snapshot_text: str) -> str:
    """The hash of invoices issued before migration 0005 (number and snapshot only)."""
    return hashlib.sha256(f"{number}\n{snapshot_text}".encode()).hexdigest()


def snapshot_digest(snapshot_text: str) -> str:
    return hashlib.sha256(snapshot_text.encode()).hexdigest()


def _utc(value: datetime) -> str:
    if value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)  # stored as UTC without an offset
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _money(value: Decimal) -> str:
    return plain(value.quantize(CENT) + 0)  # 150 == 150.00; PostgreSQL has no "-0.00"


_ENCODE = {str: str, int: str, date: date.isoformat, datetime: _utc, Decimal: _money}


def _canonical(value: Any) -> str:
    encode = _ENCODE.get(type(value))
    if encode is None:
        raise TypeError(f"cannot hash an invoice column holding {type(value).__name__} {value!r}")
    return encode(value)


def header_hash(values: Sequence[Any]) -> str:
    """The v2 content hash of a row's :data:`HEADER_COLUMNS` values, in that
    order (``snapshot_hash`` set): each as text, length-prefixed."""
    encoded = [_canonical(value) for value in values]
    if len(encoded) != len(HEADER_COLUMNS):
        raise ValueError(f"a v2 header has {len(HEADER_COLUMNS)} columns, not {len(encoded)}")
    text = V2_LABEL + "".join([f"\n{len(part)}:{part}" for part in encoded])
    return hashlib.sha256(text.encode()).hexdigest()


def header_of(row: Any) -> tuple[Any, ...]:
    """The :data:`HEADER_COLUMNS` values of an ``invoice`` row (ORM object)."""
    return tuple(getattr(row, name) for name in HEADER_COLUMNS)


# --- checking one row --------------------------------------------------------------

def _snapshot_says(document: Mapping[str, Any]) -> dict[str, Any]:
    """The header columns as the snapshot states them."""
    bank = document["minute_bank"]
    return {
        "agency_id": document["agency_id"],
        "cycle": document["cycle"],
        "invoice_date": document["invoice_date"],
        "due_date": document["due_date"],
        "restriction_date": document["restriction_date"],
        "total": document["total"],
        "seats_billed": document["lines"][0]["quantity"] if document["lines"] else None,
        "headcount_at_cutoff": document["headcount_at_cutoff"],
        "minutes_used": bank["minutes_used"],
        "closing_balance": bank["closing_balance"],
        "replenishment": bank["replenishment"],
    }


def _differences(header: Mapping[str, Any], document: Mapping[str, Any] | None) -> list[str]:
    """Where the row's columns disagree with its snapshot: ``total is 0.00 in
    the table but 1250.50 in the frozen invoice``."""
    if document is None:
        return []
    try:
        says = _snapshot_says(document)
    except (KeyError, IndexError, TypeError):
        return ["its frozen invoice (snapshot) is not readable"]
    found = []
    for name, stated in says.items():
        stored = header[name]
        try:
            expected = _money(Decimal(stated)) if name == "total" else str(stated)
        except ArithmeticError:
            expected = None
        if expected is None or _shown(stored) != expected:
            found.append(f"{name.replace('_', ' ')} is {_shown(stored)} in the table but {stated} in the frozen invoice")
    return found


def _shown(value: Any) -> str:
    try:
        return _canonical(value)
    except TypeError:
        return repr(value)


def _document(snapshot_text: str | None) -> dict[str, Any] | None:
    if snapshot_text is None:
        return None
    try:
        document = json.loads(snapshot_text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def row_problems(header: Mapping[str, Any], content_hash: str, snapshot_text: str | None) -> list[str] | None:
    """``None`` when the row matches its content hash; otherwise what is
    wrong with it, as far as its snapshot can tell.

    ``header`` maps :data:`HEADER_COLUMNS` to the row's values.
    ``snapshot_text`` may be ``None`` for a v2 row whose snapshot is not
    being used: then only the header is checked. A v1 row needs it.
    """
    if header["snapshot_hash"] is None:  # v1
        if snapshot_text is None:
            raise ValueError("a v1 invoice is verified against its snapshot")
        document = _document(snapshot_text)
        problems = _differences(header, document) if document is not None else ["its frozen invoice is not JSON"]
        if v1_content_hash(header["number"], snapshot_text) != content_hash:
            problems.append("its frozen invoice (snapshot), number or content hash was changed")
        return problems or None
    header_ok = header_hash([header[name] for name in HEADER_COLUMNS]) == content_hash
    snapshot_ok = snapshot_text is None or snapshot_digest(snapshot_text) == header["snapshot_hash"]
    if header_ok and snapshot_ok:
        return None
    if not snapshot_ok:
        return ["its frozen invoice (snapshot) was changed"] + ([] if header_ok else ["and so were its columns"])
    return _differences(header, _document(snapshot_text)) or [
        "its number, issue time, issuer, snapshot hash or content hash was changed"]


def integrity_error(bad: Sequence[tuple[str, str, list[str]]]) -> InvoiceIntegrityError:
    """One error for every (number, agency, problems) found, logged."""
    described = [f"{number} ({agency_id})" + (f": {'; '.join(problems)}" if problems else "")
                 for number, agency_id, problems in bad[:SHOWN_PROBLEMS]]
    if len(bad) > SHOWN_PROBLEMS:
        described.append(f"and {len(bad) - SHOWN_PROBLEMS:,} more")
    if len(bad) == 1:
        number, agency_id, problems = bad[0]
        found = f"Issued invoice {number} ({agency_id}) does not match its content hash" + (
            f": {'; '.join(problems)}" if problems else "")
        pronoun, verb = "it", "It was"
    else:
        found = f"{len(bad):,} issued invoices do not match their content hash: {' | '.join(described)}"
        pronoun, verb = "them", "They were"
    message = (f"{found}. {verb} changed outside the app after issuing, so no status, balance or invoice is "
               f"computed from {pronoun}: restore the row from a backup and report it (SECURITY.md)")
    log.error("CONTENT HASH MISMATCH: %s", message)
    return InvoiceIntegrityError(message, [number for number, _, _ in bad])


# --- where invoices are used -------------------------------------------------------

def verify_frozen(rows: Iterable[Any], database: str) -> None:
    """Raise unless every ``invoice`` row of ``database`` (a row of ``id``,
    :data:`HEADER_COLUMNS`, ``content_hash`` and ``snapshot``) matches its
    content hash, snapshot included: for whoever uses the frozen invoice.

    A row this process has verified before, every value the same and its
    snapshot the same text (by digest), is looked up and done: hashing 5,000
    headers was most of reading a cycle's invoices."""
    known = _verified.get(database, set())
    bad, good = [], []
    for row in rows:
        *values, snapshot = row
        seen = (*values, snapshot_digest(snapshot))
        if seen in known:
            continue
        header = dict(zip(HEADER_COLUMNS, values[1:-1], strict=True))
        problems = row_problems(header, row.content_hash, snapshot)
        if problems is None:
            good.append(seen)
        else:
            bad.append((row.number, row.agency_id, problems))
    remember_verified(database, good)
    if bad:
        raise integrity_error(bad)


def unverified(database: str, ledger_rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    """The ledger rows (:data:`LEDGER_COLUMNS`) of ``database`` this process has not verified."""
    verified = _verified.get(database, set())
    return [row for row in ledger_rows if tuple(row) not in verified]


def remember_verified(database: str, ledger_rows: Iterable[Sequence[Any]]) -> None:
    with _verified_lock:
        if sum(len(rows) for rows in _verified.values()) > CACHE_LIMIT:
            _verified.clear()
        _verified.setdefault(database, set()).update(tuple(row) for row in ledger_rows)


def forget_verified() -> None:
    """Tests: start from a process that has verified nothing."""
    with _verified_lock:
        _verified.clear()

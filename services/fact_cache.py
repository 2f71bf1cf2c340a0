"""What this process has computed from facts that have not changed since.

Pricing the portfolio costs the engine about half a millisecond per agency,
and every page that shows it prices it again. But an agency's live preview
for a cycle is a function of that agency's own stored facts and of the
carry-over from its previous invoice (in the key), and the database gives
every agency a new *revision* on every write to any row of those facts
(migration 0012: triggers, so no code path can forget). So an entry keyed by
(database, agency, revision, cycle, carry-over) can only be found while the
facts it was computed from are the ones stored: it is never stale, and it
needs no invalidation — a write makes the old key unreachable, and the least
recently used entries make room for new ones.

Rules that keep it so:

- The revisions are read (one query, :func:`db.queries.revisions.fact_revisions`)
  *before* any fact of the batch, in the same transaction: a fact read later
  is at least as new as the revision, so an entry is never older than its key.
- A revision is a random token, not a counter: a transaction that rolled
  back, a reset database or a restored copy never brings back a revision
  with other facts behind it.
- An agency with no revision row is never cached; what could not be priced
  (a problem) is not cached.
- Values are frozen dataclasses of tuples. (``InvoiceSnapshot.document`` is
  a plain dict, shared as it was before between the readers of one batch:
  nothing writes to it.)

Issued invoices are not cached by revision: they are read and checked
against their content hash on every use, so a row changed behind the
triggers' back is refused even by a process that read it before. What is
kept of them is the parsing, keyed by the verified row (services.previews).
Statuses keep each agency's status; the issued invoices' ledger columns are
still read and checked on every read (db.ledger.check_ledger_invoices), and
the payments and adjustments are read only for the agencies whose status is
not kept. The review keeps each agency's preview hash and findings (before
acknowledgements, which are read afresh with the approvals) by its revision,
the day, the thresholds and the imports' late facts; it queries what its
checks read beside the previews only for the agencies not kept.

The exception is :func:`kept_result`: the few portfolio-wide reports that
cost seconds at 5,000 agencies (revenue, receivables, the minute banks'
trends) are kept whole, so a repeat of one reads the revisions and nothing
else, and its issued invoices are checked when it is computed, not at each
visit. A row changed behind the triggers' back (which takes the owner role
with its triggers disabled: SECURITY.md) is still refused by the overview,
the invoice and agency pages, statements, issuing and ``manage.py``, which
read the ledger every time, and by these reports at their next change of
facts.

``BILLING_PREVIEW_CACHE`` is the number of entries (``0``: off); the cache
is process-wide and thread-safe (Streamlit runs each session in a thread).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session

import settings
from db.queries.revisions import FactRevisions, fact_revisions

Key = tuple[Hashable, ...]
Result = TypeVar("Result")


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    entries: int
    limit: int


class FactCache:
    """A bounded, thread-safe map, least recently used entry dropped first."""

    def __init__(self, limit: int = 0) -> None:
        self._entries: OrderedDict[Key, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit
        self.hits = 0
        self.misses = 0

    def resize(self, limit: int) -> None:
        with self._lock:
            self._limit = limit
            self._evict()

    def get_many(self, keys: Mapping[str, Key | None]) -> tuple[dict[str, Any], list[str]]:
        """The entries found for ``{agency_id: key}`` and the agencies without
        one (a key of None — uncacheable — is a miss that is not counted)."""
        found: dict[str, Any] = {}
        missing: list[str] = []
        with self._lock:
            for agency_id, key in keys.items():
                value = self._entries.get(key) if key is not None else None
                if value is None:
                    missing.append(agency_id)
                    self.misses += key is not None
                else:
                    self._entries.move_to_end(key)  # type: ignore[arg-type]
                    found[agency_id] = value
                    self.hits += 1
        return found, missing

    def get(self, key: Key) -> Any | None:
        """One entry, or None (counted as a miss)."""
        return self.get_many({"": key})[0].get("")

    def put(self, key: Key, value: Any) -> None:
        self.put_many([(key, value)])

    def put_many(self, items: Iterable[tuple[Key | None, Any]]) -> None:
        with self._lock:
            if self._limit <= 0:
                return
            for key, value in items:
                if key is not None and value is not None:
                    self._entries[key] = value
                    self._entries.move_to_end(key)
            self._evict()

    def _evict(self) -> None:
        while len(self._entries) > max(self._limit, 0):
            self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self.hits, self.misses, len(self._entries), self._limit)


CACHE = FactCache()
RESULTS = FactCache(limit=256)  # portfolio-wide results (kept_result): few, each as large as a page's figures


@dataclass(frozen=True)
class FactScope:
    """The revisions one batch reads its entries by: read once, first."""

    revisions: FactRevisions

    def key(self, agency_id: str, *parts: Hashable) -> Key | None:
        revision = self.revisions.revisions.get(agency_id)
        if revision is None:
            return None
        return (self.revisions.database, agency_id, revision, *parts)

    def portfolio_key(self, *parts: Hashable) -> Key | None:
        """One key for a result computed from the facts of every agency of
        the batch: each (agency, revision) pair itself, not a digest of them,
        so two different sets of facts can never share a key. None if any
        agency has no revision row."""
        pairs = tuple(sorted(self.revisions.revisions.items()))
        if any(revision is None for _, revision in pairs):
            return None
        return (self.revisions.database, *parts, pairs)

    @property
    def agency_ids(self) -> list[str]:
        return sorted(self.revisions.revisions)


def kept_result(session: Session, agency_ids: Sequence[str] | None, parts: tuple[Hashable, ...],
                compute: Callable[[], Result]) -> Result:
    """``compute()`` — a result over every agency of ``agency_ids`` (None:
    all) that is a function of their facts and of ``parts`` only — or what
    it gave while those agencies' facts were the ones stored now.

    For the portfolio-wide figures that cost seconds at 5,000 agencies
    (revenue, receivables, the minute banks' trends): each page's own cache
    lasts a minute (ui.cache); this one lasts until a fact of one of the
    agencies changes. ``parts`` must name the function and every other input
    (the date, the settings it reads). The revisions are read here, first,
    so ``compute`` must read its facts after this call starts, in ``session``.
    """
    scope = fact_scope(session, agency_ids)
    key = scope.portfolio_key(*parts) if scope is not None else None
    if key is None:
        return compute()
    found = RESULTS.get(key)
    if found is not None:
        return found
    value = compute()
    RESULTS.put(key, value)
    return value


def fact_scope(session: Session, agency_ids: Sequence[str] | None) -> FactScope | None:
    """The revisions of these (or all) agencies, read now — call it before
    reading any fact the entries stand for; None while the cache is off."""
    limit = settings.current().preview_cache
    CACHE.resize(limit)
    if limit <= 0:
        return None
    return FactScope(fact_revisions(session=session, agency_ids=agency_ids))

"""The agencies' fact revisions: what the cache of previews and statuses keys by.

Database triggers (migration 0012) give an agency a new random revision on
every write to a row that feeds its preview, ledger or status. Read the
revisions *before* the facts they stand for: facts read afterwards are then
at least as new as the revision, never older (under PostgreSQL's READ
COMMITTED each statement sees what was committed when it started).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from ..models import Agency, FactRevision


@dataclass(frozen=True)
class FactRevisions:
    """Where the revisions were read, and each agency's (None: it has no
    revision row, so nothing about it may be cached)."""

    database: str
    revisions: Mapping[str, int | None]


def database_identity(session: Session) -> str:
    """The database ``session`` talks to, as a cache names it (no password)."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def fact_revisions(*, session: Session, agency_ids: Sequence[str] | None = None) -> FactRevisions:
    """Every (or the given) agency's revision, in one query; an unknown id is left out."""
    statement = select(col(Agency.id), col(FactRevision.revision)).outerjoin(
        FactRevision, col(FactRevision.agency_id) == col(Agency.id))
    if agency_ids is not None:
        statement = statement.where(col(Agency.id).in_(list(agency_ids)))
    return FactRevisions(database_identity(session), {agency_id: revision for agency_id, revision in session.execute(statement)})

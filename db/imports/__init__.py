"""Importing the dialer's and the CRM's CSV exports (docs/IMPORT_FORMAT.md):
validated completely first, then written all or nothing, idempotently.

``import_file(kind, path_or_binary_stream, *, timezone=None, actor, progress=None, engine=None)``
returns a summary dict or raises :class:`ImportRejected` (a ``BillingError``)
whose ``problems`` name row, column and reason. See :mod:`db.imports.command`.
"""

from .command import IMPORTERS, KINDS, import_file
from .problems import ImportProblem, ImportRejected

__all__ = ["IMPORTERS", "KINDS", "ImportProblem", "ImportRejected", "import_file"]

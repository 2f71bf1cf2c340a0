"""CSV imports from the dashboard (finance only)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from db.imports.command import ImportKind

from .access import Permission, Viewer

IMPORT_KINDS = tuple(str(kind) for kind in ImportKind)


TIMEZONE_FIELD = "Time zone of timestamps without an offset"  # the import page's field, named in its errors


def import_upload(
    viewer: Viewer, kind: str, data: bytes, file_name: str, *, timezone: str | None,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, Any]:
    viewer.require(Permission.IMPORT)
    from db.imports.command import import_file

    stream = io.BytesIO(data)
    stream.name = file_name
    return import_file(kind, stream, timezone=timezone, timezone_field=TIMEZONE_FIELD, actor=viewer.email,
                       progress=progress)

"""Files people open in a spreadsheet: text that came from outside (agency
names, e-mails, ids from an import) must not run as a formula there.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read as a formula by Excel, LibreOffice and Google Sheets
(``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``, ``@SUM(...)``); OWASP's
remedy is a leading apostrophe, which spreadsheets show as nothing and
treat as "this is text". Numbers we write ourselves are left alone.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: object) -> str:
    """``value`` as a spreadsheet cell that is always text, never a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text

"""Import data: the dialer's and the CRM's CSV exports, validated, all or nothing."""

from __future__ import annotations

import streamlit as st

from services.access import Permission
from services.errors import BillingError
from services.importing import IMPORT_KINDS, TIMEZONE_FIELD, import_upload
from ui import cache
from ui.context import page_setup
from ui.format import md

viewer, today = page_setup("Import data", Permission.IMPORT)
st.caption("Import in this order: agencies, contracts, users, calls, numbers, appointments, payments; contacts "
           "(who receives the billing messages) any time after agencies. "
           "A file with any problem changes nothing; importing the same file twice adds nothing; "
           "issued invoices never change. Columns: docs/IMPORT_FORMAT.md.")

kind_col, zone_col = st.columns([1, 1])
kind = kind_col.selectbox("Kind of file", IMPORT_KINDS, key="import_kind")
zone = zone_col.text_input(f"{TIMEZONE_FIELD} (optional)", key="import_zone",
                           placeholder="America/Chicago",
                           help="Timestamps with an offset or Z are always converted to the billing zone. "
                                "Without an offset they are refused, unless you name their zone here.")
upload = st.file_uploader(f"{kind}.csv", type=["csv"], key="import_file")
if upload is not None and st.button(f"Import {upload.name}", type="primary", icon=":material/upload:", key="import_go"):
    bar = st.progress(0.0, text="Validating…")
    try:
        summary = import_upload(viewer, kind, upload.getvalue(), upload.name, timezone=zone.strip() or None,
                                progress=lambda message, fraction: bar.progress(min(1.0, fraction), text=message))
    except BillingError as error:
        bar.empty()
        problems = getattr(error, "problems", None)
        st.error(f"Nothing was imported. {md(str(error).splitlines()[0])}", icon=":material/error:")
        if problems:
            st.dataframe({"Problem": [str(p) for p in problems]}, hide_index=True, width="stretch")
    else:
        bar.empty()
        cache.clear()
        st.success(f"Imported {upload.name}: {summary.get('inserted', 0):,} new rows, "
                   f"{summary.get('unchanged', 0):,} already stored.", icon=":material/check_circle:")
        for warning in summary.get("warnings", []):
            st.warning(warning)
        with st.expander("Details"):
            st.json(summary)

"""Query functions for the services, one module per thing asked about.

Written in the SQLModel full-stack template's style: the session is a
keyword-only argument (``agency_records(session=session, ...)``), so a call
reads the same in every use case, and what comes back are domain values —
frozen dataclasses, billing types, ints and Decimals — never ORM rows, so no
service can lazy-load, mutate or keep a row alive past its transaction.
"""

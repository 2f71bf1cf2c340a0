"""Services: what the pages ask for, in the pages' terms.

Pages call these and nothing below them; these call ``db`` for stored facts
and ``billing`` for every number. No Streamlit here, so the same answers
serve the command line, the PDF archive and the tests.
"""

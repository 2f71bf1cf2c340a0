"""Documents for people: the invoice PDF and the whole-cycle archive."""

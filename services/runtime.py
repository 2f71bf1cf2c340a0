"""Process-wide tuning that every entry point applies the same way: the app,
``manage.py`` and the benchmarks (so what is measured is what runs).

Python's cyclic garbage collector starts a collection every 700 net new
objects and, every so often, walks every object alive. A process that holds
a priced portfolio (thousands of previews kept by :mod:`services.fact_cache`)
and then loads a ledger of 120,000 rows spends most of that load in the
collector: at 5,000 agencies the portfolio's statuses took 2.0 s of engine
time with the default thresholds and 0.8 s with these (measured with
``bench/run.py --size xlarge``). The objects the billing code creates are
almost never in reference cycles, so collecting less often frees the same
memory, a little later.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (100_000, 50, 100)


def tune_garbage_collector() -> None:
    """Collect young objects every 100,000 allocations instead of 700 (idempotent)."""
    if gc.get_threshold() != GC_THRESHOLDS:
        gc.set_threshold(*GC_THRESHOLDS)


def freeze_what_is_kept() -> None:
    """Move every object alive now out of the collector's sight (``gc.freeze``).

    Called once after the warm-up (``manage.py serve``): the previews,
    statuses and results it kept are tens of thousands of objects that live
    as long as the process, and every full collection would walk them all
    again while people wait. Frozen objects are still freed by reference
    counting; only cycles among them would outlive the process's need."""
    gc.collect()
    gc.freeze()

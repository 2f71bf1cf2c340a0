"""The review of cycle 2026-11 on the large dataset, alone (item 8 of bench/run.py):

    .venv/bin/python bench/review_bench.py [--postgres] [--runs N]

Builds (or reuses) the cached dataset like bench/run.py, then times
``services.review.review_cycle`` for every agency — both previews, the
history, the ledger and every check — and the first render of the review page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("BILLING_TODAY", "2026-11-25")
os.environ["BILLING_AUTO_SEED"] = "0"

from dataset import TODAY, postgres_dataset, sqlite_dataset
from run import CYCLE, first_page_render, line, measure

from db.engine import dispose_engines, get_engine
from services.access import SYSTEM


def items(name: str, url: str, runs: int) -> list[str]:
    from services.review import ReviewState, review_cycle

    os.environ["DATABASE_URL"] = url
    dispose_engines()
    get_engine(url)
    review = review_cycle(SYSTEM, CYCLE, today=TODAY)
    findings = sum(len(r.findings) for r in review.rows)
    blocked = len(review.with_state(ReviewState.BLOCKED))
    out = [f"== {name}: {len(review.rows):,} agencies, {findings:,} findings, {blocked:,} blocked",
           line("8. review of the cycle (checks included)", measure(lambda: review_cycle(SYSTEM, CYCLE, today=TODAY), runs), 2.0)]
    seconds = [first_page_render(url, "pages/review.py") for _ in range(max(1, runs // 2 + 1))]
    out.append(line("6. first render of pages/review.py", (statistics.median(seconds), min(seconds), max(seconds)), 2.0))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size = "quick" if args.quick else "large"
    url, _ = sqlite_dataset(size, log=lambda message: print(message, file=sys.stderr, flush=True))
    print("\n".join(items("sqlite", url, args.runs)), flush=True)
    if args.postgres:
        from pg import ThrowawayPostgres

        server = ThrowawayPostgres().start()
        try:
            pg_url, _ = postgres_dataset(size, server.url, log=lambda message: print(message, file=sys.stderr, flush=True))
            print("\n".join(items("postgresql", pg_url, args.runs)), flush=True)
        finally:
            dispose_engines()
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

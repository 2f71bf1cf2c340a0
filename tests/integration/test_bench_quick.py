"""The benchmark must never rot: its quick version runs in CI (timings are
printed, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ITEMS = ["1. portfolio preview", "7. honest floor", "7b. call floor", "2. preview of one agency", "3. overdue statuses", "4a. one invoice PDF",
         "4b. PDF archive", "5. import of", "6. first render of pages/overview.py", "6. first render of pages/invoices.py"]


def test_the_quick_benchmark_runs_and_prints_every_item():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([sys.executable, "bench/run.py", "--quick"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    print(done.stdout)
    for item in ITEMS:
        assert any(line.startswith(item) for line in done.stdout.splitlines()), item

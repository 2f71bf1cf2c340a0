"""The 25th's messages at portfolio scale: render every agency's
invoice-posted message (its PDF included), store it in the outbox and send
it to a local SMTP server (aiosmtpd), through ``services.outbox.notify``.

``.venv/bin/python bench/notify_bench.py [--size large|quick]`` copies the
cached dataset (``bench/dataset.py``; generated once), issues cycle 2026-11
on the copy, then times the two halves of ``notify`` separately and the
whole run again on a fresh copy. Results go in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller

from bench.dataset import sqlite_dataset
from billing import Cycle
from db.engine import dispose_engines, get_engine
from db.migrate import upgrade_to_head
from services.issuing import issue_cycle
from services.mail import SmtpTransport
from services.outbox import queue_due, send_pending
from services.unit_of_work import sessions_for
from settings import SmtpServer

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
POSTED = frozenset({"invoice_posted"})


class Counting:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            self.count += 1
            self.bytes += len(envelope.content)
        return "250 OK"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large", choices=["large", "quick"])
    args = parser.parse_args()
    source, facts = sqlite_dataset(args.size)
    work = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    try:
        copy = work / "bench.db"
        shutil.copyfile(source.removeprefix("sqlite:///"), copy)
        engine = get_engine(f"sqlite:///{copy}")
        upgrade_to_head(engine)
        sessions = sessions_for(engine)
        started = time.perf_counter()
        issued = issue_cycle(Cycle.parse("2026-11"), actor="bench", today=TODAY, sessions=sessions,
                             without_approval="benchmark of the messages, not of the review")
        print(f"issued {len(issued.issued)} invoices in {time.perf_counter() - started:.1f} s (not part of the figure)")

        handler = Counting()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            started = time.perf_counter()
            queued = queue_due(TODAY, now=NOW, kinds=POSTED, sessions=sessions)
            rendered = time.perf_counter() - started
            transport = SmtpTransport(SmtpServer("127.0.0.1", port, implicit_tls=False, starttls=False, username=None))
            started = time.perf_counter()
            sent = send_pending(now=NOW, transport=transport, sessions=sessions, summary=queued, retry_delays=())
            sending = time.perf_counter() - started
        finally:
            controller.stop()
        count = sum(sent.rendered.values())
        print(f"agencies {facts.agencies}, messages rendered and stored {count}, sent {sum(sent.sent.values())}, "
              f"received {handler.count} ({handler.bytes / 1e6:.1f} MB)")
        print(f"render + PDF + store: {rendered:.1f} s ({rendered / max(count, 1) * 1000:.0f} ms each)")
        print(f"send over SMTP:       {sending:.1f} s ({sending / max(count, 1) * 1000:.0f} ms each)")
        print(f"total:                {rendered + sending:.1f} s (target < 60 s)")
        started = time.perf_counter()
        again = queue_due(TODAY, now=NOW, kinds=POSTED, sessions=sessions)
        print(f"a second run the same day: {time.perf_counter() - started:.2f} s, "
              f"rendered {sum(again.rendered.values())}, already sent {sum(again.already_sent.values())}")
        assert handler.count == count == facts.agencies or args.size == "quick"
    finally:
        dispose_engines()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

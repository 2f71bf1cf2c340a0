"""What a person waits for in the browser: sign-in, every page cold and warm,
and the invoice page's agency and cycle switches (issue #18).

How to run (from the repository, never ``playwright install``: Debian's
``/usr/bin/chromium`` is driven by Playwright's sync API)::

    # against a server you started (cold figures are only cold on its first run)
    .venv/bin/python bench/browser_bench.py http://127.0.0.1:8765 --runs 5 --json /tmp/browser.json
    # a fresh server per run, so every run's first visits are cold
    DATABASE_URL=sqlite:////tmp/bb-demo.db .venv/bin/python bench/browser_bench.py --start --runs 5

``--start`` runs ``manage.py serve`` (what ``scripts/run.sh`` starts: the
warm-up of services/warmup.py, then the server; ``--no-warm-up`` skips it) on
a free port with the ``DATABASE_URL`` of the environment
(``BILLING_AUTO_SEED=0``, ``BILLING_TODAY=2026-11-25``), waits for
``/_stcore/health``, and stops it after the run. The database must hold the demo accounts (``manage.py seed``).

What is timed, per run, signed in as finance:

- **sign-in, cold**: from the click on "Sign in" to the overview's chart of
  invoices visible and the app idle, on a server nobody has used yet;
  **sign-in, warm**: the same in a second browser context after the tour.
  The fields are filled at once, then the bench waits ``--typing`` seconds
  (3; a person takes longer to type an e-mail and a password) before the
  click, which is when the clock starts: the sign-in screen uses that time
  to load what the first page needs. ``--typing 0`` clicks at once.
- **every page of the navigation**: from the click on its link in the
  sidebar to its main content (named per page in ``PAGES``: a chart, a table,
  the invoice's lines) visible and the app idle. **Cold** is the page's first
  visit in the run; it comes after the pages before it in the navigation,
  so what they share (the agency list, the statuses) is already cached, but
  nothing that is the page's own. **Warm** is the same page again, right after
  one other page (the visits run P1, P2, P1, P3, P2, …). The overview is drawn
  cold by the sign-in, so its row has a warm figure only. Receivables is the
  Revenue page's segment: timed from its click on the Revenue page.
- the invoice page's **agency switch** (another agency in its selector, to
  that agency's lines visible) and **cycle switch** (the previous cycle).

"Idle" is exact, not guessed: the bench reads Streamlit's own websocket
frames in the page (``ForwardMsg.script_finished``) and waits for the run the
click started to finish successfully, then for the content, then for the
status widget to be gone. (The status widget alone cannot tell: Streamlit
shows it only after a run has lasted 500 ms.)

Prints the median of the runs with min and max per item and writes them as
JSON (``--json``). Streamlit, pandas and plotly import on the first run of a
server: a cold run includes that, as a person after a restart would feel it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]
FINANCE = ("finance@dialer-billing.example", "finance-demo-2026")
TODAY = "2026-11-25"
TIMEOUT_MS = 120_000
FINISHED = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
SIGN_IN_CONTENT = ".st-key-overview_totals .js-plotly-plot"


@dataclass(frozen=True)
class PageSpec:
    """A page of the navigation: the link's text and what shows it is there."""

    name: str
    link: str
    content: str  # a CSS selector for the page's main content (keyed tables carry st-key-… only when selectable)
    what: str  # the content in words, for the table


PAGES = [
    PageSpec("overview", "Overview", SIGN_IN_CONTENT, "chart of the cycle's invoices"),
    PageSpec("agency", "Agency", ".st-key-agency_invoices [data-testid=stDataFrame]", "the agency's invoices table"),
    PageSpec("calendar", "Cycle calendar", ".st-key-housekeeping_table [data-testid=stDataFrame]", "housekeeping table"),
    PageSpec("review", "Review", ".st-key-review_table [data-testid=stDataFrame]", "review table"),
    PageSpec("invoices", "Invoices", "table.inv-lines", "the invoice's lines"),
    PageSpec("contracts", "Contracts", "main [data-testid=stDataFrame]", "contract versions table"),
    PageSpec("minute-bank", "Minute bank", ".st-key-bank_chart .js-plotly-plot", "running-period bank chart"),
    PageSpec("overdue", "Overdue", ".st-key-overdue_table [data-testid=stDataFrame]", "overdue table"),
    PageSpec("messages", "Messages", "main [data-testid=stDataFrame]", "outbox table"),
    PageSpec("revenue", "Revenue", ".st-key-revenue_chart .js-plotly-plot", "billed and collected chart"),
    PageSpec("import", "Import data", ".st-key-import_file [data-testid=stFileUploaderDropzone]", "file drop zone"),
    PageSpec("audit", "Audit log", "main [data-testid=stDataFrame]", "audit table"),
]
RECEIVABLES = PageSpec("receivables", "Receivables", ".st-key-aging_history_chart .js-plotly-plot", "receivables by age chart")


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(base: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read().strip() == b"ok":
                return
        except OSError:
            pass
        if time.monotonic() > deadline or (process is not None and process.poll() is not None):
            raise RuntimeError(f"the server at {base} did not become healthy")
        time.sleep(0.2)


@contextlib.contextmanager
def started_server(database_url: str, *, port: int | None = None, log: Path | None = None,
                   extra_env: dict[str, str] | None = None, warm_up: bool = True) -> Iterator[tuple[str, int]]:
    """``manage.py serve`` on ``database_url``, as ``scripts/run.sh`` starts it
    (``warm_up=False``: ``--no-warm-up``); yields (base URL, pid) once it answers."""
    port = port or free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "BILLING_AUTO_SEED": "0", "BILLING_TODAY": TODAY,
           **(extra_env or {})}
    log_path = log or Path(tempfile.mkstemp(prefix="bench-streamlit-", suffix=".log")[1])
    with open(log_path, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", *([] if warm_up else ["--no-warm-up"]), "--server.port", str(port),
             "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base, process, timeout=600)  # the warm-up at 5,000 agencies comes first
            yield base, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------- the browser


class Runs:
    """Counts the script runs a page's websocket reports as finished."""

    def __init__(self, page: Page) -> None:
        self.finished = 0
        self.failed: list[str] = []
        page.on("websocket", self._watch)

    def _watch(self, socket_) -> None:  # type: ignore[no-untyped-def]
        if socket_.url.endswith("/_stcore/stream"):
            socket_.on("framereceived", self._frame)

    def _frame(self, payload: bytes | str) -> None:
        if not isinstance(payload, bytes | bytearray):
            return
        message = ForwardMsg()
        try:
            message.ParseFromString(bytes(payload))
        except Exception:  # not ours to judge; the next frame decides
            return
        if message.WhichOneof("type") == "script_finished":
            if message.script_finished == FINISHED:
                self.finished += 1
            elif message.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR:
                self.failed.append("compile error")


def wait_idle(page: Page, runs: Runs, before: int, content: str, *, text: str | None = None) -> None:
    """After an action taken when ``runs.finished`` was ``before``: the run
    it started has finished, ``content`` is visible (holding ``text`` if
    given), and the status widget is gone."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while runs.finished <= before:
        if time.monotonic() > deadline:
            raise TimeoutError("the script run never finished")
        page.wait_for_timeout(5)
    target = page.locator(content).first if text is None else page.locator(content, has_text=text).first
    target.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_MS,
                           polling=10)


def timed(page: Page, runs: Runs, act: Callable[[], None], content: str, *, text: str | None = None) -> float:
    before = runs.finished
    started = time.monotonic()
    act()
    wait_idle(page, runs, before, content, text=text)
    return time.monotonic() - started


def new_page(browser: Browser) -> tuple[Page, Runs]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page, Runs(page)


def sign_in(page: Page, runs: Runs, base: str, email: str, password: str, *, path: str = "/",
            content: str = SIGN_IN_CONTENT, typing: float = 0.0) -> float:
    """Seconds from the click on "Sign in" to ``content`` visible and idle,
    after ``typing`` seconds on the sign-in screen (a person types)."""
    page.goto(base + path)
    page.locator('input[aria-label="E-mail"]').fill(email)
    page.locator('input[aria-label="Password"]').fill(password)
    if typing:
        page.wait_for_timeout(typing * 1000)
    return timed(page, runs, lambda: page.get_by_role("button", name="Sign in").click(), content)


def click_nav(page: Page, link: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(link, exact=True).click()


def visit(page: Page, runs: Runs, spec: PageSpec) -> dict[str, float]:
    """One page from its sidebar link; the Revenue page also times its
    Receivables segment."""
    seconds = {spec.name: timed(page, runs, lambda: click_nav(page, spec.link), spec.content)}
    if spec.name == "revenue":
        seconds[RECEIVABLES.name] = timed(
            page, runs, lambda: page.locator(".st-key-revenue_view").get_by_role("radio", name="Receivables").click(),
            RECEIVABLES.content)
    return seconds


def _open(page: Page, key: str) -> list[str]:
    """Open the selectbox ``key`` (a combobox, drawn lazily); its options."""
    page.locator(f".st-key-{key} input[role=combobox]").wait_for(state="visible")
    page.locator(f".st-key-{key}").get_by_role("button", name="Open").click()
    page.get_by_role("option").first.wait_for(state="visible")
    return [o.strip() for o in page.get_by_role("option").all_inner_texts()]


def _chosen(page: Page, key: str) -> str:
    return page.locator(f".st-key-{key} input[role=combobox]").input_value().strip()


def pick(page: Page, runs: Runs, key: str, option: str, content: str, text: str | None) -> float:
    """Pick ``option`` in the open selectbox ``key``; seconds to ``content`` (holding ``text``) visible and idle."""
    return timed(page, runs, page.get_by_role("option", name=option, exact=True).click, content, text=text)


def invoice_switches(page: Page, runs: Runs) -> dict[str, float]:
    """On the invoice page: another agency (its first invoice of the run),
    then the previous cycle of that agency."""
    timed(page, runs, lambda: click_nav(page, "Invoices"), "table.inv-lines")
    current = _chosen(page, "invoice_agency")
    other = next(o for o in _open(page, "invoice_agency") if o != current)
    agency = pick(page, runs, "invoice_agency", other, "main h1, main h2, main h3", other.rsplit(" (", 1)[0])
    page.locator("table.inv-lines").first.wait_for(state="visible")
    shown = _chosen(page, "invoice_cycle")
    cycles = _open(page, "invoice_cycle")
    previous = cycles[cycles.index(shown) - 1] if shown in cycles and cycles.index(shown) > 0 else cycles[0]
    cycle = pick(page, runs, "invoice_cycle", previous, "table.inv-lines", None)
    return {"invoice: agency switch": agency, "invoice: cycle switch": cycle}


def one_run(browser: Browser, base: str, typing: float) -> dict[str, float]:
    """Sign in, every page cold then warm (interleaved), the switches, a second sign-in."""
    page, runs = new_page(browser)
    out: dict[str, float] = {"sign-in (cold)": sign_in(page, runs, base, *FINANCE, typing=typing)}
    tour = PAGES[1:]
    for index, spec in enumerate(tour):
        out.update({f"{name} (cold)": s for name, s in visit(page, runs, spec).items()})
        if index:
            out.update({f"{name} (warm)": s for name, s in visit(page, runs, tour[index - 1]).items()})
    out.update({f"{name} (warm)": s for name, s in visit(page, runs, tour[-1]).items()})
    out.update({f"{name} (warm)": s for name, s in visit(page, runs, PAGES[0]).items()})
    out.update(invoice_switches(page, runs))
    if runs.failed:
        raise RuntimeError(f"a script run failed: {runs.failed}")
    page.context.close()
    second, second_runs = new_page(browser)
    out["sign-in (warm)"] = sign_in(second, second_runs, base, *FINANCE, typing=typing)
    second.context.close()
    return out


def order() -> list[str]:
    names = ["sign-in (cold)", "sign-in (warm)"]
    for spec in [*PAGES, RECEIVABLES]:
        names += [f"{spec.name} (cold)", f"{spec.name} (warm)"]
    return [*names, "invoice: agency switch", "invoice: cycle switch"]


def summarise(results: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    summary = {}
    for name in order():
        values = [r[name] for r in results if name in r]
        if values:
            summary[name] = {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}
    return summary


def table(summary: dict[str, dict[str, float]]) -> str:
    what = {s.name: s.what for s in [*PAGES, RECEIVABLES]}
    lines = [f"{'item':<28} {'median':>8} {'min':>8} {'max':>8}  waits for", "-" * 90]
    for name, figures in summary.items():
        page = name.split(" (")[0]
        lines.append(f"{name:<28} {figures['median']:>7.2f}s {figures['min']:>7.2f}s {figures['max']:>7.2f}s  "
                     f"{what.get(page, 'overview chart' if page == 'sign-in' else 'the lines of the new invoice')}")
    return "\n".join(lines)


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", help="the server's URL (omit with --start)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--start", action="store_true", help="a fresh server per run on $DATABASE_URL")
    parser.add_argument("--no-warm-up", action="store_true", dest="no_warm_up",
                        help="with --start: servers that skip the warm-up (manage.py serve --no-warm-up)")
    parser.add_argument("--typing", type=float, default=3.0,
                        help="seconds on the sign-in screen before the click (a person typing); not timed")
    args = parser.parse_args()
    if not args.start and not args.base:
        parser.error("give BASE_URL or --start")
    database = os.environ.get("DATABASE_URL", "")
    if args.start and not database:
        parser.error("--start needs DATABASE_URL")
    results = []
    load_before = loadavg()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for number in range(args.runs):
            with contextlib.ExitStack() as stack:
                base = stack.enter_context(started_server(database, warm_up=not args.no_warm_up))[0] if args.start else args.base
                result = one_run(browser, base, args.typing)
            results.append(result)
            print(f"run {number + 1}/{args.runs}: sign-in {result['sign-in (cold)']:.2f} s cold, "
                  f"{result['sign-in (warm)']:.2f} s warm; load {loadavg()}", file=sys.stderr, flush=True)
        browser.close()
    summary = summarise(results)
    print(table(summary))
    print(f"load average before: {load_before}; after: {loadavg()}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "runs": results, "fresh_server_per_run": args.start,
                                         "warm_up": args.start and not args.no_warm_up,
                                         "typing_s": args.typing,
                                         "loadavg_before": load_before, "loadavg_after": loadavg()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

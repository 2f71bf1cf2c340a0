"""Many people at once: N concurrent sessions sign in and click through their
pages for a while; how long each render and each sign-in takes (issue #18).

How to run::

    # a fresh server on a seeded database (the bench adds the finance accounts it needs)
    DATABASE_URL=sqlite:////tmp/bb-demo.db .venv/bin/python bench/load_test.py --start --sessions 20 --duration 120
    # or against a running server (give its pid to see its CPU; DATABASE_URL to add the accounts)
    DATABASE_URL=sqlite:////tmp/bb-demo.db .venv/bin/python bench/load_test.py http://127.0.0.1:8765 \\
        --sessions 20 --duration 120 --server-pid 1234 --json /tmp/load.json

Each session opens the sign-in screen, spends ``--typing`` seconds on it (3:
a person types an e-mail and a password; 0 submits at once) and signs in
through the form (e-mail, password, "Sign in": the same run of ``app.py`` a
browser starts, bcrypt included), timed from the submit to the end of the run
that draws the overview. It then opens
the pages its role sees in the navigation one after the other, in a loop,
each timed from the request to the end of its run, until ``--duration``
seconds have passed (``--think`` seconds between clicks; 0 by default, so
every session always has a click in flight: harsher than people are).
Sessions start ``--ramp`` seconds apart in all (people arriving), so later
sign-ins happen while the earlier sessions click. The people: the three
demo account managers, the demo finance account and as many more finance
accounts (``bench-finance-NN@dialer-billing.example``) as it takes, created
through ``services.accounts`` when ``DATABASE_URL`` is set: a finance team is
several people, and each person's results were once cached separately.
``--same-person`` signs every session in as the demo finance account (the
sign-in limits lock an e-mail after 5 attempts in flight from one address).

The client: lightweight websocket sessions speaking Streamlit's own protocol
(``BackMsg``/``ForwardMsg`` protobufs over ``/_stcore/stream``), not 20
Chromium pages. On this 2-core machine 20 browser contexts would take most of
the CPU away from the server they measure (one Chromium page drawing a plotly
page costs about as much CPU as the server's run for it), so the numbers would
be the client's. Here every message still crosses the socket and is parsed;
what is not included is the browser drawing the page, which happens on each
person's own machine: ``bench/browser_bench.py`` measures it for one person
(a render here + what the browser adds there = what a person feels). The
client's own CPU share is measured and printed beside the server's.

A render counts as an error when its run sends an exception, does not end
with ``FINISHED_SUCCESSFULLY`` within 120 s, or a sign-in does not reach a
signed-in page. Prints median, p90 and max of renders (and per page) and of
sign-ins, the counts, CPU shares and the load average; ``--json`` writes it all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import websockets
from browser_bench import FINANCE, loadavg, started_server
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

MANAGERS = [(f"{name}@dialer-billing.example", "manager-demo-2026")
            for name in ("maria.lopez", "sam.okafor", "jen.kowalski")]
BENCH_PASSWORD = "bench-finance-2026"
RUN_TIMEOUT = 120.0
FINISHED = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR


@dataclass(frozen=True)
class Person:
    email: str
    password: str


@dataclass(frozen=True)
class Render:
    session: int
    page: str
    seconds: float
    started: float  # seconds since the test began
    received_bytes: int


@dataclass
class Results:
    renders: list[Render] = field(default_factory=list)
    sign_ins: list[Render] = field(default_factory=list)  # page "sign-in"
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunOutcome:
    seconds: float
    widgets: dict[str, str]  # label (or key) → widget id, of the last run
    pages: dict[str, str]  # visible page title → script hash, from the last navigation message
    exception: str | None
    kinds: frozenset[str]  # element types the run drew
    received_bytes: int


class StreamlitSession:
    """One browser tab's worth of Streamlit protocol over a websocket."""

    def __init__(self, base: str) -> None:
        self.url = base.replace("http://", "ws://").replace("https://", "wss://") + "/_stcore/stream"
        self.socket: websockets.ClientConnection | None = None
        self.pages: dict[str, str] = {}

    async def open(self) -> None:
        self.socket = await websockets.connect(self.url, subprotocols=[websockets.Subprotocol("streamlit")],
                                               max_size=None, open_timeout=60, ping_interval=None)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def rerun(self, *, page_hash: str = "", widgets: list[tuple[str, str, object]] | None = None) -> RunOutcome:
        """Ask for a run (a page, or widget values: (id, field, value)) and
        read until a run finishes successfully (``st.rerun`` ends one early)."""
        assert self.socket is not None
        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        state.page_script_hash = page_hash
        for widget_id, kind, value in widgets or []:
            entry = state.widget_states.widgets.add()
            entry.id = widget_id
            setattr(entry, kind, value)
        started = time.monotonic()
        await self.socket.send(message.SerializeToString())
        found: dict[str, str] = {}
        kinds: set[str] = set()
        exception: str | None = None
        received = 0
        deadline = started + RUN_TIMEOUT
        while True:
            data = await asyncio.wait_for(self.socket.recv(), max(0.1, deadline - time.monotonic()))
            assert isinstance(data, bytes)
            received += len(data)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                element_kind = element.WhichOneof("type") or ""
                kinds.add(element_kind)
                body = getattr(element, element_kind)
                if element_kind == "exception":
                    exception = f"{body.type}: {body.message}"[:300]
                widget_id = getattr(body, "id", "")
                if widget_id:
                    found[getattr(body, "label", "") or widget_id] = widget_id
            elif kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in forward.navigation.app_pages if not p.is_hidden}
            elif kind == "script_finished":
                if forward.script_finished == FINISHED:
                    return RunOutcome(time.monotonic() - started, found, dict(self.pages), exception,
                                      frozenset(kinds), received)
                if forward.script_finished == COMPILE_ERROR:
                    raise RuntimeError("the script did not compile")
                found, kinds = {}, set()  # ended early for a rerun: the next run draws the page

    async def sign_in(self, person: Person, typing: float = 0.0) -> float:
        """Seconds from submitting the sign-in form to the overview drawn,
        after ``typing`` seconds on the sign-in screen (not timed)."""
        form = await self.rerun()
        if "E-mail" not in form.widgets:
            raise RuntimeError("no sign-in form")
        await asyncio.sleep(typing)
        outcome = await self.rerun(widgets=[
            (form.widgets["E-mail"], "string_value", person.email),
            (form.widgets["Password"], "string_value", person.password),
            (form.widgets["Sign in"], "trigger_value", True),
        ])
        if "Sign out" not in outcome.widgets or outcome.exception:
            raise RuntimeError(f"{person.email} did not sign in ({outcome.exception or 'the form came back'})")
        return outcome.seconds


def people(sessions: int, *, same_person: bool) -> list[Person]:
    if same_person:
        return [Person(*FINANCE)] * sessions
    managers = [Person(*m) for m in MANAGERS][: max(0, min(3, sessions - 1))]
    finance = [Person(*FINANCE)] + [Person(f"bench-finance-{n:02d}@dialer-billing.example", BENCH_PASSWORD)
                                    for n in range(1, sessions - len(managers))]
    mixed = finance[: sessions - len(managers)] + managers
    return mixed


def ensure_accounts(everyone: list[Person]) -> None:
    """The bench's finance accounts, added through the services when missing."""
    from services.access import SYSTEM, Role
    from services.accounts import add_account, viewer_for_email

    for person in everyone:
        if person.email.startswith("bench-finance-") and viewer_for_email(person.email) is None:
            add_account(SYSTEM, email=person.email, role=Role.FINANCE, name=f"Bench {person.email[14:16]} Finance",
                        password=person.password)


async def one_session(index: int, person: Person, base: str, start_at: float, stop_at: float, think: float,
                      typing: float, origin: float, results: Results) -> None:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    session = StreamlitSession(base)
    try:
        await session.open()
        began = time.monotonic()
        results.sign_ins.append(Render(index, "sign-in", await session.sign_in(person, typing), began - origin, 0))
        pages = [title for title in session.pages]
        position = index % len(pages)
        while time.monotonic() < stop_at:
            title = pages[position % len(pages)]
            position += 1
            began = time.monotonic()
            try:
                outcome = await session.rerun(page_hash=session.pages[title])
            except TimeoutError:
                results.errors.append(f"session {index}: {title} did not finish in {RUN_TIMEOUT:.0f} s")
                return
            if outcome.exception:
                results.errors.append(f"session {index}: {title}: {outcome.exception}")
            else:
                results.renders.append(Render(index, title, outcome.seconds, began - origin, outcome.received_bytes))
            if think:
                await asyncio.sleep(random.uniform(0.5, 1.5) * think)
    except Exception as error:  # one session failing is a finding, not the end of the test
        results.errors.append(f"session {index} ({person.email}): {type(error).__name__}: {error}")
    finally:
        await session.close()


def cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def figures(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median": statistics.median(values), "p90": p90(values), "max": max(values),
            "min": min(values)}


async def load(base: str, everyone: list[Person], duration: float, ramp: float, think: float,
               typing: float) -> tuple[Results, float]:
    results = Results()
    origin = time.monotonic()
    stop_at = origin + duration
    gap = ramp / max(1, len(everyone) - 1) if len(everyone) > 1 else 0.0
    tasks = [one_session(i, p, base, origin + i * gap, stop_at, think, typing, origin, results)
             for i, p in enumerate(everyone)]
    await asyncio.gather(*tasks)
    return results, time.monotonic() - origin


def report(results: Results, wall: float, client_cpu: float, server_cpu: float | None, args: argparse.Namespace,
           load_before: str, load_after: str) -> dict[str, object]:
    renders = [r.seconds for r in results.renders]
    by_page: dict[str, list[float]] = {}
    for r in results.renders:
        by_page.setdefault(r.page, []).append(r.seconds)
    return {
        "sessions": args.sessions, "duration_s": args.duration, "ramp_s": args.ramp, "think_s": args.think,
        "typing_s": args.typing,
        "same_person": args.same_person, "wall_s": wall,
        "render": figures(renders), "sign_in": figures([s.seconds for s in results.sign_ins]),
        "per_page": {page: figures(values) for page, values in sorted(by_page.items())},
        "renders_per_s": len(renders) / wall if wall else 0.0,
        "errors": results.errors,
        "client_cpu_s": client_cpu, "client_cpu_share": client_cpu / wall if wall else 0.0,
        "server_cpu_s": server_cpu, "server_cpu_share": None if server_cpu is None or not wall else server_cpu / wall,
        "loadavg_before": load_before, "loadavg_after": load_after,
        "renders": [asdict(r) for r in results.renders],
        "sign_ins": [asdict(s) for s in results.sign_ins],
    }


def printed(summary: dict[str, object]) -> Iterator[str]:
    def row(label: str, f: dict[str, float]) -> str:
        if not f.get("n"):
            return f"{label:<24} none"
        return f"{label:<24} n={f['n']:<5} median {f['median']:6.2f} s   p90 {f['p90']:6.2f} s   max {f['max']:6.2f} s"

    yield (f"{summary['sessions']} sessions, {summary['duration_s']:.0f} s (ramp {summary['ramp_s']:.0f} s, "
           f"typing {summary['typing_s']:.1f} s, think {summary['think_s']:.1f} s)"
           f"{' as one person' if summary['same_person'] else ''}")
    yield row("render (every page)", summary["render"])  # type: ignore[arg-type]
    yield row("sign-in to overview", summary["sign_in"])  # type: ignore[arg-type]
    for page, f in summary["per_page"].items():  # type: ignore[attr-defined]
        yield row(f"  {page}", f)
    yield f"renders {summary['render'].get('n', 0)} ({summary['renders_per_s']:.1f}/s), errors {len(summary['errors'])}"  # type: ignore[attr-defined]
    for error in summary["errors"][:10]:  # type: ignore[index]
        yield f"  error: {error}"
    server = summary["server_cpu_share"]
    yield (f"CPU: client {summary['client_cpu_share']:.0%} of one core"
           + ("" if server is None else f", server {server:.0%} of one core (2 cores = 200%)"))
    yield f"load average before: {summary['loadavg_before']}; after: {summary['loadavg_after']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", help="the server's URL (omit with --start)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the sessions start")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds between a render and the next click")
    parser.add_argument("--typing", type=float, default=3.0,
                        help="seconds on the sign-in screen before submitting (a person typing); not timed")
    parser.add_argument("--same-person", action="store_true", help="every session as the demo finance account")
    parser.add_argument("--start", action="store_true", help="start a fresh server on $DATABASE_URL")
    parser.add_argument("--server-pid", type=int, help="the server's pid, for its CPU share")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.start and not args.base:
        parser.error("give BASE_URL or --start")
    database = os.environ.get("DATABASE_URL", "")
    if args.start and not database:
        parser.error("--start needs DATABASE_URL")
    everyone = people(args.sessions, same_person=args.same_person)
    if database:
        ensure_accounts(everyone)
    elif any(p.email.startswith("bench-") for p in everyone):
        parser.error("set DATABASE_URL so the bench can add its finance accounts, or use --same-person")
    with ExitStack() as stack:
        base, pid = (stack.enter_context(started_server(database)) if args.start else (args.base, args.server_pid))
        load_before = loadavg()
        client_before, server_before = own_cpu(), cpu_seconds(pid)
        results, wall = asyncio.run(load(base, everyone, args.duration, args.ramp, args.think, args.typing))
        client_cpu, server_after = own_cpu() - client_before, cpu_seconds(pid)
        server_cpu = None if server_before is None or server_after is None else server_after - server_before
        summary = report(results, wall, client_cpu, server_cpu, args, load_before, loadavg())
    print("\n".join(printed(summary)))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""``python manage.py …``: the dashboard's work, from the command line.

Every command migrates the database first (``DATABASE_URL``, default SQLite
under ``data/``). Errors are one clear line on stderr and a non-zero exit;
data is printed as JSON on stdout so it can be piped and scripted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import settings
from billing import Cycle, parse_date
from billing.facts import SignalMode
from billing.ledger import AdjustmentKind
from billing.scenario import statuses_to_json
from services import logs
from services.access import Role, Viewer
from services.errors import BillingError, FieldError, one_line
from services.importing import IMPORT_KINDS
from services.runtime import tune_garbage_collector
from services.whatif import ChangesError

EXIT_ERROR = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _date(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _cycle(text: str) -> Cycle:
    try:
        return Cycle.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _print_json(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _stderr_progress(message: str, fraction: float) -> None:
    print(f"[{fraction:6.1%}] {message}", file=sys.stderr, flush=True)


# --- commands ------------------------------------------------------------------

def cmd_migrate(args: argparse.Namespace) -> None:
    from services.setup import migrate_database

    url = migrate_database()
    print(f"database is at the newest schema: {_safe_url(url)}", file=sys.stderr)


def cmd_seed(args: argparse.Namespace) -> None:
    from dataclasses import asdict

    from services.clock import billing_today
    from services.demo import SeedOptions, seed_demo
    from services.setup import database_is_empty, reset_database

    if args.reset:
        reset_database()
    elif args.if_empty and not database_is_empty():
        _print_json({"seeded": False, "reason": "the database already holds agencies or accounts"})
        return
    options = SeedOptions(agencies=args.agencies, months=args.months, seed=args.seed, today=args.today or billing_today())
    summary = seed_demo(options, progress=None if args.quiet else _stderr_progress)
    _print_json({"today": options.today.isoformat(), **asdict(summary)})


def cmd_scenario(args: argparse.Namespace) -> None:
    from services.previews import scenario

    _print_json(scenario(args.agency, args.cycle))


def cmd_preview(args: argparse.Namespace) -> None:
    from services.previews import invoice_json

    _print_json(invoice_json(args.agency, args.cycle, args.as_of))


def cmd_forecast(args: argparse.Namespace) -> None:
    from services.previews import forecast_json

    _print_json(forecast_json(args.agency, args.cycle, args.as_of))


def cmd_issued_vs_now(args: argparse.Namespace) -> None:
    from services.access import SYSTEM
    from services.invoices import issued_vs_now

    _print_json(issued_vs_now(SYSTEM, args.agency, args.cycle).document())


def cmd_whatif(args: argparse.Namespace) -> None:
    from services.whatif import whatif_json

    _print_json(whatif_json(args.agency, args.cycle, Path(args.changes), args.as_of))


def cmd_issue(args: argparse.Namespace) -> None:
    from services.access import Permission
    from services.clock import billing_today
    from services.issuing import issue_cycle

    if args.without_approval and args.reason is None:
        raise FieldError("--reason", "issuing without approval needs --reason TEXT: why these invoices go out unapproved")
    if args.reason is not None and not args.without_approval:
        raise FieldError("--reason", "is only for --without-approval")
    if args.without_approval:
        _operator(args).require(Permission.ISSUE_WITHOUT_APPROVAL)
    result = issue_cycle(args.cycle, actor=args.actor, today=args.today or billing_today(),
                         without_approval=args.reason if args.without_approval else None,
                         progress=None if args.quiet else lambda done, total: _stderr_progress(f"issued {done} of {total}", done / total))
    _print_json({
        "cycle": str(result.cycle),
        "issued": [{"agency_id": a, "number": n, "total": str(t)} for a, n, t in result.issued],
        "issued_total": str(result.issued_total),
        "already_issued": result.already_issued,
        "skipped": result.skipped,
        "not_approved": result.not_approved,
        "issued_without_approval": result.without_approval,
    })


def cmd_review(args: argparse.Namespace) -> None:
    from services.review import review_cycle, review_document

    _print_json(review_document(review_cycle(_operator(args), args.cycle, today=args.today)))


def cmd_approve(args: argparse.Namespace) -> None:
    from services.review import approve

    outcome = approve(_operator(args), args.cycle, args.agency, note=args.note)
    _print_json({
        "cycle": str(outcome.cycle),
        "approved": [{"agency_id": a, "total": str(t)} for a, t in outcome.approved],
        "approved_total": str(outcome.approved_total),
        "already_approved": outcome.already,
        "refused": outcome.refused,
    })


def cmd_acknowledge(args: argparse.Namespace) -> None:
    from services.review import acknowledge_finding

    finding = acknowledge_finding(_operator(args), args.cycle, args.agency, args.finding, args.note)
    _print_json({"cycle": str(args.cycle), "agency_id": args.agency, "finding": str(finding.code),
                 "severity": str(finding.severity), "sentence": finding.sentence, "note": " ".join(args.note.split())})


def _operator(args: argparse.Namespace) -> Viewer:
    """Commands run with the operator's rights, recorded under ``--actor``."""
    from services.access import SYSTEM

    actor = (getattr(args, "actor", None) or SYSTEM.email).strip() or SYSTEM.email
    return Viewer(actor, actor, SYSTEM.role)


def cmd_pay(args: argparse.Namespace) -> None:
    from services.payments import record_payment

    payment = record_payment(_operator(args), agency_id=args.agency, amount=args.amount, paid_on=args.date,
                             invoice_number=args.invoice, reference=args.reference,
                             confirm_duplicate=args.confirm_duplicate)
    _print_json({"recorded": payment.created, "id": payment.id, "agency_id": payment.agency_id,
                 "amount": str(payment.amount), "date": payment.paid_on.isoformat(),
                 "invoice": payment.invoice_number, "reference": payment.reference})


def cmd_adjust(args: argparse.Namespace) -> None:
    from services.adjustments import record_adjustment

    adjustment = record_adjustment(_operator(args), agency_id=args.agency, kind=args.kind, amount=args.amount,
                                   on_date=args.date, reason=args.reason, invoice_number=args.invoice, due_on=args.due)
    _print_json({"number": adjustment.number, "agency_id": adjustment.agency_id, "kind": str(adjustment.kind),
                 "amount": str(adjustment.amount), "date": adjustment.on_date.isoformat(),
                 "invoice": adjustment.invoice_number, "reason": adjustment.reason})


def cmd_reverse(args: argparse.Namespace) -> None:
    from services.adjustments import reverse_adjustment

    adjustment = reverse_adjustment(_operator(args), number=args.number, reason=args.reason, on_date=args.date)
    _print_json({"number": adjustment.number, "reverses": args.number.strip().upper(), "agency_id": adjustment.agency_id,
                 "kind": str(adjustment.kind), "amount": str(adjustment.amount), "date": adjustment.on_date.isoformat(),
                 "invoice": adjustment.invoice_number, "reason": adjustment.reason})


def cmd_contract(args: argparse.Namespace) -> None:
    from services.contracts import add_contract_version

    version = add_contract_version(
        _operator(args), agency_id=args.agency, effective_from=args.effective_from, user_fee=args.user_fee,
        minimum_users=args.minimum_users, minute_rate=args.minute_rate, licensing_fee=args.licensing_fee,
        minute_block=args.minute_block, replenish_buffer_pct=args.buffer_pct,
        onboarding_minutes_per_user=args.onboarding_minutes, signal_mode=args.signal_mode, signal_rate=args.signal_rate,
        number_cleaning_rate=args.number_cleaning_rate, appointment_fee=args.appointment_fee,
        transcription_rate=args.transcription_rate,
    )
    _print_json({"agency_id": version.agency_id, "effective_from": version.effective_from.isoformat(),
                 "user_fee": str(version.user_fee), "minimum_users": version.minimum_users,
                 "minute_rate": str(version.minute_rate), "signal_mode": str(version.signal_mode)})


def cmd_status(args: argparse.Namespace) -> None:
    from services.statuses import payment_statuses

    _print_json(statuses_to_json(args.as_of, payment_statuses(args.as_of)))


def cmd_statement(args: argparse.Namespace) -> None:
    from services.access import SYSTEM
    from services.agency_account import statement, statement_json, statement_pdf
    from services.clock import billing_today

    found = statement(SYSTEM, args.agency, args.start, args.end or billing_today())
    if args.format == "json":
        document = statement_json(found)
        if args.output:
            Path(args.output).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            _print_json({"file": args.output, "entries": len(found.entries), "closing_balance": document["closing_balance"]})
        else:
            _print_json(document)
        return
    if not args.output:
        raise FieldError("-o", "a PDF needs a file to write: -o statement.pdf")
    name, data = statement_pdf(found)
    Path(args.output).write_bytes(data)
    _print_json({"file": args.output, "bytes": len(data), "suggested_name": name})


def cmd_usage_report(args: argparse.Namespace) -> None:
    from services.access import SYSTEM
    from services.usage_report import file_stem, usage_csv, usage_json, usage_report, usage_xlsx

    report = usage_report(SYSTEM, args.agency, args.cycle)
    if args.format == "json":
        document = usage_json(report)
        if args.output:
            Path(args.output).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            _print_json({"file": args.output, "reconciles": document["reconciles"]})
        else:
            _print_json(document)
        return
    data = usage_csv(report) if args.format == "csv" else usage_xlsx(report)
    output = args.output or f"{file_stem(report)}.{args.format}"
    Path(output).write_bytes(data)
    _print_json({"file": output, "bytes": len(data), "reconciles": report.reconciles})


def cmd_import(args: argparse.Namespace) -> None:
    from db.imports.command import import_file

    _print_json(import_file(args.kind, Path(args.file), timezone=args.timezone, actor=args.actor,
                            progress=None if args.quiet else _stderr_progress))


def cmd_pdf(args: argparse.Namespace) -> None:
    from services.access import SYSTEM
    from services.clock import billing_today
    from services.invoices import cycle_archive, invoice_pdf, invoice_view

    output = Path(args.output)
    if args.all:
        name, data = cycle_archive(SYSTEM, args.cycle, progress=None if args.quiet else
                                   lambda done, total: _stderr_progress(f"rendered {done} of {total}", done / total))
    else:
        if not args.agency:
            raise FieldError("--agency", "name an agency, or use --all for the whole cycle")
        name, data = invoice_pdf(invoice_view(SYSTEM, args.agency, args.cycle, args.as_of or billing_today()))
    output.write_bytes(data)
    _print_json({"file": str(output), "bytes": len(data), "suggested_name": name})


def cmd_export(args: argparse.Namespace) -> None:
    """The CSV to stdout, or to ``-o FILE`` with a JSON summary on stdout."""
    from services.accounting_export import export_cycle, export_entries

    if args.cycle is not None:
        if args.start or args.end:
            raise FieldError("--from", "give either --cycle (the cycle's invoices) or --from/--to (payments and adjustments)")
        exported = export_cycle(_operator(args), args.cycle, args.format)
    else:
        if not (args.start and args.end):
            raise FieldError("--cycle", "name a cycle for its invoices, or --from and --to for payments and adjustments")
        if args.format != "journal":
            raise FieldError("--format", "payments and adjustments export as a journal only (--format journal)")
        exported = export_entries(_operator(args), args.start, args.end)
    if args.output is None:
        sys.stdout.write(exported.content)
        return
    Path(args.output).write_text(exported.content, encoding="utf-8", newline="")
    _print_json({"file": args.output, "format": exported.format.value, "invoices": exported.invoices,
                 "rows": exported.rows, "total": str(exported.total)})


EXIT_PENDING = 3


NOTIFY_AHEAD_DAYS = 62  # a date further ahead is a typo: nothing can be due on it yet


def cmd_notify(args: argparse.Namespace) -> None:
    from datetime import timedelta

    from services.clock import billing_today
    from services.outbox import notify

    latest = billing_today() + timedelta(days=NOTIFY_AHEAD_DAYS)
    if args.date > latest:
        print(f"error: argument --date: {args.date.isoformat()} is more than {NOTIFY_AHEAD_DAYS} days ahead "
              f"(latest {latest.isoformat()}); nothing can be due on it yet", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    summary = notify(args.date, dry_run=args.dry_run)
    _print_json(summary.as_json())
    if summary.left_pending and not args.dry_run:
        sys.stdout.flush()
        raise SystemExit(EXIT_PENDING)


def cmd_grants(args: argparse.Namespace) -> None:
    from db.roles import grant_statements

    try:
        sys.stdout.write(grant_statements(args.role))
    except ValueError as error:
        raise FieldError("ROLE", str(error)) from None


def cmd_serve(args: argparse.Namespace) -> None:
    """Warm up, then hand this process to ``streamlit run app.py``: the app's
    pages run in this same process and import the same modules, so what the
    warm-up kept (services.warmup) is what the first person finds."""
    from streamlit.web import cli as streamlit_cli

    from services.clock import billing_today
    from services.warmup import warm_up

    if not args.no_warm_up:
        done = warm_up(billing_today(), progress=_stderr_progress)
        failed = f"; {len(done.failed)} step(s) failed, see the log" if done.failed else ""
        print(f"serve: {done.agencies:,} agencies warmed up in {done.seconds:.1f} s{failed}", file=sys.stderr)
    import pandas  # noqa: F401 - the pages' libraries, imported now rather than on the first person's page
    import plotly.express  # noqa: F401

    from services.runtime import freeze_what_is_kept

    freeze_what_is_kept()
    app = Path(__file__).resolve().parent / "app.py"
    sys.argv = ["streamlit", "run", str(app), *args.streamlit]
    streamlit_cli.main()  # runs the server until it stops, then exits


def _password(prompt: str) -> str:
    """Ask for a password without echoing it; refuse in words without a terminal."""
    import getpass

    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise FieldError("Password", "none given: run the command in a terminal, or pipe the password on stdin")
        return line.rstrip("\r\n")
    return getpass.getpass(prompt)


def cmd_user(args: argparse.Namespace) -> None:
    from services import accounts

    operator = _operator(args)
    if args.action == "add":
        password = args.password
        if password is None and not args.no_password:
            password = _password("Password (10+ characters): ")
        account = accounts.add_account(operator, email=args.email, name=args.name or "", role=args.role,
                                       password=password, agency=args.agency)
        _print_json({"email": account.email, "role": str(account.role), "password_set": account.password_set})
    elif args.action == "role":
        account = accounts.set_role(operator, email=args.email, role=args.role)
        _print_json({"email": account.email, "role": str(account.role)})
    elif args.action == "password":
        accounts.set_password(operator, email=args.email, password=_password("New password: "))
        _print_json({"email": args.email.strip().lower(), "password_set": True})
    else:
        added = accounts.assign_agencies(operator, email=args.email, agency_ids=args.agencies)
        _print_json({"email": args.email.strip().lower(), "assigned": added})


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "migrate": cmd_migrate, "seed": cmd_seed, "scenario": cmd_scenario, "preview": cmd_preview,
    "issue": cmd_issue, "pay": cmd_pay, "status": cmd_status, "import": cmd_import,
    "pdf": cmd_pdf, "user": cmd_user, "adjust": cmd_adjust, "contract": cmd_contract, "reverse": cmd_reverse,
    "grants": cmd_grants, "export": cmd_export, "statement": cmd_statement, "usage-report": cmd_usage_report,
    "review": cmd_review, "approve": cmd_approve, "acknowledge": cmd_acknowledge,
    "notify": cmd_notify, "serve": cmd_serve,
    "forecast": cmd_forecast, "whatif": cmd_whatif, "issued-vs-now": cmd_issued_vs_now,
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python manage.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("migrate", help="bring the database schema to the newest revision")

    seed = sub.add_parser("seed", help="fill an empty database with deterministic demo data")
    seed.add_argument("--agencies", type=int, default=40)
    seed.add_argument("--months", type=int, default=14)
    seed.add_argument("--seed", type=int, default=2026)
    seed.add_argument("--today", type=_date, help="YYYY-MM-DD (default: today in the billing zone)")
    seed.add_argument("--reset", action="store_true", help="drop every table first (destroys data!)")
    seed.add_argument("--if-empty", action="store_true", dest="if_empty",
                      help="seed only a database with no agencies and no accounts; otherwise do nothing")
    seed.add_argument("--quiet", action="store_true")

    for name, text in (("scenario", "print the scenario JSON of an agency's cycle"),
                       ("preview", "print the invoice JSON of an agency's cycle")):
        command = sub.add_parser(name, help=text)
        command.add_argument("--agency", required=True)
        command.add_argument("--cycle", required=True, type=_cycle)
        if name == "preview":
            command.add_argument("--as-of", type=_date, dest="as_of",
                                 help="the day the standing is told for (default: today)")

    forecast = sub.add_parser("forecast", help="print an agency's cycle so far and its forecast at cutoff")
    forecast.add_argument("--agency", required=True)
    forecast.add_argument("--cycle", required=True, type=_cycle)
    forecast.add_argument("--as-of", type=_date, dest="as_of", help="the day the forecast is made (default: today)")

    whatif = sub.add_parser("whatif", help="print an agency's cycle with the changes of a what-if file applied")
    whatif.add_argument("--agency", required=True)
    whatif.add_argument("--cycle", required=True, type=_cycle)
    whatif.add_argument("--changes", required=True, help="a JSON file of docs/WHATIF_FORMAT.md")
    whatif.add_argument("--as-of", type=_date, dest="as_of", help="the day the what-if is made (default: today)")

    versus = sub.add_parser("issued-vs-now", help="print an issued invoice next to what the facts stored now give, "
                                                  "with a draft adjustment (nothing is recorded)")
    versus.add_argument("--agency", required=True)
    versus.add_argument("--cycle", required=True, type=_cycle)

    issue = sub.add_parser("issue", help="issue a cycle's invoices (idempotent)")
    issue.add_argument("--cycle", required=True, type=_cycle)
    issue.add_argument("--today", type=_date, help="the date the issuing happens (default: today)")
    issue.add_argument("--actor", default="manage.py")
    issue.add_argument("--without-approval", action="store_true", dest="without_approval",
                       help="also issue agencies whose preview is not approved (finance only, audited; needs --reason)")
    issue.add_argument("--reason", help="why invoices go out without approval (kept in the audit log)")
    issue.add_argument("--quiet", action="store_true")

    review = sub.add_parser("review", help="print the review of a cycle as JSON: every agency's findings and approval")
    review.add_argument("--cycle", required=True, type=_cycle)
    review.add_argument("--today", type=_date, help="the review day: what the ledger checks look at, and whether the "
                        "cycle is in progress (checked on its forecast at cutoff) or final (default: today)")

    approve = sub.add_parser("approve", help="approve previews for issuing (refuses an unacknowledged blocking finding)")
    approve.add_argument("--cycle", required=True, type=_cycle)
    approve.add_argument("--agency", action="append", help="an agency to approve (repeat; default: every ready agency)")
    approve.add_argument("--actor", required=True, help="who approves (an e-mail, kept with the approval)")
    approve.add_argument("--note")

    acknowledge = sub.add_parser("acknowledge", help="acknowledge one finding of an agency's review, with a note")
    acknowledge.add_argument("--cycle", required=True, type=_cycle)
    acknowledge.add_argument("--agency", required=True)
    acknowledge.add_argument("--finding", required=True, help="the finding's code, e.g. total_changed")
    acknowledge.add_argument("--note", required=True)
    acknowledge.add_argument("--actor", required=True)

    pay = sub.add_parser("pay", help="record a payment (a repeated --reference is a no-op)")
    pay.add_argument("--agency", required=True)
    pay.add_argument("--amount", required=True)
    pay.add_argument("--date", required=True, type=_date)
    pay.add_argument("--invoice")
    pay.add_argument("--reference")
    pay.add_argument("--confirm-duplicate", action="store_true", dest="confirm_duplicate",
                     help="record it although the same amount without a reference was recorded within a week")
    pay.add_argument("--actor", default="manage.py")

    reverse = sub.add_parser("reverse", help="reverse a wrong adjustment with its counter-entry (audited)")
    reverse.add_argument("number", help="the adjustment to reverse, e.g. ADJ-000004")
    reverse.add_argument("--reason", required=True)
    reverse.add_argument("--date", type=_date, help="the counter-entry's date (default: today)")
    reverse.add_argument("--actor", default="manage.py")

    contract = sub.add_parser("contract", help="add a contract version (rates change from its date on)")
    contract.add_argument("--agency", required=True)
    contract.add_argument("--from", required=True, type=_date, dest="effective_from", help="the day it takes effect")
    contract.add_argument("--user-fee", required=True)
    contract.add_argument("--minimum-users", required=True)
    contract.add_argument("--minute-rate", required=True)
    contract.add_argument("--licensing-fee", default="50.00")
    contract.add_argument("--minute-block", default="100")
    contract.add_argument("--buffer-pct", default="0", help="replenishment buffer, percent")
    contract.add_argument("--onboarding-minutes", default="2500", help="onboarding minutes per user")
    contract.add_argument("--signal-mode", default=str(SignalMode.NONE), choices=[str(mode) for mode in SignalMode])
    contract.add_argument("--signal-rate")
    contract.add_argument("--number-cleaning-rate")
    contract.add_argument("--appointment-fee")
    contract.add_argument("--transcription-rate")
    contract.add_argument("--actor", default="manage.py")

    adjust = sub.add_parser("adjust", help="record a credit or debit adjustment (issued invoices never change)")
    adjust.add_argument("--agency", required=True)
    adjust.add_argument("--kind", required=True, choices=[str(kind) for kind in AdjustmentKind])
    adjust.add_argument("--amount", required=True)
    adjust.add_argument("--date", required=True, type=_date)
    adjust.add_argument("--reason", required=True)
    adjust.add_argument("--invoice", help="the invoice it corrects")
    adjust.add_argument("--due", type=_date, help="a debit's own due date (default: with the invoice it corrects)")
    adjust.add_argument("--actor", default="manage.py")

    status = sub.add_parser("status", help="every agency's payment status on a date")
    status.add_argument("--as-of", required=True, type=_date, dest="as_of")

    statement = sub.add_parser("statement", help="an agency's statement of account (JSON or PDF)")
    statement.add_argument("--agency", required=True)
    statement.add_argument("--from", type=_date, dest="start", help="first day (default: the agency's onboarding date)")
    statement.add_argument("--to", type=_date, dest="end", help="last day (default: today)")
    statement.add_argument("--format", choices=("json", "pdf"), default="json")
    statement.add_argument("-o", "--output", help="the file to write (required for pdf)")

    usage = sub.add_parser("usage-report", help="an agency's usage in a closed period, per user and per day")
    usage.add_argument("--agency", required=True)
    usage.add_argument("--cycle", required=True, type=_cycle)
    usage.add_argument("--format", choices=("csv", "xlsx", "json"), default="json")
    usage.add_argument("-o", "--output", help="the file to write (default for csv/xlsx: usage-AGENCY-CYCLE.EXT)")

    importer = sub.add_parser("import", help="import a CSV file of IMPORT_FORMAT.md, all or nothing")
    importer.add_argument("kind", choices=IMPORT_KINDS)
    importer.add_argument("file")
    importer.add_argument("--timezone", help="the zone of timestamps written without an offset, e.g. America/Chicago")
    importer.add_argument("--actor", default="manage.py")
    importer.add_argument("--quiet", action="store_true")

    pdf = sub.add_parser("pdf", help="write an invoice PDF, or a zip of the whole cycle with --all")
    pdf.add_argument("--cycle", required=True, type=_cycle)
    target = pdf.add_mutually_exclusive_group(required=True)
    target.add_argument("--agency")
    target.add_argument("--all", action="store_true")
    pdf.add_argument("-o", "--output", required=True)
    pdf.add_argument("--as-of", type=_date, dest="as_of", help="payments up to this date (default: today)")
    pdf.add_argument("--quiet", action="store_true")

    export = sub.add_parser("export", help="a cycle's issued invoices (or a date range's payments and adjustments) "
                                           "as a Xero, QuickBooks Online or journal CSV")
    export.add_argument("--cycle", type=_cycle, help="the cycle whose issued invoices to export")
    export.add_argument("--from", dest="start", type=_date, help="payments and adjustments from this date (journal)")
    export.add_argument("--to", dest="end", type=_date, help="… to this date")
    export.add_argument("--format", required=True, choices=["xero", "quickbooks", "journal"])
    export.add_argument("-o", "--output", help="write the CSV here and print a summary (default: the CSV to stdout)")
    export.add_argument("--actor", default="system", help="who exports (for the audit log)")
    notify = sub.add_parser("notify", help="render and send the messages due on a date and any still pending "
                                           "(exit 3: some stay queued)")
    notify.add_argument("--date", required=True, type=_date, help="YYYY-MM-DD, the day whose messages are due")
    notify.add_argument("--dry-run", action="store_true", dest="dry_run", help="render and count, store and send nothing")

    grants = sub.add_parser("grants", help="print the SQL (not JSON) that gives a PostgreSQL runtime role the app's "
                                           "rights; run it as the owner role (SECURITY.md)")
    grants.add_argument("role", help="the runtime role, e.g. billing_app")

    serve = sub.add_parser("serve", help="compute the portfolio's pages once, then start the dashboard "
                                         "(what scripts/run.sh runs; other arguments go to streamlit run, "
                                         "e.g. --server.port 8600)")
    serve.add_argument("--no-warm-up", action="store_true", dest="no_warm_up",
                       help="start at once; the first visits compute what they show")
    user = sub.add_parser("user", help="dashboard accounts: add, role, assign, password")
    actions = user.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = actions.add_parser("add", help="add an account (asks for the password)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[str(role) for role in Role])
    add.add_argument("--name")
    add.add_argument("--password", help=argparse.SUPPRESS)  # for scripts and tests; prefer the prompt
    add.add_argument("--no-password", action="store_true", help="an account that signs in through OIDC only")
    add.add_argument("--agency", help="the one agency an agency_contact belongs to (required for that role)")
    role = actions.add_parser("role", help="change an account's role")
    role.add_argument("email")
    role.add_argument("role", choices=[str(role) for role in Role])
    assign = actions.add_parser("assign", help="assign agencies to an account manager (one to an agency contact)")
    assign.add_argument("email")
    assign.add_argument("agencies", nargs="+")
    password = actions.add_parser("password", help="set a new password (asks for it)")
    password.add_argument("email")
    for sub_parser in (add, role, assign, password):
        sub_parser.add_argument("--actor", default="manage.py")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Every failure a person can cause is one line on
    stderr and a non-zero exit, never a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "serve":
        args.streamlit = extra  # streamlit run's own options, e.g. --server.port 8600
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        settings.check()
    except settings.SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    logs.configure()
    tune_garbage_collector()
    try:
        COMMANDS[args.command](args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``manage.py preview | head``): that is its choice, not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("error: interrupted; nothing was left half-written", file=sys.stderr)
        return 130
    except EOFError:
        print("error: input ended before the command could read what it needs", file=sys.stderr)
        return EXIT_ERROR
    except ChangesError as error:  # a bad changes file is bad input, like a bad argument
        print(f"error: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except (BillingError, RuntimeError, ValueError, SQLAlchemyError, OSError) as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return EXIT_ERROR
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())

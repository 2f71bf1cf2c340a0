"""``python -m billing invoice|status``: the engine on the command line.

Any problem with the input — unreadable file, invalid JSON, a field that does
not follow SCENARIO_FORMAT.md, a bad ``--as-of`` — exits with status 2 and
one line on stderr naming the field; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .calendar import parse_date
from .invoice import price_invoice
from .ledger import statuses
from .scenario import (
    ScenarioError,
    facts_from_scenario,
    invoice_to_json,
    ledger_from_json,
    statuses_to_json,
)

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _fail(message)


def _fail(message: str) -> NoReturn:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    raise SystemExit(EXIT_BAD_INPUT)


MAX_INPUT_BYTES = 256 * 1024 * 1024  # far above any real scenario; /dev/zero must not fill the memory


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice is ambiguous (which one did the author mean?): refuse it."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKey(f"the key {key[:80]!r} appears twice in one object")
        document[key] = value
    return document


def _read_json(path: str) -> Any:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            _fail(f"{path}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB; not a scenario this tool reads")
        return json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except OSError as error:
        _fail(f"{path}: cannot read file: {error.strerror or error}")
    except UnicodeDecodeError:
        _fail(f"{path}: not UTF-8 text")
    except json.JSONDecodeError as error:
        _fail(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
    except _DuplicateKey as error:
        _fail(f"{path}: invalid JSON: {error}")
    except ValueError as error:  # an integer longer than Python will convert (4300 digits)
        _fail(f"{path}: invalid JSON: {str(error).split(';')[0]}")
    except RecursionError:
        _fail(f"{path}: JSON nested too deeply")


def _write(document: dict[str, Any]) -> None:
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m billing", description="Price invoices and compute statuses.")
    commands = parser.add_subparsers(dest="command", required=True)
    invoice = commands.add_parser("invoice", help="price a scenario file")
    invoice.add_argument("scenario")
    status = commands.add_parser("status", help="statuses of a ledger file")
    status.add_argument("ledger")
    status.add_argument("--as-of", required=True, dest="as_of")
    for sub in (invoice, status):
        sub.error = parser.error  # type: ignore[method-assign]
    args = parser.parse_args(argv)

    try:
        if args.command == "invoice":
            facts = facts_from_scenario(_read_json(args.scenario))
            _write(invoice_to_json(price_invoice(facts)))
        else:
            try:
                as_of = parse_date(args.as_of)
            except ValueError as error:
                _fail(f"--as-of: {error}")
            invoices, payments, warning_days = ledger_from_json(_read_json(args.ledger))
            _write(statuses_to_json(as_of, statuses(invoices, payments, as_of, warning_days=warning_days)))
    except ScenarioError as error:
        _fail(str(error))
    return 0

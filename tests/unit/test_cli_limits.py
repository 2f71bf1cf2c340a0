"""The engine's command line refuses input that is an attack rather than a
scenario, at once and in one line: a key given twice, an endless file, a
megabyte of digits where money belongs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from unit.scenario_builder import ROOT

EXAMPLE = ROOT / "tests" / "fixtures" / "billing-examples" / "acme-2026-11.json"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "billing", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)


def _refused(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr


@pytest.mark.parametrize("text", ['{"cycle": "2026-11", "cycle": "2026-12"}', '{"contract": {"user_fee": "1", "user_fee": "2"}}'])
def test_a_key_given_twice_is_refused_as_ambiguous(tmp_path: Path, text: str):
    path = tmp_path / "twice.json"
    path.write_text(text)
    _refused(_run("invoice", str(path)), "appears twice in one object")


def test_an_endless_file_is_refused_without_reading_it_all():
    _refused(_run("invoice", "/dev/zero"), "larger than 256 MiB")


@pytest.mark.parametrize("digits", [1_001, 1_000_000])
def test_a_money_string_of_more_than_a_thousand_characters_is_refused_by_name(tmp_path: Path, digits: int):
    document = json.loads(EXAMPLE.read_text())
    document["contract"]["user_fee"] = "1" * digits
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(document))
    _refused(_run("invoice", str(path)), "contract.user_fee: must be a decimal string of at most 1,000 characters")

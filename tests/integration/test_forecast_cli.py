"""The forecast and what-if commands, for real on SQLite and PostgreSQL:
their JSON is exactly the documented shape, an empty what-if is the
scenario and the preview, the what-if's scenario replays through
``python -m billing invoice``, and a bad changes file is exit 2 naming the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from db.engine import dispose_engines, get_engine
from services.demo import SeedOptions, seed_demo
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 1)  # cycle 2026-12 is running: 7 of 30 days elapsed
TINY = SeedOptions(agencies=3, months=4, seed=5, today=TODAY, min_users=5, max_users=15)


@pytest.fixture
def seeded(database_url) -> str:
    seed_demo(TINY, sessions=sessions_for(get_engine(database_url)))
    dispose_engines()
    return database_url


def _run(url: str, *args: str, module: str = "manage.py") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "BILLING_TODAY": TODAY.isoformat(), "BILLING_LOG_LEVEL": "ERROR"}
    command = [sys.executable, str(ROOT / "manage.py"), *args] if module == "manage.py" else [sys.executable, "-m", module, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=180)


def test_the_forecast_command_prints_so_far_and_forecast_of_a_running_cycle(seeded):
    result = _run(seeded, "forecast", "--agency", "A-1001", "--cycle", "2026-12")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["so_far", "forecast", "days_elapsed", "days"]
    assert (document["days_elapsed"], document["days"]) == (7, 30)
    assert document["so_far"]["standing"]["state"] == "in_progress"
    preview = json.loads(_run(seeded, "preview", "--agency", "A-1001", "--cycle", "2026-12").stdout)
    assert preview == document["so_far"]
    final = json.loads(_run(seeded, "forecast", "--agency", "A-1001", "--cycle", "2026-11").stdout)
    assert final["so_far"] == final["forecast"] and final["days_elapsed"] == final["days"]


def test_an_empty_whatif_is_the_scenario_and_the_preview_and_a_whatif_replays_through_the_engine(seeded, tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    result = _run(seeded, "whatif", "--agency", "A-1002", "--cycle", "2026-12", "--changes", str(empty))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["baseline", "scenario", "invoice"]
    assert document["scenario"] == json.loads(_run(seeded, "scenario", "--agency", "A-1002", "--cycle", "2026-12").stdout)
    preview = json.loads(_run(seeded, "preview", "--agency", "A-1002", "--cycle", "2026-12").stdout)
    preview.pop("standing")
    assert document["baseline"] == preview == document["invoice"]

    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"add_users": [{"count": 4, "from": "2026-12-05"}], "minutes_per_user_day": "20"}))
    document = json.loads(_run(seeded, "whatif", "--agency", "A-1002", "--cycle", "2026-12", "--changes", str(changes)).stdout)
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(document["scenario"]))
    replay = _run(seeded, "invoice", str(scenario), module="billing")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout) == document["invoice"] != document["baseline"]


def test_a_bad_changes_file_is_exit_2_with_one_line_naming_the_field(seeded, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"deactivate_users": [{"count": 1, "on": "the 10th"}]}))
    result = _run(seeded, "whatif", "--agency", "A-1001", "--cycle", "2026-12", "--changes", str(bad))
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: deactivate_users[0].on: ")

"""What the gate writes and prints, end to end with real servers: recorded requests are exact, volatile fields
are ignored, no secret reaches a file, every printed replay command reruns its failure, files land in their
places."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.scorecheck.sc_support import SCRIPTS, scorecheck, write

pytestmark = pytest.mark.slow

KEY_ORDER = SCRIPTS / "sc_key_order.py"
PRETTY = '{\n  "zeta": 1.50,\n  "alpha": [1e-7, 2],\n  "mid": "x"\n}\n'


def test_record_sends_and_stores_the_request_exactly_as_given(tmp_path: Path) -> None:
    write(tmp_path / "inputs" / "batch.json", PRETTY)
    (tmp_path / "inputs" / "rows.jsonl").write_text(
        '{"json": {"zeta": 1.50, "alpha": 1E5, "mid": null}}\n{"json": {"alpha": 1, "zeta": 2, "mid": 3}}\n'
    )
    args = ["record", str(KEY_ORDER), "inputs/batch.json", "inputs/rows.jsonl", "--out", "cases"]
    record = scorecheck(args, cwd=tmp_path)
    assert record.returncode == 0, record.stdout + record.stderr
    batch = yaml.safe_load((tmp_path / "cases" / "batch.yaml").read_text())
    assert batch["request"]["body"] == PRETTY
    # The script saw the bytes of the file: key order, number spelling and layout.
    assert batch["expect"] == {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "json": {"columns": ["zeta", "alpha", "mid"], "raw": PRETTY},
    }
    row = yaml.safe_load((tmp_path / "cases" / "rows-1.yaml").read_text())
    assert row["expect"]["json"]["raw"] == '{"zeta": 1.50, "alpha": 1E5, "mid": null}'
    # A request whose keys are out of order is recorded as what the script answers to it.
    assert yaml.safe_load((tmp_path / "cases" / "rows-2.yaml").read_text())["expect"]["status"] == 500
    replay = scorecheck(["run", "--no-properties", str(KEY_ORDER), "cases"], cwd=tmp_path)
    assert replay.returncode == 0, replay.stdout + replay.stderr


def test_update_rewrites_the_expectation_and_not_the_request(tmp_path: Path) -> None:
    fixture = write(
        tmp_path / "cases" / "one.yaml",
        """
        request:
          json: {zeta: 1.50, alpha: 1e-7, mid: 2}
        expect:
          json: {columns: [zeta, alpha, mid], raw: stale}
        """,
    )
    update = scorecheck(["run", "--no-properties", str(KEY_ORDER), "cases", "--update"], cwd=tmp_path)
    assert update.returncode == 0, update.stdout + update.stderr
    text = fixture.read_text()
    assert "json: {zeta: 1.50, alpha: 1e-7, mid: 2}" in text
    assert yaml.safe_load(text)["expect"]["json"]["raw"] == '{"zeta": 1.50, "alpha": 1e-7, "mid": 2}'
    rerun = scorecheck(["run", "--no-properties", str(KEY_ORDER), "cases"], cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

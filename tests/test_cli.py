"""The routesim command: run writes the contract's files; bad input exits 2 in one line."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"

SUMMARY_KPIS = {
    "submitted", "delivered_ratio", "reported_delivered_ratio", "fake_dlr_ratio",
    "rejected_ratio", "latency_p50_s", "latency_p95_s", "latency_p99_s", "queue_wait_mean_s",
    "sender_intact_ratio", "content_intact_ratio", "cost_total", "cost_per_delivered",
    "retries", "ait_sent", "ait_cost",
}  # fmt: skip
RECORD_COLUMNS = {
    "msg_id", "kind", "country", "operator", "route", "attempt", "created_s", "submitted_s",
    "submit_status", "dlr_status", "dlr_s", "handset_delivered", "handset_s", "sender_sent",
    "sender_received", "content_intact", "segments", "cost", "ait",
}  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "baseline"
    code = main(
        ["run", str(BASELINE), "--duration", "120", "--replications", "2", "--workers", "1",
         "--strategy", "least-cost", "--strategy", "priority", "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0
    return out


def test_run_writes_summary_records_and_report(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {"scenario", "seed", "replications", "duration_s", "strategies", "wall_s"} <= set(
        summary
    )
    assert summary["replications"] == 2 and summary["duration_s"] == 120
    assert set(summary["strategies"]) == {"least-cost", "priority"}
    for data in summary["strategies"].values():
        assert set(data["kpis"]) >= SUMMARY_KPIS
        assert set(data["ci95"]) >= SUMMARY_KPIS
        lo, hi = data["ci95"]["delivered_ratio"]
        assert lo <= data["kpis"]["delivered_ratio"] <= hi
        assert "orange-direct" in data["per_route"]
    names = sorted(p.name for p in (run_dir / "records").iterdir())
    assert names == [f"{s}-{r}.csv.gz" for s in ("least-cost", "priority") for r in (1, 2)]
    with gzip.open(run_dir / "records" / "priority-1.csv.gz", "rt") as handle:
        frame = pd.read_csv(handle)
    assert set(frame.columns) >= RECORD_COLUMNS
    assert len(frame) >= summary["strategies"]["priority"]["kpis"]["submitted"] / 2
    report = (run_dir / "report.md").read_text()
    assert "least-cost" in report and "delivered (truth)" in report
    for figure in ("delivery.png", "latency_cdf.png", "cost_vs_delivery.png"):
        assert (run_dir / figure).stat().st_size > 1000


def test_same_seed_gives_identical_summary_apart_from_wall_clock(
    run_dir: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    code = main(
        ["run", str(BASELINE), "--duration", "120", "--replications", "2", "--workers", "2",
         "--strategy", "least-cost", "--strategy", "priority", "--out", str(again), "--quiet"]
    )  # fmt: skip
    assert code == 0
    first = json.loads((run_dir / "summary.json").read_text())
    second = json.loads((again / "summary.json").read_text())
    first.pop("wall_s")
    second.pop("wall_s")
    assert first == second


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def _bad_scenario(tmp_path: Path, mutate: str) -> Path:
    data = yaml.safe_load(BASELINE.read_text())
    if mutate == "unknown-key":
        data["traffic"]["speed"] = 3
    elif mutate == "bad-number":
        data["destinations"][0]["prefixes"] = ["33-67"]
    elif mutate == "over-long-text":
        data["traffic"]["kinds"]["marketing"]["templates"] = ["ç" * 800]
    file = tmp_path / f"{mutate}.yaml"
    file.write_text(yaml.safe_dump(data))
    return file


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        ("unknown-key", "traffic.speed: Extra inputs are not permitted"),
        ("bad-number", "destinations[0].prefixes: Value error, prefix '33-67' is not '+'"),
        ("over-long-text", "traffic.kinds.marketing.templates[0]: text needs"),
    ],
)
def test_bad_scenario_exits_2_with_one_line_and_no_output(
    tmp_path: Path, mutate: str, expected: str
) -> None:
    file = _bad_scenario(tmp_path, mutate)
    out = tmp_path / "out"
    result = _cli("run", str(file), "--duration", "60", "--out", str(out), "--workers", "1")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert expected.split(": Value error, ")[-1] in result.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "no-such-scenario"], "no such file or bundled scenario"),
        (["run", "baseline", "--strategy", "nope"], "unknown strategy 'nope'"),
        (["run", "baseline", "--strategy", "os.path:nothing"], "has no callable 'nothing'"),
        (["run", "baseline", "--duration", "0"], "must be > 0"),
        (["run", "baseline", "--replications", "two"], "is not an integer"),
        (["run"], "required: SCENARIO"),
        (["frobnicate"], "invalid choice"),
        (["validate", "missing.yaml"], "missing.yaml: no such file"),
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], expected: str) -> None:
    result = _cli(*args, "--out", str(tmp_path / "o")) if args[0] == "run" else _cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("routesim: error: ") or result.stderr.startswith("routesim")
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr
    assert not (tmp_path / "o").exists()


def test_refuses_to_overwrite_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    result = _cli("run", "baseline", "--duration", "30", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "not a routesim run directory" in result.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_validate_list_and_schema(tmp_path: Path) -> None:
    ok = _cli("validate", str(BASELINE))
    assert ok.returncode == 0 and "ok (9 destinations, 7 routes, 4 strategies)" in ok.stdout
    listing = _cli("list")
    assert listing.returncode == 0
    assert "baseline" in listing.stdout and "least-cost" in listing.stdout
    schema_file = tmp_path / "schema.json"
    assert _cli("schema", "-o", str(schema_file)).returncode == 0
    assert json.loads(schema_file.read_text())["title"] == "routesim scenario"


def test_help_on_every_command() -> None:
    for command in ("run", "validate", "list", "schema"):
        result = _cli(command, "--help")
        assert result.returncode == 0 and "usage: routesim" in result.stdout

"""Reports: rendered from a run directory, complete, self-contained and reproducible."""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim
from sim.output import write_run
from sim.report import ReportError, load_run, render_report
from sim.report.commands import register
from sim.report.figures import FIGURES

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("routes", "kpis", "paired", "route_truth", "strategy_routes", "integrity",
          "route_health", "guards_fraud", "ait", "regret", "best_routes")  # fmt: skip


def _scenario() -> sim.Scenario:
    """Baseline, two minutes, with an AIT attack on Nigeria, quiet hours (Spanish marketing
    refused, German marketing held a minute), route-test probes and a strategy with an AIT
    guard."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "scenarios" / "baseline.yaml").read_text())
    data["duration_s"] = 120
    data["traffic"]["ait"] = [
        {"start_s": 20, "duration_s": 60, "rate_per_s": 2, "prefixes": ["+234803"]}
    ]
    data["quiet_hours"] = [
        {"name": "es-marketing", "countries": ["ES"], "allowed_from": "09:00",
         "action": "refuse"},
        {"name": "de-marketing", "countries": ["DE"], "allowed_from": "08:01"},
    ]  # fmt: skip
    data["probes"] = {"per_route_per_hour": 120, "timeout_s": 60}
    data["strategies"] = [
        {"name": "least-cost"},
        {"name": "priority", "params": data["strategies"][1]["params"]},
        {"name": "guarded", "use": "least-cost", "guards": {"ait": {"deny_prefixes": ["+234803"]}}},
    ]
    return sim.parse_scenario(data, "test")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run directory as ``routesim run`` writes it (records, probes, guard logs and
    the rendered report)."""
    result = sim.run_scenario(_scenario(), replications=2, workers=1)
    return write_run(result, tmp_path_factory.mktemp("report") / "run")


def _outputs(run_dir: Path) -> dict[str, bytes]:
    names = ["report.md", "report.html", *(f.file for f in FIGURES)]
    return {n: (run_dir / n).read_bytes() for n in names if (run_dir / n).exists()}


def test_html_embeds_every_figure_and_table(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text()
    for figure in FIGURES:  # this run has every subject, AIT included
        png = (run_dir / figure.file).read_bytes()
        assert png.startswith(b"\x89PNG")
        assert f'id="fig-{figure.id}"' in html
        assert f"data:image/png;base64,{base64.b64encode(png).decode()}" in html
    for table in TABLES:
        assert f'<table id="table-{table}">' in html
    assert html.count("<table ") == len(TABLES)


def test_html_is_self_contained(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text()
    assert not re.search(r"<(script|link|iframe)\b", html)
    assert not re.search(r"https?://", html)
    sources = re.findall(r'src="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert str(run_dir) not in html


def test_markdown_references_every_figure_and_table(run_dir: Path) -> None:
    md = (run_dir / "report.md").read_text()
    for figure in FIGURES:
        assert f"]({figure.file})" in md
    assert md.count("\n### ") == len(TABLES)
    assert "delivered (truth)" in md and "least-cost" in md
    assert re.search(r"seed \d+ · routesim \S+ · scenario baseline \(hash [0-9a-f]{12}\)", md)


def _grey_truth(run_dir: Path) -> tuple[float, float]:
    frames = [pd.read_csv(p) for p in sorted((run_dir / "records").glob("*.csv.gz"))]
    rows = pd.concat(frames)
    grey = rows[(rows["route"] == "grey-cheap") & (rows["submit_status"] == "ESME_ROK")]
    return float(grey["dlr_status"].eq("DELIVRD").mean()), float(grey["handset_delivered"].mean())


def test_findings_state_grey_route_receipts_against_handsets(run_dir: Path) -> None:
    reported, delivered = _grey_truth(run_dir)
    assert reported > delivered + 0.03  # the fixture's premise: the grey route fakes
    sentence = (
        f"Route grey-cheap reports {100 * reported:.1f}% delivered, the handsets received "
        f"{100 * delivered:.1f}%"
    )
    assert sentence in (run_dir / "report.md").read_text()
    assert sentence in (run_dir / "report.html").read_text()


def test_guards_and_fraud_are_reported(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text()
    assert re.search(r"quiet_hours held [\d,.]+ messages for [\d.]+ s on average", html)
    assert re.search(
        r"Guards under guarded, per replication: ait refused [\d,.]+; quiet_hours", html
    )
    assert re.search(r"AIT leaked, per replication: least-cost let [\d,.]+ of [\d,.]+", html)
    assert "guarded let no AIT message reach a route" in html
    assert re.search(r"Under guarded, the AIT guard blocked [\d,.]+ of [\d,.]+ AIT messages", html)


def test_report_command_rerenders_byte_identical(run_dir: Path, tmp_path: Path) -> None:
    """``routesim report`` on a copy elsewhere gives the same bytes: the report is a pure
    function of the run directory's files (figures included)."""
    before = _outputs(run_dir)
    copy = tmp_path / "elsewhere"
    shutil.copytree(run_dir, copy)
    for name in before:
        (copy / name).unlink()
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["report", str(copy), "--quiet"])
    assert args.func(args) == 0
    assert _outputs(copy) == before


def test_paired_finding_only_when_ci_excludes_zero(run_dir: Path, tmp_path: Path) -> None:
    md = (run_dir / "report.md").read_text()
    assert "Against least-cost, priority delivers" in md  # clearly better on truth
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    summary = json.loads((copy / "summary.json").read_text())
    paired = summary["strategies"]["priority"]["paired"]
    for key, (low, high) in paired["ci95"].items():
        if low is not None and high is not None:
            paired["ci95"][key] = [min(low, -abs(high)), max(high, abs(low))]
    (copy / "summary.json").write_text(json.dumps(summary))
    written = render_report(copy)
    assert written == [copy / "report.md", copy / "report.html", *(copy / f.file for f in FIGURES)]
    assert "Against least-cost, priority" not in (copy / "report.md").read_text()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: shutil.rmtree(d), "no such run directory"),
        (lambda d: (d / "summary.json").unlink(), "summary.json: missing"),
        (lambda d: (d / "summary.json").write_text("{"), "summary.json: unreadable JSON"),
        (lambda d: (d / "summary.json").write_text("{}"), "summary.json: no 'scenario' key"),
        (lambda d: (d / "scenario.json").write_text('{"name": 1}'), "scenario.json"),
        (lambda d: (d / "records" / "priority-2.csv.gz").unlink(), "missing records file"),
        (lambda d: (d / "records" / "priority-1.csv.gz").write_bytes(b"garbage"),
         "unreadable records"),
        (lambda d: (d / "records" / "priority-1.csv.gz").write_bytes(
            gzip.compress(b"msg_id,route\n1,x\n")), "records lack column(s)"),
    ],
)  # fmt: skip
def test_bad_run_directory_is_one_line_report_error(
    run_dir: Path, tmp_path: Path, damage: Any, message: str
) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    damage(copy)
    with pytest.raises(ReportError) as caught:
        render_report(copy)
    text = str(caught.value)
    assert message in text and "\n" not in text


def test_run_data_reads_records_lazily(run_dir: Path) -> None:
    data = load_run(run_dir)
    assert data.strategies == ["least-cost", "priority", "guarded"]
    assert data.scenario.duration_s == 120
    frame = data.records("priority", 2)
    assert frame is data.records("priority", 2)
    assert {"msg_id", "route", "handset_delivered", "guard", "ait"} <= set(frame.columns)
    assert frame["handset_delivered"].dtype == bool

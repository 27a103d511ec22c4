"""Report sections for route health (probes), AIT over time and learning curves.

Two short runs written the way ``routesim run`` writes them: grey-route (probes; a
strategy that reads them against one that does not) and ait-attack with its waves
moved into a short window (least-cost with and without the AIT guard). Numbers in the
report are checked against independent recomputations from the run's CSV files.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.output import write_run
from sim.report import fmt, load_run, render_report
from sim.report.figures import FIGURES
from sim.report.learning import learning_curve, per_message_regret
from sim.report.measures import Measures

ROOT = Path(__file__).resolve().parents[2]
Z = 1.959963984540054


def _scenario(name: str, **changes: Any) -> sim.Scenario:
    data: dict[str, Any] = yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())
    data.update(changes)
    return sim.parse_scenario(data, name)


def _write(scenario: sim.Scenario, out: Path) -> Path:
    result = sim.run_scenario(scenario, replications=2, workers=1)
    return write_run(result, out)


@pytest.fixture(scope="module")
def grey(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = _scenario(
        "grey-route",
        duration_s=600,
        strategies=[{"name": "least-cost"}, {"name": "evidence-weighted"}],
    )
    return _write(scenario, tmp_path_factory.mktemp("grey") / "run")


@pytest.fixture(scope="module")
def ait(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data: dict[str, Any] = yaml.safe_load((ROOT / "scenarios" / "ait-attack.yaml").read_text())
    prefixes = data["traffic"]["ait"][1]["prefixes"]
    data["duration_s"] = 900
    data["traffic"]["ait"] = [  # the probe wave, then the main wave, inside 15 minutes
        {"start_s": 60, "duration_s": 120, "rate_per_s": 0.5, "prefixes": [prefixes[0]]},
        {"start_s": 300, "duration_s": 420, "rate_per_s": 4, "prefixes": prefixes},
    ]
    data["strategies"] = [s for s in data["strategies"] if s["name"] != "priority"]
    return _write(sim.parse_scenario(data, "ait-attack"), tmp_path_factory.mktemp("ait") / "run")


# --------------------------------------------------------------------------- helpers


def _wilson(k: float, n: float) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _table(md: str, title: str) -> list[list[str]]:
    """The body rows of the Markdown table under ``### title``, cells unescaped."""
    lines = md.split(f"### {title}\n", 1)[1].splitlines()[1:]
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\) \| ", line.strip("| "))
        rows.append([re.sub(r"\\(.)", r"\1", c.replace("**", "")) for c in cells])
    return rows


def _share(k: int, n: int, counts: bool = False) -> str:
    low, high = _wilson(k, n)
    ci = f"[{fmt.pct(low)}, {fmt.pct(high)}]"
    return f"{fmt.pct(k / n)} {f'{k} of {n} ' if counts else ''}{ci}"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values={"handset_delay_s": [""]})


def _outputs(run_dir: Path) -> dict[str, bytes]:
    names = ["report.md", "report.html", *(f.file for f in FIGURES)]
    return {n: (run_dir / n).read_bytes() for n in names if (run_dir / n).exists()}


# ----------------------------------------------------------------------- the sections


def test_sections_tables_and_figures_appear_where_their_subject_does(grey: Path, ait: Path) -> None:
    for run_dir, present, absent in (
        (grey, ("route_health", "learning"), ("ait",)),
        (ait, ("ait", "learning"), ("route_health",)),
    ):
        html = (run_dir / "report.html").read_text()
        md = (run_dir / "report.md").read_text()
        for section in present:
            assert f'<section id="{section}">' in html
        for section in absent:
            assert f'<section id="{section}">' not in html
    tables = {
        grey: ("route_health", "regret", "best_routes"),
        ait: ("ait", "guards_fraud", "regret", "best_routes"),
    }
    figures = {grey: ("route_health", "learning"), ait: ("ait_over_time", "learning")}
    for run_dir in (grey, ait):
        html = (run_dir / "report.html").read_text()
        md = (run_dir / "report.md").read_text()
        for table in tables[run_dir]:
            assert f'<table id="table-{table}">' in html
        for figure in figures[run_dir]:
            assert (run_dir / f"{figure}.png").read_bytes().startswith(b"\x89PNG")
            assert f'id="fig-{figure}"' in html and f"]({figure}.png)" in md
    assert not (grey / "ait_over_time.png").exists() and not (ait / "route_health.png").exists()
    assert "## Route health: what the probes saw" in (grey / "report.md").read_text()
    assert "## AIT (SMS pumping) over time" in (ait / "report.md").read_text()


def _probes_by_replication(run_dir: Path) -> dict[int, pd.DataFrame]:
    """Replication -> the probes of the first strategy (run order) that wrote them."""
    strategies = list(load_run(run_dir).strategies)
    out = {}
    for replication in (1, 2):
        path = next(
            run_dir / "probes" / f"{s}-{replication}.csv.gz"
            for s in strategies
            if (run_dir / "probes" / f"{s}-{replication}.csv.gz").exists()
        )
        out[replication] = _read(path)
    return out


def _first_flag(probes: pd.DataFrame, route: str) -> float:
    """When the cumulative Wilson lower bound of the fake-receipt or sender-rewrite share
    of ``route`` first exceeded 5%, probes taken in the order their results came in."""
    delivrd = fake = received = rewritten = 0
    ordered = probes.sort_values("observed_s", kind="stable")
    for row in ordered[ordered["route"] == route].itertuples():
        if row.submit_status != "ESME_ROK":
            continue
        delivrd += row.dlr_status == "DELIVRD"
        fake += row.dlr_status == "DELIVRD" and not row.received
        received += bool(row.received)
        rewritten += bool(row.received) and not row.sender_intact
        if (delivrd and _wilson(fake, delivrd)[0] > 0.05) or (
            received and _wilson(rewritten, received)[0] > 0.05
        ):
            return float(row.observed_s)
    return math.inf


def test_route_health_table_equals_a_recomputation_from_the_probes(grey: Path) -> None:
    by_rep = _probes_by_replication(grey)
    probes = pd.concat(by_rep.values(), ignore_index=True)
    rows = {r[0]: r for r in _table((grey / "report.md").read_text(), "Route health from probes")}
    assert set(rows) == set(probes["route"]) == {"tier1-hub", "eu-connect", "grey-simfarm"}
    for route, row in rows.items():
        mine = probes[(probes["route"] == route) & (probes["submit_status"] == "ESME_ROK")]
        sent = int((probes["route"] == route).sum())
        delivrd = mine[mine["dlr_status"] == "DELIVRD"]
        got = mine[mine["received"]]
        flags = sorted(_first_flag(p, route) for p in by_rep.values())
        median = float(np.median(flags))
        flagged = sum(math.isfinite(f) for f in flags)
        expected = [
            route,
            f"{len(mine)} of {sent} sent",
            _share(len(got), len(mine)),
            _share(int((~delivrd["received"]).sum()), len(delivrd), counts=True),
            _share(int((~got["sender_intact"]).sum()), len(got)),
            _share(int((~got["content_intact"]).sum()), len(got)),
            fmt.secs(float(got["handset_delay_s"].mean())),
            f"{fmt.elapsed(median)} in {flagged} of 2 replications"
            if math.isfinite(median)
            else ("not flagged" + (f" in {flagged} of 2 replications" if flagged else "")),
        ]
        assert row == expected, route
    grey_row = rows["grey-simfarm"]
    assert "not flagged" not in grey_row[-1]  # the premise: the probes catch the SIM farm
    assert rows["tier1-hub"][-1] == "not flagged"


def test_route_health_finding_states_the_evidence(grey: Path) -> None:
    html = (grey / "report.html").read_text()
    found = re.search(
        r"Probes flagged route grey-simfarm after [\d.]+ (s|min) \(median of 2 replications\): "
        r"(\d+) of (\d+) DELIVRD receipts had nothing on the test handset|"
        r"Probes flagged route grey-simfarm after [\d.]+ (s|min) \(median of 2 replications\): "
        r"(\d+) of the (\d+) probes it delivered showed another sender ID",
        html,
    )
    assert found, "no probe finding for the grey route"


def _ait_truth(run_dir: Path, strategy: str) -> dict[str, float]:
    """AIT outcomes per replication (means) straight from the records CSVs."""
    totals = {"entered": 0, "blocked": 0, "leaked": 0, "legit_blocked": 0}
    for replication in (1, 2):
        rows = _read(run_dir / "records" / f"{strategy}-{replication}.csv.gz")
        rows["ait"] = rows["ait"].astype(str) == "True"
        last = rows.sort_values(["msg_id", "attempt"]).groupby("msg_id").last()
        leaked = rows[rows["submit_status"] == "ESME_ROK"].groupby("msg_id")["ait"].first()
        blocked = (last["submit_status"] == "ROUTER_REFUSED") & (last["guard"] == "ait")
        totals["entered"] += int(last["ait"].sum())
        totals["blocked"] += int((blocked & last["ait"]).sum())
        totals["leaked"] += int(leaked.sum())
        totals["legit_blocked"] += int((blocked & ~last["ait"] & (last["kind"] == "otp")).sum())
    return {k: v / 2 for k, v in totals.items()}


def test_ait_table_blocked_and_leaked_equal_the_records(ait: Path) -> None:
    md = (ait / "report.md").read_text()
    rows = {r[0]: r for r in _table(md, "AIT (pumping) blocked and leaked, per strategy")}
    assert set(rows) == {"least-cost", "least-cost-ait-guard"}
    summary = load_run(ait).summary["strategies"]
    for strategy, row in rows.items():
        truth = _ait_truth(ait, strategy)
        assert row[1:4] == [fmt.count(truth[k]) for k in ("entered", "blocked", "leaked")]
        assert row[5].startswith(fmt.count(truth["legit_blocked"]) + " ")
        kpis = summary[strategy]["kpis"]
        assert truth["blocked"] == pytest.approx(kpis["ait_blocked"])
        assert truth["leaked"] == pytest.approx(kpis["ait_sent"])
    assert _ait_truth(ait, "least-cost")["blocked"] == 0
    guarded = _ait_truth(ait, "least-cost-ait-guard")
    assert guarded["blocked"] > 10 * guarded["leaked"]  # the premise: the guard works
    # block events in the table are the guard logs' block decisions
    logs = [_read(ait / "guards" / f"least-cost-ait-guard-{r}.csv.gz") for r in (1, 2)]
    blocks = sum(int(g["action"].str.startswith("block").sum()) for g in logs)
    assert rows["least-cost-ait-guard"][7].split(" ")[0] == fmt.count(blocks / 2)
    assert "ait" not in rows["least-cost"][7] and rows["least-cost"][7] == "0"


def test_learning_curves_are_non_negative_and_non_decreasing(grey: Path, ait: Path) -> None:
    for run_dir in (grey, ait):
        m = Measures(load_run(run_dir))
        for strategy in m.data.strategies:
            for replication in (1, 2):
                curve = learning_curve(m, strategy, replication)
                assert curve.messages > 100
                for regret in (curve.cost, curve.quality):
                    assert regret[0] >= 0 and np.all(np.diff(regret) >= 0)
                per_message = per_message_regret(m, strategy, replication)
                assert len(per_message) == curve.messages
                assert (per_message["created_s"].diff().dropna() >= 0).all()
    m = Measures(load_run(grey))
    cheapest = learning_curve(m, "least-cost", 1)
    learner = learning_curve(m, "evidence-weighted", 1)
    assert cheapest.cost[-1] == 0  # it always takes the cheapest route ...
    assert cheapest.quality[-1] > 2 * learner.quality[-1]  # ... and pays for it in delivery
    assert learner.rate(learner.quality, 3) < learner.rate(learner.quality, 0)  # it learns
    rows = {r[0]: r for r in _table((grey / "report.md").read_text(), "Regret against the "
                                    "best fixed route in hindsight")}  # fmt: skip
    assert rows["evidence-weighted"][1] == "adaptive" and rows["least-cost"][1] == "fixed rule"


def test_rerendering_is_byte_identical(grey: Path, ait: Path, tmp_path: Path) -> None:
    for run_dir in (grey, ait):
        before = _outputs(run_dir)
        copy = tmp_path / run_dir.parent.name
        shutil.copytree(run_dir, copy)
        for name in before:
            (copy / name).unlink()
        render_report(copy)
        assert _outputs(copy) == before

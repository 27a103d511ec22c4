"""Rendering: a run directory in, ``report.md``, ``report.html`` and PNG figures out.

:func:`render_report` is a pure function of the run directory's files (summary,
scenario, records, and probes and guard logs when present): the same directory renders
to byte-identical files, whether straight after ``routesim run`` or later with
``routesim report RUN_DIR``.
"""

from __future__ import annotations

from pathlib import Path

from sim.report import tables
from sim.report.ait import ait_paragraph, ait_table
from sim.report.describe import describe, plural, routes_table
from sim.report.document import Block, Figure, Report, Section
from sim.report.figures import FigureSpec, write_figures
from sim.report.findings import find
from sim.report.html import render_html
from sim.report.learning_section import learning_blocks
from sim.report.markdown import render_markdown
from sim.report.measures import Measures
from sim.report.routehealth import route_health_table
from sim.report.rundata import RunData, load_run

NOTHING_GUARDED = "No guard held or refused a message, and every message found a route."
ROUTE_HEALTH = (
    "Route tests send probes to test handsets on every route, so they see what receipts "
    "hide: DELIVRD for messages that never arrived, rewritten senders, altered texts. "
    "Strategies that listen (evidence-weighted, cost-subsidy with probe correction) act on "
    "this evidence once it is strong."
)
MARKDOWN = "report.md"
HTML = "report.html"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 120 else f"{seconds:g} s"


def build_report(data: RunData, m: Measures, figures: list[FigureSpec]) -> Report:
    """The report document: findings, then one section per subject."""
    drawn = {f.id: Figure(f.id, f.file, f.title, f.caption) for f in figures}

    def fig(*ids: str) -> list[Block]:
        return [drawn[i] for i in ids if i in drawn]

    summary = data.summary
    guards_fraud = tables.guards_fraud_table(data, m)
    paired = tables.paired_table(data)
    health = route_health_table(m)
    ait = ait_table(m)
    learning = drawn.get("learning")
    sections = [
        Section("scenario", "The scenario", (*describe(data), routes_table(data.scenario))),
        Section(
            "strategies",
            "Strategies compared",
            (tables.kpi_table(data), *([paired] if paired else []), *fig("cost_vs_delivery")),
        ),
        Section(
            "delivery",
            "Delivery: handsets against receipts",
            (
                *fig("delivery"),
                tables.route_truth_table(m),
                *fig("delivery_over_time"),
                tables.strategy_routes_table(data),
            ),
        ),
        Section("latency", "Latency", tuple(fig("latency_cdf"))),
        Section("traffic", "Traffic share per route", tuple(fig("traffic_share"))),
        Section(
            "integrity",
            "Sender and content integrity",
            (*fig("integrity"), tables.integrity_table(m)),
        ),
        Section(
            "route_health",
            "Route health: what the probes saw",
            (ROUTE_HEALTH, health, *fig("route_health")) if health else (),
        ),
        Section("guards", "Guards", (guards_fraud,) if guards_fraud else (NOTHING_GUARDED,)),
        Section(
            "ait",
            "AIT (SMS pumping) over time",
            (ait_paragraph(m), ait, *fig("ait_over_time")) if ait else (),
        ),
        Section(
            "learning",
            "Learning curves: regret against the best fixed route",
            learning_blocks(m, learning),
        ),
    ]
    version = summary.get("version", "?")
    scenario_hash = summary.get("scenario_hash", "?")
    duration = _duration(float(summary["duration_s"]))
    return Report(
        title=f"routesim report: {summary['scenario']}",
        subtitle=(
            f"{plural(len(data.strategies), 'strategy', 'strategies')} × "
            f"{plural(data.replications, 'replication')} of "
            f"{duration} simulated traffic. Truth is what handsets received; reported is "
            "what the routes' delivery receipts said."
        ),
        findings=tuple(find(data, m)),
        sections=tuple(s for s in sections if s.blocks),
        footer=(
            f"seed {summary['seed']} · routesim {version} · scenario {summary['scenario']} "
            f"(hash {scenario_hash}) · {plural(data.replications, 'replication')} · {duration}"
        ),
    )


def render_report(run_dir: Path) -> list[Path]:
    """Write report.md, report.html and the figures into ``run_dir``; return their paths.

    Raises :class:`~sim.report.rundata.ReportError` when the directory is not a
    readable run."""
    run_dir = Path(run_dir)
    data = load_run(run_dir)
    m = Measures(data)
    figures = write_figures(m, run_dir)
    report = build_report(data, m, figures)
    pngs = {f.file: (run_dir / f.file).read_bytes() for f in figures}
    md_path, html_path = run_dir / MARKDOWN, run_dir / HTML
    md_path.write_text(render_markdown(report), encoding="utf-8")
    html_path.write_text(render_html(report, pngs), encoding="utf-8")
    return [md_path, html_path, *(run_dir / f.file for f in figures)]

"""Regression check: a run's KPIs against a saved baseline, KPI by KPI.

``routesim baseline RUN_DIR -o FILE`` saves, per strategy and KPI, the replication
values of a run (with the scenario's fingerprint, seed, duration, replications and
version). ``routesim check RUN_DIR --baseline FILE`` compares another run with it.

The rule. Let *worsening* be the change of the mean in the KPI's bad direction
(:data:`sim.kpis.HIGHER_IS_BETTER`) and *tolerance* the KPI's allowed worsening
(:data:`DEFAULT_TOLERANCES`, ``--tolerance KPI=VALUE``). A KPI **regresses** when the
worsening exceeds the tolerance with 99% confidence: the lower one-sided 99% Welch
bound of the worsening lies above the tolerance (equivalently, Welch's t-test of
"worsening <= tolerance" is rejected at alpha = 0.01). Baseline and run are treated
as independent samples of replications, so the rule holds for a run with another seed
too; a run with the same seed and unchanged code has identical values and passes.
A worsening beyond the tolerance that is not significant is shown as ``worse?`` and
does not fail. ``submitted`` has no good direction and is shown for information.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from sim.kpis import HIGHER_IS_BETTER, KPI_ORDER
from sim.runner import RunResult
from sim.scenario import Scenario, ScenarioError, parse_scenario

BASELINE_FORMAT = "routesim-baseline/1"
DEFAULT_ALPHA = 0.01
# top-level scenario fields that do not change what a strategy's KPIs measure
_NOT_WORLD = ("seed", "replications", "description", "strategies")
_HASH = re.compile(r"[0-9a-f]{12}")


class CheckError(ValueError):
    """Bad input to ``baseline`` / ``check`` (run dir, baseline file, tolerance,
    scenario mismatch); the message is one line."""


# --------------------------------------------------------------------------- tolerances


@dataclass(frozen=True)
class Tolerance:
    """Allowed worsening: ``max(absolute, relative * |baseline mean|)``."""

    absolute: float = 0.0
    relative: float = 0.0

    def allowed(self, baseline_mean: float) -> float:
        return max(self.absolute, self.relative * abs(baseline_mean))

    def describe(self, kpi: str) -> str:
        parts = []
        if self.relative:
            parts.append(f"{100 * self.relative:g}%")
        if self.absolute or not parts:
            absolute = f"{100 * self.absolute:g} pp" if is_ratio(kpi) else f"{self.absolute:g}"
            parts.append(f"≥{absolute}" if parts else absolute)
        return " ".join(parts)


def is_ratio(kpi: str) -> bool:
    """A share in [0, 1] (shown in %, tolerances in percentage points)."""
    return kpi.endswith(("_ratio", "_conversion", "_share"))


def _default_tolerance(kpi: str) -> Tolerance:
    if is_ratio(kpi):
        return Tolerance(absolute=0.01)  # 1 percentage point
    if kpi == "queue_wait_mean_s":
        return Tolerance(absolute=0.05, relative=0.10)
    if kpi.endswith(("_p95_s", "_p99_s")):  # tail latencies: the noisiest across seeds
        return Tolerance(absolute=0.1, relative=0.20)
    if kpi.endswith("_s"):  # median latencies
        return Tolerance(absolute=0.1, relative=0.10)
    if kpi.startswith("cost_"):  # cost_total, cost_per_delivered, ...
        return Tolerance(relative=0.02)
    if kpi.endswith("_cost"):  # ait_cost, probe_cost: small totals, often 0
        return Tolerance(absolute=0.10, relative=0.02)
    return Tolerance(absolute=5.0, relative=0.10)  # counts: retries, ait_sent, ...


DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    k: _default_tolerance(k) for k in KPI_ORDER if k in HIGHER_IS_BETTER
}


def parse_tolerance(text: str) -> tuple[str, Tolerance]:
    """``KPI=VALUE``: ``1pp`` (absolute percentage points), ``10%`` (relative to the
    baseline mean) or a number (absolute, in the KPI's unit). ``KPI`` may be a glob."""
    pattern, sep, value = text.partition("=")
    pattern, value = pattern.strip(), value.strip().lower()
    if not sep or not pattern or not value:
        raise CheckError(f"--tolerance {text!r}: expected KPI=VALUE, e.g. delivered_ratio=2pp")
    if not fnmatch.filter(DEFAULT_TOLERANCES, pattern):
        known = ", ".join(DEFAULT_TOLERANCES)
        raise CheckError(f"--tolerance {text!r}: no KPI {pattern!r} (KPIs: {known})")
    try:
        if value.endswith("%"):
            tolerance = Tolerance(relative=float(value[:-1]) / 100)
        elif value.endswith("pp"):
            tolerance = Tolerance(absolute=float(value[:-2]) / 100)
        else:
            tolerance = Tolerance(absolute=float(value))
    except ValueError:
        raise CheckError(f"--tolerance {text!r}: {value!r} is not a number, N% or Npp") from None
    if not (tolerance.absolute >= 0 and tolerance.relative >= 0):
        raise CheckError(f"--tolerance {text!r}: must be >= 0")
    return pattern, tolerance


def tolerances_with(
    overrides: Sequence[tuple[str, Tolerance]], base: Mapping[str, Tolerance] | None = None
) -> dict[str, Tolerance]:
    """The default (or ``base``) table with glob overrides applied in order."""
    table = dict(base if base is not None else DEFAULT_TOLERANCES)
    for pattern, tolerance in overrides:
        for kpi in fnmatch.filter(table, pattern):
            table[kpi] = tolerance
    return table


# --------------------------------------------------------------------------- run data


@dataclass(frozen=True)
class RunKpis:
    """What a check needs from a run: fingerprint and per-replication KPI values."""

    scenario: str
    scenario_hash: str
    world: dict[str, Any]
    seed: int
    duration_s: float
    replications: int
    version: str
    specs: dict[str, dict[str, Any]]
    values: dict[str, dict[str, list[float]]]  # strategy -> KPI -> replication values
    source: str = "summary.json"


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def world_fingerprint(scenario: Scenario) -> dict[str, Any]:
    """Scenario sections that shape KPIs (seed, replications and strategies aside):
    scalars as values, routes and destinations hashed per id, other sections hashed.
    Fields left at their defaults are left out, so a new schema field does not
    invalidate every baseline (a changed default is a code change: the KPIs judge it)."""
    dump = scenario.model_dump(mode="json", exclude_defaults=True)
    out: dict[str, Any] = {}
    for key, value in dump.items():
        if key in _NOT_WORLD:
            continue
        if key in ("routes", "destinations"):
            for item, full in zip(value, getattr(scenario, key), strict=True):
                out[f"{key}.{full.id}"] = _hash(item)
        elif isinstance(value, dict | list):
            out[key] = _hash(value)
        else:
            out[key] = value
    return out


def _floats(values: Sequence[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _strategy_spec(scenario: Scenario, name: str, use: str) -> dict[str, Any]:
    for spec in scenario.strategies:
        if spec.name == name:
            return {"use": spec.target, "params": json.loads(json.dumps(dict(spec.params)))}
    return {"use": use, "params": {}}


def run_kpis_from_summary(
    summary: Mapping[str, Any],
    scenario: Scenario,
    source: str = "summary.json",
) -> RunKpis:
    """Build :class:`RunKpis` from a summary dict and its per-strategy
    ``replication_kpis`` (a list of KPI dicts, one per replication)."""
    specs: dict[str, dict[str, Any]] = {}
    values: dict[str, dict[str, list[float]]] = {}
    for name, data in summary["strategies"].items():
        reps = data.get("replication_kpis")
        if reps is None:
            raise CheckError(f"{source}: no per-replication KPIs for strategy {name!r}")
        specs[name] = _strategy_spec(scenario, name, str(data.get("use", name)))
        values[name] = {k: _floats([r.get(k) for r in reps]) for k in KPI_ORDER}
    return RunKpis(
        scenario=str(summary["scenario"]),
        scenario_hash=str(summary.get("scenario_hash", "")),
        world=world_fingerprint(scenario),
        seed=int(summary["seed"]),
        duration_s=float(summary["duration_s"]),
        replications=int(summary["replications"]),
        version=str(summary.get("version", "unknown")),
        specs=specs,
        values=values,
        source=source,
    )


def run_kpis_from_result(result: RunResult) -> RunKpis:
    """:class:`RunKpis` of an in-memory run (``sim.run_scenario``)."""
    return run_kpis_from_summary(result.summary, result.scenario, source="<run>")


def load_run(run_dir: Path) -> RunKpis:
    """Read a run directory: ``summary.json`` (its per-strategy ``replication_kpis``)
    and ``scenario.json`` (the scenario as run, for its fingerprint)."""
    summary_file = run_dir / "summary.json"
    if not run_dir.is_dir():
        raise CheckError(f"{run_dir}: no such run directory")
    if not summary_file.is_file():
        raise CheckError(f"{run_dir}: no summary.json (not a routesim run directory)")
    try:
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
        scenario_data = json.loads((run_dir / "scenario.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckError(f"{run_dir}: no scenario.json beside summary.json") from None
    except (OSError, ValueError) as exc:
        raise CheckError(f"{run_dir}: unreadable run file: {exc}".splitlines()[0]) from None
    try:
        scenario = parse_scenario(scenario_data, str(run_dir / "scenario.json"))
    except ScenarioError as exc:
        raise CheckError(str(exc)) from None
    if not isinstance(summary, dict) or not isinstance(summary.get("strategies"), dict):
        raise CheckError(f"{summary_file}: not a routesim summary (no 'strategies')")
    source = str(summary_file)
    for name, data in summary["strategies"].items():
        if not isinstance(data, dict) or "replication_kpis" not in data:
            raise CheckError(
                f"{summary_file}: no per-replication KPIs for {name!r} (a summary older than "
                "'replication_kpis'): re-run the scenario with this routesim"
            )
    try:
        return run_kpis_from_summary(summary, scenario, source=source)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, CheckError):
            raise
        raise CheckError(f"{summary_file}: not a routesim summary ({exc!r})") from None


# --------------------------------------------------------------------------- baseline file


def _stats(values: Sequence[float]) -> dict[str, Any]:
    finite = [v for v in values if not math.isnan(v)]
    n = len(finite)
    return {
        "n": n,
        "mean": float(np.mean(finite)) if n else None,
        "sd": float(np.std(finite, ddof=1)) if n >= 2 else None,
        "values": [None if math.isnan(v) else v for v in values],
    }


def make_baseline(
    run: RunKpis,
    tolerances: Sequence[tuple[str, Tolerance]] = (),
    strategies: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The baseline document of a run (needs >= 2 replications for the Welch test)."""
    if run.replications < 2:
        raise CheckError(
            f"{run.source}: a baseline needs at least 2 replications for the significance "
            f"test; this run has {run.replications} (rerun with --replications 3)"
        )
    names = list(strategies or run.values)
    for name in names:
        if name not in run.values:
            raise CheckError(f"--strategy {name!r}: not in the run ({', '.join(run.values)})")
    return {
        "format": BASELINE_FORMAT,
        "scenario": run.scenario,
        "scenario_hash": run.scenario_hash,
        "world_hash": _hash(run.world),
        "world": run.world,
        "seed": run.seed,
        "duration_s": run.duration_s,
        "replications": run.replications,
        "version": run.version,
        "tolerances": {
            pattern: {"absolute": t.absolute, "relative": t.relative} for pattern, t in tolerances
        },
        "strategies": {
            name: {
                "spec": run.specs[name],
                "kpis": {k: _stats(run.values[name][k]) for k in KPI_ORDER},
            }
            for name in names
        },
    }


def save_baseline(baseline: Mapping[str, Any], path: Path) -> Path:
    """Write the baseline JSON atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(baseline, indent=1, allow_nan=False) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def load_baseline(path: Path) -> dict[str, Any]:
    """Read and check a baseline file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckError(f"{path}: no such baseline file") from None
    except (OSError, ValueError) as exc:
        raise CheckError(f"{path}: not a readable baseline: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise CheckError(f"{path}: not a routesim baseline (format {BASELINE_FORMAT!r})")
    for key in ("scenario", "world", "seed", "duration_s", "replications", "strategies"):
        if key not in data:
            raise CheckError(f"{path}: baseline lacks {key!r}")
    return data


def baseline_tolerances(baseline: Mapping[str, Any]) -> list[tuple[str, Tolerance]]:
    """The tolerance overrides saved in a baseline."""
    return [
        (p, Tolerance(float(t.get("absolute", 0)), float(t.get("relative", 0))))
        for p, t in baseline.get("tolerances", {}).items()
    ]


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Row:
    """One KPI of one strategy: baseline vs run, and the verdict."""

    strategy: str
    kpi: str
    baseline_mean: float
    run_mean: float
    allowed: float
    tolerance: str
    p_value: float  # of "worsening <= tolerance"
    verdict: str  # ok | better | worse? | REGRESSED | info | n/a


@dataclass
class CheckReport:
    """Rows, notes (seed, version, scenario) and whether anything regressed."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    alpha: float = DEFAULT_ALPHA

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == "REGRESSED"]

    @property
    def passed(self) -> bool:
        return not self.regressions


def _mean_sd_n(entry: Mapping[str, Any]) -> tuple[float, float, int]:
    values = entry.get("values")
    if values is not None:
        finite = [float(v) for v in values if v is not None and not math.isnan(float(v))]
        n = len(finite)
        mean = float(np.mean(finite)) if n else math.nan
        return mean, float(np.std(finite, ddof=1)) if n >= 2 else math.nan, n
    saved_mean, saved_sd = entry.get("mean"), entry.get("sd")
    return (
        math.nan if saved_mean is None else float(saved_mean),
        math.nan if saved_sd is None else float(saved_sd),
        int(entry.get("n", 0)),
    )


def welch(sd_a: float, n_a: int, sd_b: float, n_b: int) -> tuple[float, float]:
    """Standard error and Welch–Satterthwaite degrees of freedom of a difference of
    means. A side with one value borrows the other side's variance."""
    if n_a < 2 and n_b < 2:
        return math.nan, math.nan
    if n_a < 2:
        sd_a = sd_b
    if n_b < 2:
        sd_b = sd_a
    va, vb = sd_a**2 / n_a, sd_b**2 / n_b
    se = math.sqrt(va + vb)
    if se == 0:
        return 0.0, math.inf
    terms = (va**2 / (n_a - 1) if n_a > 1 else 0.0) + (vb**2 / (n_b - 1) if n_b > 1 else 0.0)
    return se, (va + vb) ** 2 / terms if terms else math.inf


def judge(
    base: tuple[float, float, int],
    run: tuple[float, float, int],
    higher_is_better: bool,
    allowed: float,
    alpha: float = DEFAULT_ALPHA,
) -> tuple[str, float]:
    """Verdict and p-value of "the worsening is at most ``allowed``"."""
    (mb, sb, nb), (mr, sr, nr) = base, run
    if nb == 0 or nr == 0 or math.isnan(mb) or math.isnan(mr):
        return "n/a", math.nan
    worsening = (mb - mr) if higher_is_better else (mr - mb)
    se, df = welch(sb, nb, sr, nr)
    if math.isnan(se):  # one value each side: no variance, no test
        return ("worse?" if worsening > allowed else "ok"), math.nan
    if se == 0:  # both sides constant: the difference is exact
        p_worse = 0.0 if worsening > allowed else 1.0
        p_better = 0.0 if -worsening > allowed else 1.0
    else:
        p_worse = float(stats.t.sf((worsening - allowed) / se, df))
        p_better = float(stats.t.sf((-worsening - allowed) / se, df))
    if p_worse < alpha:
        return "REGRESSED", p_worse
    if p_better < alpha:
        return "better", p_worse
    return ("worse?" if worsening > allowed else "ok"), p_worse


def _scenario_notes(baseline: Mapping[str, Any], run: RunKpis, allow_change: bool) -> list[str]:
    notes: list[str] = []
    base_world: dict[str, Any] = baseline["world"]
    if base_world != run.world:
        changed = []
        for key in sorted(set(base_world) | set(run.world)):
            old, new = base_world.get(key, "absent"), run.world.get(key, "absent")
            if old != new:
                hashed = all(isinstance(v, str) and _HASH.fullmatch(v) for v in (old, new))
                changed.append(key if hashed else f"{key} ({old} -> {new})")
        what = ", ".join(changed[:6]) + (
            f" and {len(changed) - 6} more" if len(changed) > 6 else ""
        )
        message = (
            f"scenario differs from the baseline's in {what}: KPI changes would reflect the "
            "edit, not the code"
        )
        if not allow_change:
            raise CheckError(
                f"{message}; regenerate the baseline (routesim baseline RUN_DIR -o FILE) or "
                "pass --allow-scenario-change"
            )
        notes.append(f"WARNING: {message} (compared anyway: --allow-scenario-change)")
    if int(baseline["seed"]) != run.seed:
        notes.append(
            f"seed {run.seed} differs from the baseline's {baseline['seed']}: independent "
            "samples, compared as such"
        )
    if baseline.get("version") and baseline["version"] != run.version:
        notes.append(f"routesim {run.version} against a baseline made by {baseline['version']}")
    return notes


def compare(
    baseline: Mapping[str, Any],
    run: RunKpis,
    tolerances: Sequence[tuple[str, Tolerance]] = (),
    *,
    alpha: float = DEFAULT_ALPHA,
    strategies: Sequence[str] | None = None,
    allow_scenario_change: bool = False,
) -> CheckReport:
    """Compare a run with a baseline; ``tolerances`` override the baseline's own."""
    report = CheckReport(alpha=alpha)
    report.notes = _scenario_notes(baseline, run, allow_scenario_change)
    table = tolerances_with([*baseline_tolerances(baseline), *tolerances])
    names = list(strategies or baseline["strategies"])
    extra = [n for n in run.values if n not in baseline["strategies"]]
    if extra and not strategies:
        report.notes.append(f"not in the baseline, not checked: {', '.join(extra)}")
    for name in names:
        if name not in baseline["strategies"]:
            known = ", ".join(baseline["strategies"])
            raise CheckError(f"--strategy {name!r}: not in the baseline ({known})")
        if name not in run.values:
            raise CheckError(
                f"strategy {name!r} of the baseline is not in the run ({', '.join(run.values)}); "
                "run it, or restrict the check with --strategy"
            )
        base_entry = baseline["strategies"][name]
        spec = base_entry.get("spec")
        if spec is not None and spec != run.specs.get(name):
            message = f"strategy {name!r} differs from the baseline's ({spec} -> {run.specs[name]})"
            if not allow_scenario_change:
                raise CheckError(
                    f"{message}; regenerate the baseline or pass --allow-scenario-change"
                )
            report.notes.append(f"WARNING: {message}")
        for kpi in KPI_ORDER:
            entry = base_entry["kpis"].get(kpi)
            if entry is None:
                continue
            b = _mean_sd_n(entry)
            r = _mean_sd_n({"values": run.values[name][kpi]})
            if kpi not in HIGHER_IS_BETTER:
                report.rows.append(Row(name, kpi, b[0], r[0], math.nan, "", math.nan, "info"))
                continue
            tol = table[kpi]
            allowed = tol.allowed(b[0]) if not math.isnan(b[0]) else math.nan
            verdict, p = judge(b, r, HIGHER_IS_BETTER[kpi], allowed, alpha)
            report.rows.append(Row(name, kpi, b[0], r[0], allowed, tol.describe(kpi), p, verdict))
    return report


# --------------------------------------------------------------------------- table


def _value(kpi: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    if is_ratio(kpi):
        return f"{100 * value:.2f}%"
    if "cost" in kpi:
        return f"{value:.4f}"
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"


def _change(kpi: str, base: float, run: float) -> str:
    if math.isnan(base) or math.isnan(run):
        return "–"
    delta = run - base
    if is_ratio(kpi):
        return f"{100 * delta:+.2f} pp"
    relative = f" ({100 * delta / abs(base):+.1f}%)" if base else ""
    return f"{delta:+.4g}{relative}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def render_report(report: CheckReport, *, brief: bool = False) -> str:
    """The readable table: KPI, baseline, run, change, tolerance, p, verdict."""
    lines = [*report.notes]
    header = (
        f"  {'KPI':<28} {'baseline':>10} {'run':>10} {'change':>18} {'tolerance':>10}"
        f" {'p':>6}  verdict"
    )
    strategies = list(dict.fromkeys(r.strategy for r in report.rows))
    for name in strategies:
        rows = [r for r in report.rows if r.strategy == name]
        if brief:
            rows = [r for r in rows if r.verdict not in ("ok", "info", "n/a")]
            if not rows:
                continue
        lines += ["", name, header]
        for r in rows:
            p = "" if math.isnan(r.p_value) else f"{r.p_value:.3f}"
            lines.append(
                f"  {r.kpi:<28} {_value(r.kpi, r.baseline_mean):>10} "
                f"{_value(r.kpi, r.run_mean):>10} "
                f"{_change(r.kpi, r.baseline_mean, r.run_mean):>18} {r.tolerance:>10} "
                f"{p:>6}  {r.verdict}"
            )
    tested = [r for r in report.rows if r.verdict not in ("info", "n/a")]
    confidence = f"{100 * (1 - report.alpha):g}%"
    lines.append("")
    if report.passed:
        lines.append(
            f"PASS: no KPI worse than its tolerance with {confidence} confidence "
            f"({len(tested)} comparisons, {_count(len(strategies), 'strategy', 'strategies')})"
        )
    else:
        failed = ", ".join(f"{r.strategy} {r.kpi}" for r in report.regressions)
        lines.append(
            f"FAIL: {len(report.regressions)} regression(s) beyond tolerance with "
            f"{confidence} confidence: {failed}"
        )
    return "\n".join(lines).lstrip("\n") + "\n"


# --------------------------------------------------------------------------- commands


def cmd_baseline(args: argparse.Namespace) -> int:
    run = load_run(Path(args.run_dir))
    tolerances = [parse_tolerance(t) for t in args.tolerance or ()]
    baseline = make_baseline(run, tolerances, args.strategy)
    path = save_baseline(baseline, Path(args.output))
    print(
        f"wrote {path} ({run.scenario}: "
        f"{_count(len(baseline['strategies']), 'strategy', 'strategies')}, "
        f"{run.replications} replications of {run.duration_s:g} s, seed {run.seed})"
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    if not 0 < args.alpha < 0.5:
        raise CheckError(f"--alpha {args.alpha}: must be between 0 and 0.5")
    tolerances = [parse_tolerance(t) for t in args.tolerance or ()]
    baseline = load_baseline(Path(args.baseline))
    run = load_run(Path(args.run_dir))
    if run.scenario != baseline["scenario"] and not args.allow_scenario_change:
        raise CheckError(
            f"{args.run_dir} is a run of {run.scenario!r}, the baseline is of "
            f"{baseline['scenario']!r} (--allow-scenario-change to compare anyway)"
        )
    report = compare(
        baseline,
        run,
        tolerances,
        alpha=args.alpha,
        strategies=args.strategy,
        allow_scenario_change=args.allow_scenario_change,
    )
    print(
        f"routesim check: {args.run_dir} ({run.replications} replications, seed {run.seed}) "
        f"against {args.baseline} ({baseline['replications']} replications, seed "
        f"{baseline['seed']}); rule: regression = worse than tolerance with "
        f"{100 * (1 - args.alpha):g}% confidence (one-sided Welch t)"
    )
    print(render_report(report, brief=args.brief), end="")
    return 0 if report.passed else 1


_TOLERANCE_HELP = (
    "KPI=VALUE allowed worsening: 2pp (percentage points), 10%% (of the baseline mean) "
    "or a number in the KPI's unit; KPI may be a glob (latency_*); repeatable"
)


def register(subparsers: Any) -> None:
    """Add the ``baseline`` and ``check`` subcommands to ``routesim``'s subparsers."""
    base = subparsers.add_parser(
        "baseline",
        help="save a run's per-replication KPIs as a regression baseline",
        description="Save a run's per-replication KPIs (and its scenario fingerprint) as a "
        "baseline JSON file for `routesim check`.",
    )
    base.add_argument("run_dir", metavar="RUN_DIR", help="a `routesim run` output directory")
    base.add_argument("-o", "--output", required=True, metavar="FILE", help="baseline JSON")
    base.add_argument("--strategy", action="append", metavar="NAME", help="only these")
    base.add_argument("--tolerance", action="append", metavar="KPI=VALUE", help=_TOLERANCE_HELP)
    base.set_defaults(func=cmd_baseline)

    check = subparsers.add_parser(
        "check",
        help="compare a run with a baseline; exit 1 on a KPI regression",
        description="Compare a run with a baseline KPI by KPI. A KPI regresses when it is "
        "worse than the baseline by more than its tolerance with 99% confidence "
        "(one-sided Welch t-test on the replications). Exit 0 pass, 1 regression, "
        "2 bad input.",
    )
    check.add_argument("run_dir", metavar="RUN_DIR", help="a `routesim run` output directory")
    check.add_argument("--baseline", required=True, metavar="FILE", help="baseline JSON")
    check.add_argument("--tolerance", action="append", metavar="KPI=VALUE", help=_TOLERANCE_HELP)
    check.add_argument("--strategy", action="append", metavar="NAME", help="only these")
    check.add_argument(
        "--alpha", type=float, default=DEFAULT_ALPHA, help="significance level (default 0.01)"
    )
    check.add_argument(
        "--allow-scenario-change",
        action="store_true",
        help="compare even if the scenario (world, duration, strategy params) differs",
    )
    check.add_argument("--brief", action="store_true", help="show only rows that are not ok")
    check.set_defaults(func=cmd_check)

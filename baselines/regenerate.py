"""Regenerate the committed regression baselines (``baselines/<scenario>.json``).

For every bundled scenario (``scenarios/*.yaml``; ``bench`` is skipped: it is sized for
the speed benchmark) this runs, at CI scale (300 simulated seconds, or the scenario's
entry in ``DURATION_OVERRIDES`` below; 3 replications; the scenario's seed), the
equivalent of

    routesim run scenarios/<name>.yaml --duration 300 --replications 3 \
        --out runs/ci-baselines/<name> --quiet
    routesim baseline runs/ci-baselines/<name> -o baselines/<name>.json

printing each command as it goes. ``tests/test_regression_baselines.py`` re-runs each
at the scale recorded in its file and asserts that ``routesim check`` passes. Usage,
from the project root:

    .venv/bin/python baselines/regenerate.py            # all bundled scenarios
    .venv/bin/python baselines/regenerate.py baseline   # only these

Keep the whole set under about 30 s of simulation (the CI test run's budget is 60 s).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"bench"}  # the benchmark workload: far too big for CI
DURATION_S = 300.0  # simulated seconds (or the scenario's own duration if shorter)
REPLICATIONS = 3
# scenario -> simulated seconds, for scenarios whose story (an outage, a campaign, an
# attack) happens after DURATION_S or whose traffic is too thin for a few thousand
# messages per replication in DURATION_S. Together about 25 CPU-seconds.
DURATION_OVERRIDES: dict[str, float] = {
    "ait-attack": 3900,  # the 10:20 probe (3000-3600 s); the main wave at 5400 s is left out
    "france": 7500,  # the Saturday 19:30 campaign (5400 s) into the 20:00 quiet hours (7200 s)
    "grey-route": 600,
    "outage-failover": 3900,  # 5 minutes into the 3600-5400 s outage
    "price-spike": 3900,  # 5 minutes after the 3600 s price change
    "quality-drift": 12600,  # a third of the 3600-32400 s drift
    "sender-id-registry": 7800,  # past both registrations going live (90 and 120 min)
    "throttling": 640,  # 40 s of the 600-780 s flash sale (120 msg/s) and its retries
}


def _scripted_events_s(scenario: object) -> list[tuple[str, float]]:
    """(what, start) of scripted events, to warn when the CI run cuts them off."""
    events: list[tuple[str, float]] = []
    for route in getattr(scenario, "routes", ()):
        events += [(f"routes.{route.id} outage", o.start_s) for o in route.outages]
        if route.drift is not None:
            events.append((f"routes.{route.id} drift", route.drift.start_s))
        events += [(f"routes.{route.id} price change", c.at_s) for c in route.price_changes]
    traffic = getattr(scenario, "traffic", None)
    events += [("traffic burst", b.start_s) for b in getattr(traffic, "bursts", ())]
    events += [("AIT attack", a.start_s) for a in getattr(traffic, "ait", ())]
    return events


def main(names: list[str]) -> int:
    import sim
    from sim.check import load_run, make_baseline, save_baseline
    from sim.cli import main as routesim

    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    chosen = [f for f in files if (f.stem in names if names else f.stem not in SKIP)]
    unknown = set(names) - {f.stem for f in files}
    if unknown:
        print(f"regenerate: no scenarios/{', '.join(sorted(unknown))}.yaml", file=sys.stderr)
        return 2
    total_s = 0.0
    for file in chosen:
        scenario = sim.load_scenario(file)
        duration = DURATION_OVERRIDES.get(file.stem, min(DURATION_S, scenario.duration_s))
        out = ROOT / "runs" / "ci-baselines" / file.stem
        target = ROOT / "baselines" / f"{file.stem}.json"
        run = ["run", str(file.relative_to(ROOT)), "--duration", f"{duration:g}",
               "--replications", str(REPLICATIONS), "--out", str(out.relative_to(ROOT)),
               "--quiet"]  # fmt: skip
        print("routesim " + " ".join(run))
        started = time.perf_counter()
        if routesim(run) != 0:
            return 2
        total_s += time.perf_counter() - started
        print(f"routesim baseline {out.relative_to(ROOT)} -o {target.relative_to(ROOT)}")
        save_baseline(make_baseline(load_run(out)), target)
        late = [f"{what} at {start:g} s" for what, start in _scripted_events_s(scenario)
                if start >= duration]  # fmt: skip
        if late:
            print(f"  note: outside the {duration:g} s run: {'; '.join(late)} "
                  "(add the scenario to DURATION_OVERRIDES to cover them)")  # fmt: skip
    print(
        f"{len(chosen)} baselines written; the runs took {total_s:.0f} s with their reports. "
        "tests/test_regression_baselines.py re-runs them in memory (CI budget: 60 s in all)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

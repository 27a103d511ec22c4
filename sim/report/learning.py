"""Learning curves: cumulative cost and quality regret against the best fixed route.

As in the cost-subsidy setting (Sinha et al., AISTATS 2021): per destination, each
route's true delivery ``q`` is estimated from the records of every strategy and
replication pooled (handset received among accepted attempts, at least
:data:`MIN_ATTEMPTS` of them); the *best fixed route in hindsight* is the cheapest route
(mean price over the traffic window) whose ``q`` is within ``(1 - alpha)`` of the best
route's ``q*``. For each message, in creation order, its first attempt's route is the
strategy's choice:

- cost regret ``max(0, cost of the choice - segments x price of the best route)``, at
  the time the attempt was submitted (the ``cost`` column when the route accepted it,
  else what the route would have charged);
- quality regret ``max(0, (1 - alpha) q*_dest - q_route,dest)``: the delivery
  probability given up below the tolerance, i.e. expected messages lost.

A strategy that learns has curves that flatten (sublinear growth); one that keeps
making the same mistake grows linearly. Messages no route was chosen for (refused by a
guard, no route) are left out; a route with too few accepted attempts to a
destination has no quality estimate and its messages score no quality regret. The
report's figure, tables and words about it are in :mod:`sim.report.learning_section`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.report.measures import ACCEPTED, Measures
from sim.report.rundata import RunData
from sim.world.route import RouteBehaviour

ADAPTIVE = frozenset({"evidence-weighted", "cost-subsidy", "quality-scored"})
DEFAULT_ALPHA = 0.05
MIN_ATTEMPTS = 30

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RouteQuality:
    """A route's true delivery to one destination, pooled over the whole run."""

    route: str
    destination: str
    accepted: int
    delivered: int

    @property
    def q(self) -> float:
        return self.delivered / self.accepted if self.accepted else math.nan


@dataclass(frozen=True)
class BestRoute:
    """The best fixed route in hindsight for one destination at one ``alpha``."""

    destination: str
    alpha: float
    top: RouteQuality  # the route with the best true delivery
    best: RouteQuality  # the cheapest route within (1 - alpha) of it
    mean_price_eur: float  # per segment, the best route's mean over the traffic window

    @property
    def q_star(self) -> float:
        return self.top.q

    @property
    def tolerance(self) -> float:
        return (1 - self.alpha) * self.q_star


@dataclass(frozen=True)
class LearningCurve:
    """Cumulative regrets of one strategy in one replication, after each message."""

    strategy: str
    replication: int
    alpha: float
    cost: Floats  # EUR
    quality: Floats  # delivery probability given up (expected messages lost)
    on_best: int  # messages whose first attempt went to the best route
    unscored: int  # messages with no quality estimate for their route
    skipped: int  # messages no route was chosen for

    @property
    def messages(self) -> int:
        return int(self.cost.size)

    def rate(self, regret: Floats, part: int, parts: int = 4) -> float:
        """Regret per 1,000 messages within one part (0-based) of the message stream."""
        n = regret.size
        lo, hi = n * part // parts, n * (part + 1) // parts
        if hi <= lo:
            return math.nan
        before = regret[lo - 1] if lo else 0.0
        return 1000.0 * float(regret[hi - 1] - before) / (hi - lo)


def is_adaptive(data: RunData, strategy: str) -> bool:
    use = data.summary["strategies"][strategy].get("use") or strategy
    return str(use) in ADAPTIVE


def strategy_alpha(data: RunData, strategy: str) -> float:
    """The strategy's own ``alpha`` param when it has one, else :data:`DEFAULT_ALPHA`."""
    for spec in data.scenario.strategies:
        if spec.name == strategy and "alpha" in spec.params:
            return float(spec.params["alpha"])
    return DEFAULT_ALPHA


def _destinations(data: RunData, rows: pd.DataFrame) -> pd.Series:
    if "destination" in rows.columns:
        column: pd.Series = rows["destination"].astype(str)
        return column
    ids = {(d.country, d.operator): d.id for d in data.scenario.destinations}
    return pd.Series(
        [ids.get((c, o), "") for c, o in zip(rows["country"], rows["operator"], strict=True)],
        index=rows.index,
        dtype=str,
    )


def route_qualities(m: Measures) -> dict[tuple[str, str], RouteQuality]:
    """(route, destination) -> true delivery among accepted attempts, every strategy
    and replication pooled (pairs with fewer than MIN_ATTEMPTS attempts left out)."""

    def compute() -> dict[tuple[str, str], RouteQuality]:
        rows = m.pooled
        accepted = rows[(rows["submit_status"] == ACCEPTED) & (rows["route"] != "")]
        grouped = (
            accepted.assign(dest=_destinations(m.data, accepted))
            .groupby(["route", "dest"], sort=True)["handset_delivered"]
            .agg(["size", "sum"])
        )
        return {
            (str(r), str(d)): RouteQuality(str(r), str(d), int(n), int(k))
            for (r, d), n, k in zip(grouped.index, grouped["size"], grouped["sum"], strict=True)
            if n >= MIN_ATTEMPTS
        }

    return m.memo("route_qualities", compute)


def _behaviours(m: Measures) -> dict[str, RouteBehaviour]:
    return m.memo(
        "route_behaviours", lambda: {r.id: RouteBehaviour(r) for r in m.data.scenario.routes}
    )


def mean_price(behaviour: RouteBehaviour, destination: str, duration_s: float) -> float:
    """A route's price per segment to ``destination`` averaged over [0, duration_s]."""
    changes = sorted(
        {
            c.at_s
            for c in behaviour.route.price_changes
            if c.destination == destination and 0 < c.at_s < duration_s
        }
    )
    edges = [0.0, *changes, duration_s]
    total = sum(behaviour.price_eur(destination, a) * (b - a) for a, b in itertools.pairwise(edges))
    return total / duration_s if duration_s > 0 else behaviour.price_eur(destination, 0.0)


def best_routes(m: Measures, alpha: float) -> dict[str, BestRoute]:
    """Destination -> its best fixed route in hindsight (destinations whose routes
    have quality estimates)."""

    def compute() -> dict[str, BestRoute]:
        quality = route_qualities(m)
        behaviours = _behaviours(m)
        duration_s = float(m.data.summary["duration_s"])
        order = {r: i for i, r in enumerate(m.data.route_ids)}
        out: dict[str, BestRoute] = {}
        for dest in m.data.scenario.destinations:
            scored = [
                q
                for (r, d), q in quality.items()
                if d == dest.id and r in behaviours and d in behaviours[r].route.prices
            ]
            if not scored:
                continue
            top = max(scored, key=lambda q: (q.q, -order.get(q.route, 0)))
            feasible = [q for q in scored if q.q >= (1 - alpha) * top.q]
            prices = {
                q.route: mean_price(behaviours[q.route], dest.id, duration_s) for q in feasible
            }
            best = min(feasible, key=lambda q: (prices[q.route], order.get(q.route, 0)))
            out[dest.id] = BestRoute(dest.id, alpha, top, best, prices[best.route])
        return out

    return m.memo(f"best_routes:{alpha!r}", compute)


def _prices(
    behaviours: Mapping[str, RouteBehaviour], routes: pd.Series, dests: pd.Series, t: pd.Series
) -> Floats:
    """Price per segment of ``routes[i]`` to ``dests[i]`` at ``t[i]`` (NaN: not priced)."""
    out = np.full(len(routes), math.nan)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(routes.astype(str), dests.astype(str), strict=True)):
        groups.setdefault(key, []).append(i)
    times = t.to_numpy(float)
    for (route, dest), rows in sorted(groups.items()):
        behaviour = behaviours.get(route)
        if behaviour is None or dest not in behaviour.route.prices:
            continue
        index = np.array(rows, dtype=np.int64)
        if not behaviour.route.price_changes:
            out[index] = behaviour.price_eur(dest, 0.0)
        else:
            out[index] = [behaviour.price_eur(dest, float(x)) for x in times[index]]
    return out


def per_message_regret(m: Measures, strategy: str, replication: int) -> pd.DataFrame:
    """One row per message a route was chosen for, in creation order: ``created_s,
    destination, route, best_route, cost_regret, quality_regret, scored``."""
    data = m.data
    alpha = strategy_alpha(data, strategy)
    best = best_routes(m, alpha)
    quality = route_qualities(m)
    behaviours = _behaviours(m)
    rows = data.records(strategy, replication).drop_duplicates("msg_id", keep="first")
    rows = rows[rows["route"] != ""].sort_values(["created_s", "msg_id"], kind="stable")
    dests = _destinations(data, rows)
    t = rows["submitted_s"].fillna(rows["queued_s"]).fillna(rows["created_s"])
    segments = rows["segments"].to_numpy(float)
    accepted = (rows["submit_status"] == ACCEPTED).to_numpy()
    would_pay = _prices(behaviours, rows["route"], dests, t) * segments
    paid = np.where(accepted, rows["cost"].to_numpy(float), would_pay)
    best_route = dests.map(lambda d: best[d].best.route if d in best else "")
    best_pay = _prices(behaviours, best_route, dests, t) * segments
    tolerance = dests.map(lambda d: best[d].tolerance if d in best else math.nan).to_numpy(float)
    q = np.array(
        [
            quality[(r, d)].q if (r, d) in quality else math.nan
            for r, d in zip(rows["route"], dests, strict=True)
        ],
        dtype=float,
    )
    scored = np.isfinite(tolerance) & np.isfinite(q) & np.isfinite(best_pay)
    cost_regret = np.where(np.isfinite(best_pay), np.maximum(0.0, paid - best_pay), 0.0)
    quality_regret = np.where(scored, np.maximum(0.0, tolerance - q), 0.0)
    return pd.DataFrame(
        {
            "created_s": rows["created_s"].to_numpy(float),
            "destination": dests.to_numpy(),
            "route": rows["route"].to_numpy(),
            "best_route": best_route.to_numpy(),
            "cost_regret": np.nan_to_num(cost_regret),
            "quality_regret": quality_regret,
            "scored": scored,
        }
    )


def learning_curve(m: Measures, strategy: str, replication: int) -> LearningCurve:
    """Cumulative regrets of ``strategy`` in ``replication`` (cached)."""

    def compute() -> LearningCurve:
        regret = per_message_regret(m, strategy, replication)
        first = m.data.records(strategy, replication).drop_duplicates("msg_id")
        return LearningCurve(
            strategy=strategy,
            replication=replication,
            alpha=strategy_alpha(m.data, strategy),
            cost=np.cumsum(regret["cost_regret"].to_numpy(float)),
            quality=np.cumsum(regret["quality_regret"].to_numpy(float)),
            on_best=int((regret["route"] == regret["best_route"]).sum()),
            unscored=int((~regret["scored"]).sum()),
            skipped=int((first["route"] == "").sum()),
        )

    return m.memo(f"learning:{strategy}:{replication}", compute)


def has_learning(m: Measures) -> bool:
    """Whether any destination has a best fixed route (enough attempts to judge)."""
    alphas = {strategy_alpha(m.data, s) for s in m.data.strategies}
    return any(best_routes(m, a) for a in sorted(alphas))

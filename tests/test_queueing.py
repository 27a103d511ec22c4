"""Queueing behind a route's TPS limit: M/D/1 when the router paces, token bucket
throttling (0x58) when it does not, and 0x14 beyond the queue limit."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy import stats

from sim.engine import generate_traffic, simulate
from sim.records import Records
from sim.scenario import Scenario
from sim.world.smpp import SubmitStatus

ZERO = {"dist": "constant", "value_s": 0.0}
NO_RECEIPTS = {"delivered": 0.0, "undelivered": 0.0, "expired": 0.0, "lost": 1.0}
MU = 100.0  # tps of the paced route: deterministic service time 1/MU
MESSAGES = 150_000
WARMUP_SHARE = 0.02
BATCHES = 20
CONFIDENCE = 0.999


def paced_route(**extra: Any) -> dict[str, Any]:
    """Paced at MU tps, answers instantly, never sends receipts (fewer events)."""
    return {
        "id": "q",
        "tps": MU,
        "pace": True,
        "window": 10_000,
        "submit_latency": ZERO,
        "outcomes": NO_RECEIPTS,
        **extra,
    }


def lindley_starts(arrivals_s: npt.NDArray[np.float64], service_s: float) -> np.ndarray:
    """Start of service of a FIFO single deterministic server: max(a_n, s_{n-1} + D)."""
    starts = np.empty_like(arrivals_s)
    previous = -np.inf
    for i, arrival in enumerate(arrivals_s.tolist()):
        previous = max(arrival, previous + service_s)
        starts[i] = previous
    return starts


@pytest.fixture(scope="module", params=[0.5, 0.8], ids=lambda rho: f"rho={rho}")
def md1_run(request: Any, make_scenario: Any) -> tuple[float, Scenario, Records]:
    rho = float(request.param)
    rate = rho * MU
    scenario = make_scenario([paced_route()], rate_per_s=rate, duration_s=MESSAGES / rate)
    return rho, scenario, simulate(scenario, scenario.strategies[0], 1)


def test_paced_line_is_a_fifo_deterministic_server(md1_run: Any) -> None:
    """Exact: every submit starts at max(arrival, previous start + 1/tps)."""
    _, scenario, records = md1_run
    c = records.columns
    assert (c["submit_status"] == SubmitStatus.ESME_ROK).all()
    assert (c["attempt"] == 1).all()
    arrivals = generate_traffic(scenario, 1).created_s
    np.testing.assert_allclose(c["queued_s"], arrivals, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        c["submitted_s"], lindley_starts(arrivals, 1.0 / MU), rtol=0, atol=1e-9
    )


def test_mean_queue_wait_matches_pollaczek_khinchine(md1_run: Any) -> None:
    """M/D/1 (Poisson arrivals at lambda, deterministic service 1/mu):
    Wq = rho / (2 mu (1 - rho)).

    The waits of successive messages are strongly correlated, so the confidence
    interval comes from batch means: drop the first 2% of messages (the line starts
    empty, which biases early waits low), cut the rest into 20 contiguous batches of
    ~7,300 messages, and use a Student t interval (19 df, 99.9%) on the batch means.
    The M/D/1 relaxation time at rho = 0.8 is about (1 + sqrt(rho))^2 /
    (mu (1 - sqrt(rho))^2) ~ 3 s ~ 260 messages, far below a batch, so batch means
    are close to independent and normal.
    """
    rho, _, records = md1_run
    c = records.columns
    waits = (c["submitted_s"] - c["queued_s"])[int(WARMUP_SHARE * len(records)) :]
    means = np.array([b.mean() for b in np.array_split(waits, BATCHES)])
    half_width = stats.t.ppf(0.5 + CONFIDENCE / 2, BATCHES - 1) * means.std(ddof=1)
    half_width /= np.sqrt(BATCHES)
    expected = rho / (2 * MU * (1 - rho))
    assert abs(means.mean() - expected) <= half_width, (means.mean(), expected, half_width)
    # The test has power: it rejects M/M/1 (exponential service), whose Wq is twice.
    assert abs(means.mean() - 2 * expected) > half_width


def test_unpaced_route_throttles_beyond_its_token_bucket(make_scenario: Any) -> None:
    """A campaign at 50 msg/s on a route taking 10 tps with a bucket of 15: the route
    answers the excess with 0x58, and over every interval [s_i, s_j] between accepted
    submits, j - i + 1 <= tps (s_j - s_i) + burst."""
    tps, burst = 10.0, 15.0
    route = {
        "id": "u",
        "pace": False,
        "tps": tps,
        "tps_burst": burst,
        "window": 10_000,
        "submit_latency": {"dist": "constant", "value_s": 0.01},
        "outcomes": NO_RECEIPTS,
    }
    scenario = make_scenario(
        [route],
        rate_per_s=2.0,
        duration_s=120.0,
        seed=5,
        bursts=[{"start_s": 30.0, "duration_s": 30.0, "rate_per_s": 50.0, "kind": "otp"}],
        retry={"max_attempts": 4, "on_throttled": "retry_same", "backoff_s": 0.5},
    )
    c = simulate(scenario, scenario.strategies[0], 1).columns
    status = c["submit_status"]
    assert set(np.unique(status).tolist()) == {SubmitStatus.ESME_ROK, SubmitStatus.ESME_RTHROTTLED}
    throttled = status == SubmitStatus.ESME_RTHROTTLED
    assert throttled.sum() > 100  # the campaign really overloads the route
    assert (c["attempt"][throttled & c["final"]] == 4).all()  # gave up only at max attempts
    accepted_s = np.sort(c["submitted_s"][~throttled])
    # Whole run: accepted <= tps * span + burst.
    assert accepted_s.size <= tps * (accepted_s[-1] - accepted_s[0]) + burst
    # Every interval: with a_k = k - tps s_k, max_j (a_j - min_{i<=j} a_i) + 1 <= burst.
    a = np.arange(accepted_s.size) - tps * accepted_s
    worst = np.max(a - np.minimum.accumulate(a)) + 1
    assert worst <= burst + 1e-9
    # ... and the limit binds: some interval reaches it (up to one token).
    assert worst > burst - 1


def test_queue_limit_answers_queue_full(make_scenario: Any) -> None:
    """A paced 5 tps route with room for 10 waiting messages, fed 40 msg/s for 10 s:
    arrivals finding 10 waiting get 0x14; the queue never holds more than 10."""
    limit = 10

    def run(queue_limit: int) -> dict[str, np.ndarray]:
        scenario = make_scenario(
            [paced_route(tps=5.0, queue_limit=queue_limit)],
            rate_per_s=40.0,
            duration_s=10.0,
            seed=3,
            retry={"max_attempts": 1},
        )
        return simulate(scenario, scenario.strategies[0], 1).columns

    c = run(limit)
    full = c["submit_status"] == SubmitStatus.ESME_RMSGQFUL
    assert full.sum() > 100
    assert set(np.unique(c["submit_status"][~full]).tolist()) == {SubmitStatus.ESME_ROK}
    # A 0x14 is answered at once, without sending and without cost.
    assert (c["submitted_s"][full] == c["queued_s"][full]).all()
    assert (c["cost"][full] == 0).all()
    assert not c["handset_delivered"][full].any()
    queued, submitted = c["queued_s"][~full], c["submitted_s"][~full]
    for t in c["queued_s"][full]:
        # At a refusal the queue held exactly `limit` messages: those still waiting
        # after t, plus possibly some leaving at exactly t.
        assert np.sum((queued <= t) & (t < submitted)) <= limit
        assert np.sum((queued <= t) & (t <= submitted)) >= limit
    # Queue length over time (departures before arrivals at equal times) <= limit.
    times = np.concatenate([queued, submitted])
    steps = np.concatenate([np.ones(queued.size), -np.ones(submitted.size)])
    order = np.lexsort((steps, times))
    assert np.cumsum(steps[order]).max() <= limit
    # The same traffic with ample room: no refusal.
    roomy = run(100_000)
    assert (roomy["submit_status"] == SubmitStatus.ESME_ROK).all()

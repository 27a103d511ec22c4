"""The scenario library (scenarios/README.md): every bundled scenario validates and runs,
and each scenario's stated finding holds on a seeded run.

Findings are checked on the records of one replication with the scenario's own seed,
on the window where the story happens (an outage, a campaign, an attack). Bounds are
95% Wilson intervals of the measured proportions against the scenario's configured
numbers, or intervals of two strategies that must not overlap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.scenario import Scenario
from sim.world.traffic import generate_traffic

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.yaml"))
LIBRARY = (
    "baseline",
    "grey-route",
    "outage-failover",
    "price-spike",
    "quality-drift",
    "sender-id-registry",
    "france",
    "throttling",
    "ait-attack",
)


# --------------------------------------------------------------------------- helpers


def wilson(successes: float, trials: float, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a binomial proportion."""
    assert trials > 0, "no trials: the window selected no messages"
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return centre - half, centre + half


def share(flags: pd.Series) -> tuple[float, float]:
    """Wilson interval of the share of True in ``flags``."""
    return wilson(float(flags.sum()), float(len(flags)))


def load(name: str, **updates: object) -> Scenario:
    scenario = sim.load_scenario(SCENARIO_DIR / f"{name}.yaml")
    return scenario.model_copy(update=updates) if updates else scenario


def run(scenario: Scenario, strategies: Sequence[str]) -> sim.RunResult:
    return sim.run_scenario(scenario, list(strategies), replications=1, workers=1)


def messages(result: sim.RunResult, strategy: str) -> pd.DataFrame:
    """One row per message: its last attempt, plus whether any attempt reached a handset,
    its first route and submit time, its first handset time, attempts, 0x58 answers and
    total cost."""
    frame = sim.records_frame(result, strategy, 1)
    frame = frame.assign(throttled=frame["submit_status"] == "ESME_RTHROTTLED")
    by_msg = frame.groupby("msg_id", sort=True)
    last = by_msg.tail(1).set_index("msg_id")
    return last.assign(
        delivered=by_msg["handset_delivered"].any(),
        first_route=by_msg["route"].first(),
        first_submit_s=by_msg["submitted_s"].min(),
        first_handset_s=by_msg["handset_s"].min(),
        attempts=by_msg.size(),
        throttles=by_msg["throttled"].sum(),
        cost_eur=by_msg["cost"].sum(),
    )


def kpis(result: sim.RunResult, strategy: str) -> dict[str, float]:
    return result.summary["strategies"][strategy]["kpis"]  # type: ignore[no-any-return]


def ci(result: sim.RunResult, strategy: str, kpi: str) -> tuple[float, float]:
    lo, hi = result.summary["strategies"][strategy]["ci95"][kpi]
    return lo, hi


def window(frame: pd.DataFrame, start_s: float, end_s: float) -> pd.DataFrame:
    return frame[(frame["created_s"] >= start_s) & (frame["created_s"] < end_s)]


# --------------------------------------------------------------------------- the library


def test_library_is_complete_and_documented() -> None:
    names = {path.stem for path in SCENARIO_FILES}
    assert set(LIBRARY) <= names
    readme = (SCENARIO_DIR / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, flags=re.MULTILINE))
    assert names <= rows, f"scenarios missing from the README table: {sorted(names - rows)}"
    for path in SCENARIO_FILES:
        assert sim.load_scenario(path).description.strip(), f"{path.name}: no description"


def test_readme_example_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (SCENARIO_DIR / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "scenarios/README.md", "exec"), {})
    assert capsys.readouterr().out.split() == ["0.0"]


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_scenario_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_scenario_runs_at_short_duration(path: Path) -> None:
    scenario = sim.load_scenario(path).model_copy(update={"duration_s": 90.0})
    result = sim.run_scenario(scenario, replications=1, workers=1)
    assert set(result.summary["strategies"]) == {s.name for s in scenario.strategies}
    submitted = {
        name: data["kpis"]["submitted"] for name, data in result.summary["strategies"].items()
    }
    # every strategy saw the same traffic, and every message reached one terminal state
    planned = len(generate_traffic(scenario, 1))
    assert planned > 0 and set(submitted.values()) == {planned}
    for name in submitted:
        frame = messages(result, name)
        assert list(frame.index) == list(range(planned))


# --------------------------------------------------------------------------- findings


def test_baseline_least_cost_reports_more_than_it_delivers() -> None:
    # 20 minutes: past the 08:15 marketing campaign to France
    result = run(load("baseline", duration_s=1200.0), ["least-cost", "priority"])
    _, hi_true = ci(result, "least-cost", "delivered_ratio")
    lo_rep, _ = ci(result, "least-cost", "reported_delivered_ratio")
    assert lo_rep > hi_true + 0.04  # the grey route's fake receipts on marketing
    cheap = messages(result, "least-cost")
    marketing = cheap[cheap["kind"] == "marketing"]
    assert share(marketing["dlr_status"] == "DELIVRD")[0] > 0.93
    assert share(marketing["delivered"])[1] < 0.8
    lo_priority, _ = ci(result, "priority", "delivered_ratio")
    assert lo_priority > 0.98
    assert kpis(result, "least-cost")["sender_intact_ratio"] < 0.7


@pytest.fixture(scope="module")
def grey() -> sim.RunResult:
    return run(load("grey-route", duration_s=900.0), ["least-cost", "least-cost-no-grey"])


def test_grey_route_reported_delivery_far_above_true(grey: sim.RunResult) -> None:
    lo_rep, _ = ci(grey, "least-cost", "reported_delivered_ratio")
    _, hi_true = ci(grey, "least-cost", "delivered_ratio")
    assert lo_rep > hi_true + 0.05
    # on bulk traffic only: the grey route fakes DELIVRD for most lost marketing
    cheap = messages(grey, "least-cost")
    marketing = cheap[cheap["kind"] == "marketing"]
    reported = share(marketing["dlr_status"] == "DELIVRD")
    delivered = share(marketing["delivered"])
    assert reported[0] > 0.9 and delivered[1] < 0.5  # configured: 0.40 delivered
    otp = cheap[cheap["kind"] == "otp"]
    fake_otp = otp[(otp["dlr_status"] == "DELIVRD") & ~otp["handset_delivered"]]
    assert len(fake_otp) == 0  # OTP receipts stay honest
    # without the grey route, receipts and truth agree
    honest = kpis(grey, "least-cost-no-grey")
    assert honest["delivered_ratio"] > 0.98
    assert abs(honest["reported_delivered_ratio"] - honest["delivered_ratio"]) < 0.03


def test_grey_route_rewrites_senders_and_alters_text(grey: sim.RunResult) -> None:
    cheap, honest = kpis(grey, "least-cost"), kpis(grey, "least-cost-no-grey")
    assert cheap["sender_intact_ratio"] < 0.4 and honest["sender_intact_ratio"] == 1.0
    assert cheap["content_intact_ratio"] < 0.98 and honest["content_intact_ratio"] == 1.0
    frame = messages(grey, "least-cost")
    rewritten = frame[frame["handset_delivered"] & (frame["route"] == "grey-simfarm")]
    rewritten = rewritten[rewritten["sender_received"] != rewritten["sender_sent"]]
    assert len(rewritten) > 1000
    assert rewritten["sender_received"].str.fullmatch(r"\+\d{10,14}").all()
    # why it is tempting: on receipts it looks cheaper; per truly delivered message it is not
    assert cheap["cost_per_reported_delivered"] < honest["cost_per_reported_delivered"]
    assert cheap["cost_per_delivered"] > honest["cost_per_delivered"]


@pytest.fixture(scope="module")
def outage() -> sim.RunResult:
    return run(load("outage-failover"), ["priority", "direct-only", "quality-scored"])


OUTAGE = (3600.0, 5400.0)


def test_outage_failover_recovers_delivery_within_the_outage(outage: sim.RunResult) -> None:
    for name, inside in (("priority", True), ("direct-only", False), ("quality-scored", True)):
        frame = messages(outage, name)
        orange = frame[frame["destination"] == "fr-orange"]
        during = window(orange, *OUTAGE)
        before = window(orange, 0.0, OUTAGE[0])
        assert share(before["delivered"])[0] > 0.97, name
        lo, hi = share(during["delivered"])
        if inside:
            assert lo > 0.97, name
        else:
            assert hi < 0.01, name  # refused (0x45) and nowhere to fail over
    # failover costs a second and a retry; the message still arrives
    frame = messages(outage, "priority")
    during = window(frame[frame["destination"] == "fr-orange"], *OUTAGE)
    assert (during["attempts"] >= 2).mean() > 0.99
    assert set(during.loc[during["delivered"], "route"]) <= {"euro-hub", "global-connect"}


def test_outage_quality_scored_leaves_the_dead_route(outage: sim.RunResult) -> None:
    frame = messages(outage, "quality-scored")
    orange = frame[frame["destination"] == "fr-orange"]
    settled = window(orange, OUTAGE[0] + 60.0, OUTAGE[1])
    _, hi = share(settled["first_route"] == "orange-direct")
    assert hi < 0.03  # only its exploration still tries the dead route
    assert kpis(outage, "quality-scored")["retries"] < kpis(outage, "priority")["retries"] / 2


def test_price_spike_priority_pays_least_cost_moves() -> None:
    result = run(load("price-spike"), ["priority", "least-cost", "quality-scored"])
    spike_s = 3600.0  # 12:00, the new direct tariff
    cost: dict[str, tuple[float, float]] = {}  # EUR per segment to Germany, before / after
    delivered_after: dict[str, tuple[float, float]] = {}
    for name in ("priority", "least-cost", "quality-scored"):
        frame = messages(result, name)
        germany = frame[frame["country"] == "DE"]
        before = window(germany, 0.0, spike_s)
        after = window(germany, spike_s + 60.0, math.inf)
        cost[name] = (
            before["cost_eur"].sum() / before["segments"].sum(),
            after["cost_eur"].sum() / after["segments"].sum(),
        )
        delivered_after[name] = share(after["delivered"])
        france = frame[frame["country"] == "FR"]  # the control: its prices never move
        assert france["cost_eur"].sum() / france["segments"].sum() < 0.0365, name
    for name, (before_eur, _) in cost.items():
        assert 0.062 <= before_eur < 0.067, name  # the direct routes' morning prices
    assert cost["priority"][1] > 0.108  # the new tariff (0.109-0.115)
    for name in ("least-cost", "quality-scored"):
        assert cost[name][1] < 0.078, name  # the aggregator (0.072-0.074), retries included
        # about a point of delivery given up, no more
        assert delivered_after[name][0] > delivered_after["priority"][1] - 0.02, name


def test_quality_drift_least_cost_slides_quality_scored_moves() -> None:
    result = run(load("quality-drift"), ["least-cost", "quality-scored"])
    static, adaptive = messages(result, "least-cost"), messages(result, "quality-scored")
    for frame in (static, adaptive):
        assert share(window(frame, 0.0, 3600.0)["delivered"])[0] > 0.95
    late_static = window(static, 28800.0, 36000.0)  # 16:00-18:00
    late_adaptive = window(adaptive, 28800.0, 36000.0)
    assert share(late_static["delivered"])[1] < 0.80  # 0.975 x (0.75 .. 0.79)
    assert share(late_adaptive["delivered"])[0] > 0.95
    assert (late_adaptive["first_route"] == "tier1-hub").mean() > 0.95
    latency_static = (late_static["first_handset_s"] - late_static["created_s"]).quantile(0.95)
    latency_adaptive = (late_adaptive["first_handset_s"] - late_adaptive["created_s"]).quantile(
        0.95
    )
    assert latency_static > 3 * latency_adaptive
    cost_static = kpis(result, "least-cost")["cost_per_delivered"]
    assert abs(kpis(result, "quality-scored")["cost_per_delivered"] / cost_static - 1) < 0.05


@pytest.fixture(scope="module")
def registry() -> sim.RunResult:
    return run(load("sender-id-registry", duration_s=9000.0), ["compliant", "least-cost"])


def _sender_view(frame: pd.DataFrame, dest: str, sender: str) -> pd.DataFrame:
    return frame[(frame["destination"] == dest) & (frame["sender_sent"] == sender)]


def test_sender_registry_rules_and_lead_times(registry: sim.RunResult) -> None:
    frame = messages(registry, "compliant")
    got = frame[frame["handset_delivered"]]
    # UK: as sent
    uk = got[got["destination"] == "gb-ee"]
    assert (uk["sender_received"] == uk["sender_sent"]).all()
    # Saudi Arabia: rejected until ACMEBANK's registration goes live at 5400 s
    bank_sa = _sender_view(frame, "sa-stc", "ACMEBANK")
    assert not window(bank_sa, 0.0, 5400.0)["delivered"].any()
    assert share(window(bank_sa, 0.0, 5400.0)["dlr_status"] == "REJECTD")[0] > 0.93
    after = window(bank_sa, 5400.0, math.inf)
    assert share(after["delivered"])[0] > 0.93
    assert (after.loc[after["delivered"], "sender_received"] == "ACMEBANK").all()
    assert not _sender_view(frame, "sa-stc", "ACMESHOP")["delivered"].any()
    # Indonesia: a random local number until the registration at 7200 s, then as sent
    bank_id = _sender_view(got, "id-telkomsel", "ACMEBANK")
    assert window(bank_id, 0.0, 7200.0)["sender_received"].str.startswith("+62").all()
    assert (window(bank_id, 7200.0, math.inf)["sender_received"] == "ACMEBANK").all()
    # Nigeria and the UAE: registered sender kept, the unregistered one made generic
    assert (_sender_view(got, "ng-mtn", "ACMEBANK")["sender_received"] == "ACMEBANK").all()
    assert (_sender_view(got, "ng-mtn", "ACMESHOP")["sender_received"] == "SMSINFO").all()
    assert (_sender_view(got, "ae-etisalat", "ACMESHOP")["sender_received"] == "AD-INFO").all()
    # United States: never an alphanumeric sender
    assert got[got["destination"] == "us-tmobile"]["sender_received"].str.startswith("+1").all()


def test_sender_registry_budget_route_hides_registered_senders(registry: sim.RunResult) -> None:
    frame = messages(registry, "least-cost")
    got = frame[frame["handset_delivered"] & frame["destination"].isin(["gb-ee", "ng-mtn"])]
    assert len(got) > 1000 and (got["sender_received"] != got["sender_sent"]).all()
    cheap, compliant = kpis(registry, "least-cost"), kpis(registry, "compliant")
    assert (
        ci(registry, "least-cost", "sender_intact_ratio")[1]
        < ci(registry, "compliant", "sender_intact_ratio")[0]
    )
    assert cheap["cost_per_delivered"] < compliant["cost_per_delivered"]


@pytest.fixture(scope="module")
def france() -> sim.RunResult:
    return run(load("france", duration_s=14400.0), ["priority", "least-cost"])


MONDAY_8AM_S = 38 * 3600.0  # from Saturday 18:00
QUIET_FROM_S = 2 * 3600.0  # Saturday 20:00


def test_france_marketing_held_through_quiet_hours(france: sim.RunResult) -> None:
    frame = messages(france, "priority")
    marketing = frame[frame["kind"] == "marketing"]
    allowed = window(marketing, 0.0, QUIET_FROM_S)
    quiet = window(marketing, QUIET_FROM_S, math.inf)
    assert len(allowed) > 1000 and len(quiet) > 1000  # the 19:30 campaign spans 20:00
    assert (allowed["first_submit_s"] - allowed["created_s"]).max() < 60.0
    assert quiet["first_submit_s"].min() >= MONDAY_8AM_S  # held, not dropped
    assert quiet["first_submit_s"].max() < MONDAY_8AM_S + 600.0
    # other kinds are never held
    others = frame[frame["kind"] != "marketing"]
    assert (others["first_submit_s"] - others["created_s"]).max() < 60.0


def test_france_sender_ranges_and_stop_mention(france: sim.RunResult) -> None:
    frame = messages(france, "priority")
    marketing = frame[frame["kind"] == "marketing"]
    # one campaign text in three lacks STOP: the networks reject it (~1/3 x 0.98)
    lo, hi = share(marketing["dlr_status"] == "REJECTD")
    assert lo > 0.29 and hi < 0.37
    for kind in ("otp", "transactional", "conversational"):
        subset = frame[frame["kind"] == kind]
        assert share(subset["delivered"])[0] > 0.96, kind
        got = subset[subset["handset_delivered"]]
        assert (got["sender_received"] == got["sender_sent"]).all(), kind
    # the international hub replaces 36xxx, 38xxx and 09 senders: all rejected
    cheap = messages(france, "least-cost")
    for kind in ("marketing", "transactional", "conversational"):
        assert not cheap[cheap["kind"] == kind]["delivered"].any(), kind
    otp = cheap[(cheap["kind"] == "otp") & cheap["handset_delivered"]]
    assert len(otp) > 1000 and (otp["sender_received"] == "INFO").all()


def test_throttling_campaign_past_tps() -> None:
    result = run(load("throttling", duration_s=900.0), ["least-cost", "weighted", "quality-scored"])
    burst = (600.0, 780.0)
    lost: dict[str, tuple[float, float]] = {}
    for name in ("least-cost", "weighted", "quality-scored"):
        campaign = window(messages(result, name), *burst)
        campaign = campaign[campaign["kind"] == "marketing"]
        lost[name] = share(campaign["submit_status"] == "ESME_RTHROTTLED")
    assert lost["least-cost"][0] > 0.4  # 120 msg/s into a 40-TPS route, four tries each
    assert lost["weighted"][1] < 0.005 and lost["quality-scored"][1] < 0.02
    # OTPs sharing the throttled route suffer with the campaign
    otp = window(messages(result, "least-cost"), *burst)
    assert share(otp[otp["kind"] == "otp"]["delivered"])[1] < 0.8
    assert kpis(result, "least-cost")["retries"] > 10 * kpis(result, "weighted")["retries"]


def test_ait_attack_share_and_cost_of_pumping() -> None:
    scenario = load("ait-attack", duration_s=8100.0)  # to the end of the main wave
    result = run(scenario, ["least-cost", "priority"])
    traffic = scenario.traffic
    wave = traffic.ait[1]
    otp_share = traffic.kinds["otp"].share / sum(k.share for k in traffic.kinds.values())
    legit_otp_per_s = traffic.rate_per_s * traffic.daily_profile[11] * otp_share  # 11:00 local
    expected = wave.rate_per_s / (wave.rate_per_s + legit_otp_per_s)
    for name in ("least-cost", "priority"):
        rows = sim.records_frame(result, name, 1)
        frame = messages(result, name)
        during = window(frame, wave.start_s, wave.start_s + wave.duration_s)
        otp = during[during["kind"] == "otp"]
        lo, hi = share(otp["ait"])
        assert lo < expected < hi and lo > 0.5, name  # ~60% of the wave's OTPs are pumped
        pumped = frame[frame["ait"]]
        assert set(pumped["destination"]) == {"uz-ucell", "kg-megacom"}
        # no strategy tells them apart: (nearly) every pumped code is sent and paid
        k = kpis(result, name)
        accepted = rows[rows["ait"] & (rows["submit_status"] == "ESME_ROK")]
        assert k["ait_sent"] == accepted["msg_id"].nunique() > 0.99 * len(pumped), name
        assert k["ait_cost"] == pytest.approx(rows.loc[rows["ait"], "cost"].sum()), name
        assert 0.22 <= k["ait_cost"] / k["ait_sent"] <= 0.31 * 1.1, name  # EUR per code
        # most of the wave's bill is pumping
        assert during.loc[during["ait"], "cost_eur"].sum() > 0.8 * during["cost_eur"].sum()

"""AIT (SMS pumping) over time: what each strategy let through and what its guard blocked.

Per strategy, from the records: pumped OTP requests that a route accepted (*leaked*,
and paid for) against those the AIT guard refused before any route saw them
(*blocked*), per time interval; legitimate OTPs the guard refused (false positives)
and OTP conversion beside them; and, from ``guards/``, the moments the guard blocked a
number range.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.report import fmt
from sim.report.describe import plural
from sim.report.document import Cell, Table, text_cell
from sim.report.measures import Measures, proportion
from sim.report.timeplots import bottom_labels, grid, time_axis, time_label

LEAKED_COLOUR = "#e03131"
BLOCKED_COLOUR = "#74c0fc"
LEGIT_COLOUR = "#212529"
_MARKERS = {"velocity": "v", "conversion": "o", "escalated": "*"}


def has_ait(m: Measures) -> bool:
    """Whether any AIT traffic entered under any strategy."""
    return any(m.ait(n).entered for n in m.data.strategies)


def ait_over_time(m: Measures, strategy: str) -> pd.DataFrame:
    """Per creation-time interval (index: its start, s): AIT messages ``leaked`` and
    ``blocked`` and legitimate OTPs blocked (``legit_blocked``), means per replication."""
    msgs = m.ait_messages(strategy)
    bins = np.floor(msgs["created_s"] / m.bin_s) * m.bin_s
    legit = ~msgs["ait"] & (msgs["kind"] == "otp")
    frame = pd.DataFrame(
        {
            "leaked": msgs["ait"] & msgs["leaked"],
            "blocked": msgs["ait"] & msgs["blocked"],
            "legit_blocked": legit & msgs["blocked"],
        }
    )
    counts = frame.groupby(bins.to_numpy(float), sort=True).sum().astype(float)
    duration_s = float(m.data.summary["duration_s"])
    full = np.arange(0.0, duration_s, m.bin_s)
    return counts.reindex(np.union1d(full, counts.index.to_numpy(float)), fill_value=0.0).div(
        m.data.replications
    )


def block_events(m: Measures, strategy: str) -> pd.DataFrame:
    """The AIT guard's block decisions of every replication: ``replication, time_s,
    why`` (velocity, conversion, escalated, ...), in time order."""
    frames = []
    for replication in range(1, m.data.replications + 1):
        log = m.data.guard_log(strategy, replication)
        if log is None or log.empty:
            continue
        blocks = log[log["guard"].str.startswith("ait") & log["action"].str.startswith("block")]
        why = blocks["action"].str.partition(":")[2].replace("", "block")
        frames.append(
            pd.DataFrame({"replication": replication, "time_s": blocks["time_s"], "why": why})
        )
    if not frames:
        return pd.DataFrame({"replication": [], "time_s": [], "why": []})
    return pd.concat(frames, ignore_index=True)


def ait_table(m: Measures) -> Table | None:
    """Per strategy: AIT that entered, was blocked, leaked and what it cost; legitimate
    OTPs blocked; OTP conversion; number ranges the guard blocked."""
    if not has_ait(m):
        return None
    rows = []
    for name in m.data.strategies:
        a = m.ait(name)
        legit = proportion(a.legit_blocked, a.legit_otp)
        conversion = proportion(a.otp_verified, a.otp_sent)
        events = block_events(m, name)
        escalated = int((events["why"] == "escalated").sum())
        ranges_detail = f"incl. {fmt.count(a.per_rep(escalated))} widened" if escalated else ""
        rows.append(
            (
                text_cell(name),
                Cell(fmt.count(a.per_rep(a.entered))),
                Cell(fmt.count(a.per_rep(a.blocked)), emphasis=a.blocked > 0),
                Cell(fmt.count(a.per_rep(a.leaked)), warning=a.leaked > 0),
                Cell(fmt.eur(a.per_rep(a.cost_eur))),
                Cell(
                    fmt.count(a.per_rep(a.legit_blocked)),
                    f"{fmt.pct(legit.value, 2)} [{fmt.pct(legit.low, 2)}, {fmt.pct(legit.high, 2)}]"
                    if legit.n
                    else "",
                ),
                Cell(
                    fmt.pct(conversion.value),
                    f"[{fmt.pct(conversion.low)}, {fmt.pct(conversion.high)}]"
                    if conversion.n
                    else "",
                ),
                Cell(fmt.count(a.per_rep(len(events))), ranges_detail),
            )
        )
    return Table(
        "ait",
        "AIT (pumping) blocked and leaked, per strategy",
        (
            "strategy",
            "AIT messages",
            "blocked by AIT guard",
            "leaked (a route took it)",
            "leaked cost (EUR)",
            "legit OTPs blocked",
            "OTP conversion",
            "ranges blocked",
        ),
        tuple(rows),
        note="Counts and cost per replication (means). Legit OTPs blocked: real users' "
        "OTPs the AIT guard refused, with their share of legitimate OTPs; OTP conversion: "
        "OTPs a route accepted whose user entered the code (pumped ones never are). Shares "
        "pool the replications, brackets are Wilson 95% intervals. Ranges blocked: the "
        "guard's block decisions on number ranges (from guards/), widened: escalations "
        "to a wider range. Marked: pumping that got through.",
    )


def ait_paragraph(m: Measures) -> str:
    """What the section shows, with the scenario's attack windows."""
    s = m.data.scenario
    unit, per = ("min", 60.0) if float(m.data.summary["duration_s"]) >= 600 else ("s", 1.0)
    windows = []
    for a in s.traffic.ait:
        start = s.start + timedelta(seconds=a.start_s)
        end = start + timedelta(seconds=a.duration_s)
        windows.append(
            f"{a.start_s / per:g}–{(a.start_s + a.duration_s) / per:g} {unit} from the start "
            f"({start.astimezone(s.zone):%H:%M}–{end.astimezone(s.zone):%H:%M}) at "
            f"{a.rate_per_s:g} requests/s"
        )
    attacks = (
        f"The scenario pumps OTP requests in {plural(len(windows), 'wave')}: {'; '.join(windows)}. "
        if windows
        else ""
    )
    return (
        f"{attacks}Leaked: pumped messages a route accepted — the aggregator pays for each "
        "and the fraudsters share the termination revenue. Blocked: pumped messages the "
        "AIT guard refused before any route saw them. A guard earns its keep when the "
        "leaked bars stop soon after an attack begins and few real users' OTPs are blocked "
        "with them."
    )


def _markers(ax: Axes, events: pd.DataFrame, replications: int) -> set[str]:
    seen: set[str] = set()
    for replication in sorted({int(r) for r in events["replication"]}):
        group = events[events["replication"] == replication]
        y = 0.97 - 0.045 * (replication - 1) if replications <= 6 else 0.97
        for why, rows in group.groupby("why", sort=True):
            marker = _MARKERS.get(str(why), "x")
            ax.plot(
                rows["time_s"].to_numpy(float),
                np.full(len(rows), y),
                ls="none",
                marker=marker,
                ms=7 if marker == "*" else 4.5,
                color="#5f3dc4",
                transform=ax.get_xaxis_transform(),
                clip_on=False,
            )
            seen.add(str(why))
    return seen


def ait_figure(m: Measures) -> Figure | None:
    """Per strategy: AIT messages leaked vs blocked per interval (stacked bars), the
    legitimate OTPs blocked, and the AIT guard's range blocks as markers."""
    if not has_ait(m):
        return None
    names = m.data.strategies
    fig, axes = grid(len(names), 2.3)
    reps = m.data.replications
    top = 0.0
    marked: set[str] = set()
    legit_any = False
    for ax, name in zip(axes, names, strict=True):
        series = ait_over_time(m, name)
        x = series.index.to_numpy(float)
        leaked = series["leaked"].to_numpy(float)
        blocked = series["blocked"].to_numpy(float)
        for attack in m.data.scenario.traffic.ait:
            ax.axvspan(attack.start_s, attack.start_s + attack.duration_s, color="#ffe3e3", lw=0)
        ax.bar(x, leaked, m.bin_s, align="edge", lw=0, color=LEAKED_COLOUR)
        ax.bar(x, blocked, m.bin_s, bottom=leaked, align="edge", lw=0, color=BLOCKED_COLOUR)
        legit = series["legit_blocked"].to_numpy(float)
        if legit.any():
            legit_any = True
            ax.step(x, legit, where="post", color=LEGIT_COLOUR, lw=1.1)
        top = max(top, float((leaked + blocked).max(initial=0.0)))
        marked |= _markers(ax, block_events(m, name), reps)
        blocked_legit = float(legit.sum())
        ax.set_title(
            f"{name} ({fmt.count(blocked_legit)} legitimate OTPs blocked)"
            if blocked_legit
            else name
        )
        ax.grid(axis="x", visible=False)
        time_axis(ax, m)
    axes[0].set_ylim(0, max(1.0, top) * 1.45)
    for ax in axes[:: 1 if len(axes) == 1 else 2]:
        ax.set_ylabel(f"messages per {fmt.duration(m.bin_s)}")
    bottom_labels(axes, time_label(m))
    handles: list[Patch | Line2D] = [
        Patch(color=LEAKED_COLOUR, label="AIT leaked (a route accepted it)"),
        Patch(color=BLOCKED_COLOUR, label="AIT blocked by the guard"),
        Patch(color="#ffe3e3", label="attack window"),
    ]
    if legit_any:
        handles.append(Line2D([], [], color=LEGIT_COLOUR, label="legitimate OTPs blocked"))
    labels = {
        "velocity": "range blocked: velocity",
        "conversion": "range blocked: low conversion",
        "escalated": "wider range blocked",
    }
    for why in sorted(marked):
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker=_MARKERS.get(why, "x"),
                color="#5f3dc4",
                label=labels.get(why, f"guard: {why}"),
            )
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4))
    fig.suptitle(
        f"AIT (pumping) leaked vs blocked, per {fmt.duration(m.bin_s)} (mean per replication)",
        fontweight="bold",
    )
    return fig

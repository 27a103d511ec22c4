"""Figures (PNG, matplotlib Agg): true vs reported delivery, latency CDF, cost vs delivery."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim.kpis import message_outcomes
from sim.runner import RunResult


def _delivery_figure(result: RunResult, path: Path) -> None:
    strategies = result.summary["strategies"]
    names = list(strategies)
    x = np.arange(len(names))
    truth = [strategies[n]["kpis"]["delivered_ratio"] or 0 for n in names]
    reported = [strategies[n]["kpis"]["reported_delivered_ratio"] or 0 for n in names]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    ax.bar(x - 0.2, truth, 0.4, label="received by handsets (truth)", color="#2b8a3e")
    ax.bar(x + 0.2, reported, 0.4, label="reported DELIVRD (observed)", color="#adb5bd")
    ax.set_xticks(x, names)
    ax.set_ylim(min(min(truth), min(reported)) * 0.95, 1.0)
    ax.set_ylabel("share of messages")
    ax.set_title("Delivery: truth vs receipts")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _latency_figure(result: RunResult, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    for name in result.summary["strategies"]:
        outcome = message_outcomes(result.records(name, 1))
        delivered = outcome["delivered"].astype(bool)
        latency = np.sort((outcome["handset_s"] - outcome["created_s"])[delivered].astype(float))
        if latency.size:
            ax.plot(latency, np.arange(1, latency.size + 1) / latency.size, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("seconds from submission to handset (log)")
    ax.set_ylabel("share of delivered messages")
    ax.set_title("Latency CDF (replication 1)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _cost_figure(result: RunResult, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    for name, data in result.summary["strategies"].items():
        kpis = data["kpis"]
        ax.scatter(kpis["delivered_ratio"], kpis["cost_per_delivered"], s=60)
        ax.annotate(name, (kpis["delivered_ratio"], kpis["cost_per_delivered"]), fontsize=8,
                    xytext=(5, 5), textcoords="offset points")  # fmt: skip
    ax.set_xlabel("true delivered ratio")
    ax.set_ylabel("EUR per delivered message")
    ax.set_title("Cost against true delivery")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


FIGURES = {
    "delivery.png": _delivery_figure,
    "latency_cdf.png": _latency_figure,
    "cost_vs_delivery.png": _cost_figure,
}


def render_figures(result: RunResult, out_dir: Path) -> list[str]:
    """Write every figure into ``out_dir``; return their file names."""
    for name, draw in FIGURES.items():
        draw(result, out_dir / name)
    return list(FIGURES)

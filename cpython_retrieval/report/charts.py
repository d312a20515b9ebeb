"""PNG charts for the analyses a picture reads faster than a table (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


def score_by_tier(primary: dict, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for model, data in primary["models"].items():
        tiers = list(data["tiers"])
        acc = [data["tiers"][t]["accuracy"] for t in tiers]
        low = [a - data["tiers"][t]["ci_low"] for a, t in zip(acc, tiers)]
        high = [data["tiers"][t]["ci_high"] - a for a, t in zip(acc, tiers)]
        ax.errorbar(tiers, acc, yerr=[low, high], marker="o", capsize=4, label=model)
    ax.axhline(primary["threshold"], color="grey", linestyle=":", label=f"threshold {primary['threshold']:.2f}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tier (thousands of tokens)")
    ax.set_ylabel("accuracy (AST match), Wilson 95% CI")
    ax.legend(fontsize=8)
    return _save(fig, path)


def accuracy_by_type(by_type: dict, path: Path) -> Path:
    models = list(by_type)
    types = sorted({t for m in models for t in by_type[m]})
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(1, len(models))
    for i, model in enumerate(models):
        values = [by_type[model].get(t, {}).get("accuracy") for t in types]
        ax.bar(np.arange(len(types)) + i * width, [v if v is not None else 0 for v in values], width, label=model)
    ax.set_xticks(np.arange(len(types)) + width * (len(models) - 1) / 2, types, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=8)
    return _save(fig, path)


def depth_heatmap(model: str, grid: dict, path: Path) -> Path:
    tiers = list(grid)
    data = np.array([[np.nan if c["accuracy"] is None else c["accuracy"] for c in grid[t]] for t in tiers], dtype=float)
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(tiers) + 1.5))
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white")  # no rows in the cell: empty, not 0
    image = ax.imshow(np.ma.masked_invalid(data), vmin=0, vmax=1, cmap=cmap, aspect="auto")
    ax.set_xticks(range(10), [f"{d * 10}%" for d in range(10)], fontsize=8)
    ax.set_yticks(range(len(tiers)), tiers)
    ax.set_xlabel("answer depth (decile of the context)")
    ax.set_title(f"{model}: accuracy by depth and tier", fontsize=10)
    for (i, j), value in np.ndenumerate(data):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color="white" if value < 0.5 else "black")
    fig.colorbar(image, ax=ax)
    return _save(fig, path)


def perturbation(perturb: dict, path: Path) -> Path:
    models = list(perturb)
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = ["ordinary", "perturbed", "memorized answer"]
    width = 0.8 / 3
    for i, label in enumerate(labels):
        values = []
        for m in models:
            d = perturb[m]
            v = d["ordinary"]["accuracy"] if i == 0 else d["perturbed"]["accuracy"] if i == 1 else d["memorized_rate"]
            values.append(v if v is not None else 0)
        ax.bar(np.arange(len(models)) + i * width, values, width, label=label)
    ax.set_xticks(np.arange(len(models)) + width, models, rotation=20, ha="right", fontsize=7)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("rate")
    ax.legend(fontsize=8)
    return _save(fig, path)


def latency(serving: dict, path: Path) -> Path:
    models = list(serving)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    x = np.arange(len(models))
    for ax, metric in zip(axes, ("ttft", "latency")):
        for i, (phase, colour) in enumerate((("cold", "black"), ("warm", "dimgrey"))):
            stats = [serving[m]["phases"][phase][metric] for m in models]
            med = [np.nan if s["median"] is None else s["median"] for s in stats]  # unmeasured: no bar, not 0
            p90 = [np.nan if s["p90"] is None else s["p90"] for s in stats]
            ax.bar(x + i * 0.4, med, 0.4, label=f"{phase} median")
            ax.scatter(x + i * 0.4, p90, marker="_", s=250, color=colour, label=f"{phase} p90")
        for j, m in enumerate(models):
            if serving[m]["phases"]["cold"][metric]["median"] is None:
                ax.annotate("not measured", (j + 0.2, 0), ha="center", va="bottom", fontsize=7, rotation=90, xytext=(0, 3),
                            textcoords="offset points")
        ax.set_xticks(x + 0.2, models, rotation=20, ha="right", fontsize=7)
        ax.set_xlim(-0.5, len(models) - 0.1)
        ax.set_title("time to first token (s)" if metric == "ttft" else "total latency (s)", fontsize=10)
        ax.legend(fontsize=7)
    return _save(fig, path)


def cost_quality(costs: dict, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 4))
    for model, data in costs.items():
        if data:
            ax.scatter(data["per_trace_usd"], data["accuracy"], s=60)
            ax.annotate(model, (data["per_trace_usd"], data["accuracy"]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("cost per trace (USD, all calls of a row)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.05)
    return _save(fig, path)

"""PNG charts for the analyses a picture reads faster than a table (matplotlib, no display needed).

Every chart has a title and labelled axes; every rate has its 95% interval (clustered by context where a
cell holds several contexts, Wilson where it holds one); a line joins only tiers a model ran; legends sit
below the axes, never over data; a zero is drawn (a marker on the axis), not left as a missing bar;
a panel with nothing to show says so in words instead of drawing empty axes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..generate.contexts import sort_tiers  # noqa: E402
from .records import model_label  # noqa: E402

FAMILY_LABELS = {"single_needle": "single needle", "two_hop": "two-hop", "aggregation": "aggregation"}
RATE_LABEL = "rate (95% CI)"
ACCURACY_LABEL = "accuracy, AST match (95% CI)"


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


def _figure(title: str, ncols: int = 1, *, width: float = 7.0, height: float = 4.2):
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), layout="constrained", squeeze=False)
    fig.suptitle(title, fontsize=11)
    return fig, list(axes[0])


def _colours(models) -> dict[str, tuple]:
    """One colour per model, the same in every chart (sorted names, tab10)."""
    cmap = matplotlib.colormaps["tab10"]
    return {m: cmap(i % 10) for i, m in enumerate(sorted(models))}


def _legend_below(fig, handles, labels, ncol: int | None = None) -> None:
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol or min(len(labels), 3), fontsize=8, frameon=False)


def _note(ax, text: str, title: str | None = None) -> None:
    """A panel with no data: a short note instead of empty axes."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("lightgrey")
    if title:
        ax.set_title(title, fontsize=10)
    lines = "\n".join(textwrap.fill(part, 36) for part in text.split("\n"))
    ax.text(0.5, 0.5, lines, ha="center", va="center", fontsize=9, color="dimgrey", transform=ax.transAxes)


def _dodge(count: int, index: int, span: float = 0.6) -> float:
    return 0.0 if count <= 1 else -span / 2 + span * index / (count - 1)


def _interval(cell: dict | None) -> tuple[float, float, float] | None:
    """(value, minus, plus) of a proportion cell, or None when it has no rows."""
    if not cell or cell.get("accuracy") is None:
        return None
    value = cell["accuracy"]
    return value, value - cell["ci_low"], cell["ci_high"] - value


def _rate_points(ax, xs, cells, *, colour, marker="o", label=None, line=True) -> None:
    """Points with asymmetric error bars; cells without rows are skipped (not drawn as 0), and a line joins only
    neighbouring points: none is drawn across a tier the model did not run."""
    runs: list[list[tuple[float, tuple]]] = [[]]
    for x, cell in zip(xs, cells, strict=True):
        interval = _interval(cell)
        if interval is None:
            runs.append([])
        else:
            runs[-1].append((x, interval))
    for points in (r for r in runs if r):
        x = [p[0] for p in points]
        y = [p[1][0] for p in points]
        err = [[p[1][1] for p in points], [p[1][2] for p in points]]
        ax.errorbar(x, y, yerr=err, marker=marker, capsize=3, color=colour, linestyle="-" if line else "none",
                    label=label, markersize=5, linewidth=1.2)
        label = None


def _rate_bars(ax, xs, cells, width, *, colour, hatch=None) -> bool:
    """Bars with 95% error bars; a zero gets a marker on the axis so it reads as 0, a cell without rows gets 'n/a'.
    True when a zero was drawn (so the legend explains the marker)."""
    zero = False
    for x, cell in zip(xs, cells, strict=True):
        interval = _interval(cell)
        if interval is None:
            ax.text(x, 0.02, "n/a", ha="center", va="bottom", fontsize=6, color="dimgrey", rotation=90)
            continue
        value, minus, plus = interval
        ax.bar(x, value, width, color=colour, hatch=hatch, edgecolor="black", linewidth=0.4)
        ax.errorbar(x, value, yerr=[[minus], [plus]], color="black", capsize=2, linewidth=0.8)
        if value == 0:
            zero = True
            ax.plot(x, 0, marker="^", color=colour, markeredgecolor="black", markersize=6, clip_on=False, zorder=5)
    return zero


def _model_ticks(ax, x, models) -> None:
    """Model names under bars, split at `/` and rotated 40 degrees anchored at their end: long names never overlap."""
    labels = [model_label(m).replace("/", "/\n", 1) for m in models]
    ax.set_xticks(x, labels, rotation=40, ha="right", rotation_mode="anchor", fontsize=7)


def _tier_axis(ax, tiers) -> None:
    ax.set_xticks(range(len(tiers)), tiers)
    ax.set_xlim(-0.6, len(tiers) - 0.4)
    ax.set_xlabel("context tier (thousands of tokens)")


def headline(head: dict, path: Path) -> Path:
    """The study's question: how accuracy holds up as the context grows, and what each tier costs in money and time."""
    models = list(head["models"])
    colours = _colours(models)
    tiers = sort_tiers(t for m in models for t in head["models"][m]["tiers"])
    fig, (acc_ax, cost_ax, lat_ax) = _figure("Accuracy against context length, with cost and latency per tier", 3,
                                             width=13.5, height=4.6)
    for i, model in enumerate(models):
        cells = head["models"][model]["tiers"]
        xs = [j + _dodge(len(models), i, 0.3) for j in range(len(tiers))]
        _rate_points(acc_ax, xs, [cells.get(t) for t in tiers], colour=colours[model])
    acc_ax.axhline(head["threshold"], color="grey", linestyle=":", linewidth=1)
    acc_ax.text(len(tiers) - 0.45, head["threshold"], f"threshold {head['threshold']:.2f}", ha="right", va="bottom",
                fontsize=7, color="grey")
    acc_ax.set_ylim(-0.04, 1.04)
    acc_ax.set_ylabel(ACCURACY_LABEL)
    acc_ax.set_title("accuracy", fontsize=10)
    _tier_axis(acc_ax, tiers)

    _series_panel(cost_ax, models, tiers, colours, head, "cost_per_trace_usd", None, None,
                  title="cost per trace (all calls of a row)", ylabel="USD per row",
                  empty="cost not measured: no logged cost and no --prices entry for these models")
    _series_panel(lat_ax, models, tiers, colours, head, "cold_latency_median_s", "cold_latency_p25_s", "cold_latency_p75_s",
                  title="cold-call latency (median, bars: p25 to p75)", ylabel="seconds",
                  empty="latency not measured: these logs carry no per-call timing (lm-eval)")
    handles = [Line2D([], [], color=colours[m], marker="o", label=model_label(m)) for m in models]
    _legend_below(fig, handles, [model_label(m) for m in models])
    return _save(fig, path)


def _series_panel(ax, models, tiers, colours, head, key, low_key, high_key, *, title, ylabel, empty) -> None:
    missing = []
    drawn = False
    for i, model in enumerate(models):
        cells = head["models"][model]["tiers"]
        points = [(j + _dodge(len(models), i, 0.3), cells.get(t) or {}) for j, t in enumerate(tiers)]
        points = [(x, c) for x, c in points if c.get(key) is not None]
        if not points:
            missing.append(model)
            continue
        drawn = True
        x = [p[0] for p in points]
        y = [p[1][key] for p in points]
        if low_key:
            err = [[c[key] - c[low_key] for _, c in points], [c[high_key] - c[key] for _, c in points]]
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, color=colours[model], markersize=5, linewidth=1.2)
        else:
            ax.plot(x, y, marker="o", color=colours[model], markersize=5, linewidth=1.2)
    if not drawn:
        _note(ax, empty, title)
        return
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.25)  # headroom for the note and the top whisker
    _tier_axis(ax, tiers)
    if missing:
        ax.text(0.02, 0.98, textwrap.fill("not measured: " + ", ".join(missing), 60), transform=ax.transAxes, ha="left",
                va="top", fontsize=6.5, color="dimgrey")


def families(fam: dict, path: Path) -> Path:
    """Accuracy by question family and tier: one panel per family, a note where a family has no rows."""
    from ..question_types import FAMILIES

    models = list(fam["models"])
    colours = _colours(models)
    tiers = sort_tiers(t for m in models for f in fam["models"][m].values() for t in f["tiers"])
    fig, axes = _figure("Accuracy by question family and tier", len(FAMILIES), width=13.5, height=4.4)
    min_rows = fam.get("min_rows", 0)
    for ax, family in zip(axes, FAMILIES, strict=True):
        label = FAMILY_LABELS.get(family, family)
        if family not in fam["families"]:
            _note(ax, f"no {label} rows in these logs", label)
            continue
        drawn = few = False
        for i, model in enumerate(models):
            cells = (fam["models"][model].get(family) or {}).get("tiers", {})
            xs = [j + _dodge(len(models), i, 0.3) for j in range(len(tiers))]
            shown = [None if (cells.get(t) or {}).get("too_few_rows") else cells.get(t) for t in tiers]
            few |= any(c is None and cells.get(t) for c, t in zip(shown, tiers, strict=True))
            drawn |= any(c is not None for c in shown)
            _rate_points(ax, xs, shown, colour=colours[model])
        if not drawn:
            _note(ax, f"too few rows: fewer than {min_rows} {label} rows per tier and model in these logs", label)
            continue
        ax.axhline(fam["threshold"], color="grey", linestyle=":", linewidth=1)
        ax.set_ylim(-0.04, 1.04)
        ax.set_title(label, fontsize=10)
        ax.set_ylabel("accuracy (95% CI)")
        _tier_axis(ax, tiers)
        if few:
            ax.text(0.02, 0.02, f"cells under {min_rows} rows not drawn (too few rows)", transform=ax.transAxes,
                    fontsize=6.5, color="dimgrey")
    _legend_below(fig, [Line2D([], [], color=colours[m], marker="o") for m in models], [model_label(m) for m in models])
    return _save(fig, path)


def accuracy_by_type(by_type: dict, families_of: dict[str, str], path: Path) -> Path:
    """A dot plot: one row per question type (with its family), one dodged point per model, 95% intervals."""
    models = list(by_type)
    colours = _colours(models)
    types = list(dict.fromkeys(t for m in models for t in by_type[m]))
    fig, (ax,) = _figure("Accuracy by question type", width=8.5, height=1.8 + len(types) * max(0.3, 0.14 * len(models)))
    for i, model in enumerate(models):
        ys = [j + _dodge(len(models), i, 0.6) for j in range(len(types))]
        for y, qt in zip(ys, types, strict=True):
            cell = by_type[model].get(qt)
            if cell and cell.get("too_few_rows"):  # no estimate drawn: say so in the model's colour
                ax.text(0.01, y, f"too few rows (n={cell['n']})", fontsize=5.5, color=colours[model], va="center")
                continue
            interval = _interval(cell)
            if interval is None:
                continue
            value, minus, plus = interval
            ax.errorbar(value, y, xerr=[[minus], [plus]], marker="o", color=colours[model], capsize=2, markersize=4,
                        linewidth=1)
    ax.set_yticks(range(len(types)), [f"{t}\n({FAMILY_LABELS.get(families_of.get(t, ''), families_of.get(t, '?'))})"
                                      for t in types], fontsize=7)
    for j in range(len(types) - 1):
        ax.axhline(j + 0.5, color="0.85", linewidth=0.6)
    ax.set_ylim(len(types) - 0.5, -0.5)  # first type on top
    ax.set_xlim(-0.03, 1.03)
    ax.set_xlabel(ACCURACY_LABEL)
    ax.set_ylabel("question type (family)")
    ax.grid(axis="x", color="0.9")
    _legend_below(fig, [Line2D([], [], color=colours[m], marker="o") for m in models], [model_label(m) for m in models])
    return _save(fig, path)


def depth_heatmap(model: str, grid: dict, path: Path) -> Path:
    tiers = list(grid)
    data = np.array([[np.nan if c["accuracy"] is None else c["accuracy"] for c in grid[t]] for t in tiers], dtype=float)
    fig, (ax,) = _figure(f"{model}: accuracy by answer depth and tier", width=8, height=0.6 * len(tiers) + 2)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white")  # no rows in the cell: empty, not 0
    image = ax.imshow(np.ma.masked_invalid(data), vmin=0, vmax=1, cmap=cmap, aspect="auto")
    ax.set_xticks(range(10), [f"{d * 10}%" for d in range(10)], fontsize=8)
    ax.set_yticks(range(len(tiers)), tiers)
    ax.set_xlabel("answer depth (decile of the context; white: no rows)")
    ax.set_ylabel("context tier")
    for (i, j), value in np.ndenumerate(data):
        if not np.isnan(value):
            n = grid[tiers[i]][j]["n"]
            ax.text(j, i, f"{value:.2f}\nn={n}", ha="center", va="center", fontsize=6.5,
                    color="white" if value < 0.5 else "black")
    fig.colorbar(image, ax=ax, label="accuracy")
    return _save(fig, path)


CONTROL_SERIES = (("ordinary", "accuracy on ordinary rows", "#9e9e9e", None),
                  ("control", "accuracy on the control rows", "#1f77b4", None),
                  ("recalled", "answered the recalled fact (real stdlib / stale release)", "#d62728", "//"))


def controls(ctrl: dict, path: Path) -> Path:
    """Perturbed and drift rows side by side: does the model read the context or recall what it learned?"""
    models = list(ctrl)
    fig, axes = _figure("Anti-memorization controls: perturbed and drift rows", 2, width=12, height=4.8)
    panels = (("perturbed", "memorized", "perturbed rows (context edited)",
               "no perturbed rows in these logs (-T\u00a0perturbed=exclude, or a dataset without them)"),
              ("drift", "stale", "drift rows (fact changed since an older release)",
               "no drift rows in these logs (datasets before drift rows)"))
    width = 0.8 / len(CONTROL_SERIES)
    drawn = zeros = False
    for ax, (control, recalled, title, empty) in zip(axes, panels, strict=True):
        if not any(ctrl[m]["overall"][control]["n"] for m in models):
            _note(ax, empty, title)
            continue
        drawn = True
        x = np.arange(len(models))
        for i, (series, _, colour, hatch) in enumerate(CONTROL_SERIES):
            key = {"ordinary": "ordinary", "control": control, "recalled": recalled}[series]
            zeros |= _rate_bars(ax, x + (i - 1) * width, [ctrl[m]["overall"][key] for m in models], width, colour=colour,
                                hatch=hatch)
        _model_ticks(ax, x, models)
        ax.set_ylim(0, 1.05)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(RATE_LABEL)
        ax.set_xlabel("model")
    handles = [Patch(facecolor=c, edgecolor="black", hatch=h, label=label) for _, label, c, h in CONTROL_SERIES] if drawn else []
    if zeros:
        handles.append(Line2D([], [], marker="^", color="grey", markeredgecolor="black", linestyle="none", label="a rate of 0"))
    _legend_below(fig, handles, [h.get_label() for h in handles], ncol=2)
    return _save(fig, path)


def latency(serving: dict, path: Path) -> Path:
    models = list(serving)
    fig, axes = _figure("Serving: cold vs warm calls (bars: median, ticks: p90)", 2, width=11, height=4.8)
    x = np.arange(len(models))
    phases = (("cold", "#1f77b4", "black"), ("warm", "#ff7f0e", "dimgrey"))
    drawn: set[str] = set()  # legend entries only for what some panel shows
    for ax, metric, title in zip(axes, ("ttft", "latency"), ("time to first token", "total latency"), strict=True):
        if all(serving[m]["phases"][p][metric]["median"] is None for m in models for p, _, _ in phases):
            _note(ax, f"{title} not measured for any model here\n(no streamed calls: the provider gave no first-token time)"
                  if metric == "ttft" else f"{title} not measured for any model here", title)
            continue
        for i, (phase, colour, tick) in enumerate(phases):
            stats = [serving[m]["phases"][phase][metric] for m in models]
            if all(s["median"] is None for s in stats):
                continue
            drawn.add(phase)
            med = [np.nan if s["median"] is None else s["median"] for s in stats]  # unmeasured: no bar, not 0
            p90 = [np.nan if s["p90"] is None else s["p90"] for s in stats]
            ax.bar(x + (i - 0.5) * 0.4, med, 0.4, color=colour, edgecolor="black", linewidth=0.4)
            ax.scatter(x + (i - 0.5) * 0.4, p90, marker="_", s=250, color=tick)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.05)
        top = ax.get_ylim()[1]
        for j, m in enumerate(models):
            if serving[m]["phases"]["cold"][metric]["median"] is None and serving[m]["phases"]["warm"][metric]["median"] is None:
                ax.text(j, top * 0.02, "not measured", ha="center", va="bottom", fontsize=7, rotation=90, color="dimgrey")
        _model_ticks(ax, x, models)
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("seconds")
        ax.set_xlabel("model")
    handles = [Patch(facecolor=c, edgecolor="black", label=f"{p} median") for p, c, _ in phases if p in drawn]
    handles += [Line2D([], [], marker="_", color=t, linestyle="none", markersize=14, label=f"{p} p90")
                for p, _, t in phases if p in drawn]
    _legend_below(fig, handles, [h.get_label() for h in handles], ncol=4)
    return _save(fig, path)


def cost_quality(costs: dict, path: Path) -> Path:
    """Accuracy (95% interval) against cost per trace; models without a cost are named under the axes."""
    fig, (ax,) = _figure("Quality against cost", width=7, height=4.6)
    colours = _colours(costs)
    measured = {m: d for m, d in costs.items() if d}
    for model, data in measured.items():
        value, minus, plus = _interval(data["accuracy_ci"])
        ax.errorbar(data["per_trace_usd"], value, yerr=[[minus], [plus]], marker="o", capsize=3, color=colours[model])
        ax.annotate(model, (data["per_trace_usd"], value), fontsize=7, xytext=(5, 4), textcoords="offset points")
    ax.set_xlabel("cost per trace (USD, all calls of a row)")
    ax.set_ylabel(ACCURACY_LABEL)
    ax.set_ylim(-0.04, 1.08)
    ax.set_xlim(left=0, right=max(d["per_trace_usd"] for d in measured.values()) * 1.35 or 1)
    missing = sorted(m for m, d in costs.items() if not d)
    if missing:
        fig.text(0.5, 0.01, "cost not measured: " + ", ".join(missing), ha="center", va="bottom", fontsize=7, color="dimgrey",
                 wrap=True)
        fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    return _save(fig, path)

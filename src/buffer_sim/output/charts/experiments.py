"""The charts of the exploratory commands: a parameter sweep (``buffer-sim sweep``),
sensitivity indices (``buffer-sim sensitivity``) and PRIM's boxes (``buffer-sim
discover``). Each takes the command's tables and words, and writes one PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.output.charts.render import new_figure, write_png


def sweep_chart(table: pd.DataFrame, params: Sequence[tuple[str, Sequence[float]]],
                outcome: str, title: str, path) -> Path | None:
    """A line chart (one parameter) or a heat map (two) of an outcome; None for more.

    Args:
        table: one row per point: the parameters' columns, ``mean`` and the quantiles
            ``q05``, ``q25``, ``q50``, ``q75``, ``q95`` of the outcome.
        params: ``(parameter, values)`` swept, in the table's order.
        outcome: the outcome's name (the y axis, or the colour bar).
        title: the chart's title.
        path: the PNG to write (atomically).
    """
    if len(params) not in (1, 2):
        return None
    fig = new_figure((9, 6))
    ax = fig.subplots()
    if len(params) == 1:
        x = table[params[0][0]].to_numpy()
        ax.fill_between(x, table["q05"], table["q95"], color="#1f5a99", alpha=0.14, lw=0,
                        label="90% of runs")
        ax.fill_between(x, table["q25"], table["q75"], color="#1f5a99", alpha=0.32, lw=0,
                        label="50% of runs")
        ax.plot(x, table["q50"], color="#1f5a99", lw=1.2, ls="--", label="median")
        ax.plot(x, table["mean"], color="#c0392b", lw=1.8, marker="o", label="mean")
        ax.set_xlabel(params[0][0])
        ax.set_ylabel(outcome)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
    else:
        (p1, v1), (p2, v2) = params
        z = table["mean"].to_numpy().reshape(len(v1), len(v2))
        image = ax.imshow(z, origin="lower", aspect="auto", cmap="viridis")
        ax.set_yticks(range(len(v1)), [f"{v:g}" for v in v1])
        ax.set_xticks(range(len(v2)), [f"{v:g}" for v in v2])
        ax.set_ylabel(p1)
        ax.set_xlabel(p2)
        finite = z[np.isfinite(z)]
        middle = (finite.min() + finite.max()) / 2 if len(finite) else 0
        if z.size <= 150:
            for i in range(len(v1)):
                for j in range(len(v2)):
                    ax.text(j, i, f"{z[i, j]:.3g}", ha="center", va="center", fontsize=8,
                            color="white" if z[i, j] < middle else "black")
        fig.colorbar(image, ax=ax, label=f"mean {outcome}")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return write_png(fig, path)


def indices_chart(indices: pd.DataFrame, method: str, outcome: str, title: str, path,
                  conf_level: float = 0.95) -> Path:
    """Bars: Sobol' S1 and ST with confidence intervals, or Morris mu* (with its
    interval) and sigma.

    Args:
        indices: one row per parameter: ``parameter`` and ``S1``, ``ST`` (Sobol') or
            ``mu_star``, ``sigma`` (Morris), each optionally with ``<index>_conf``.
        method: ``"sobol"`` or ``"morris"``.
        outcome: the outcome analysed (Morris: the x axis).
        title: the chart's title.
        path: the PNG to write (atomically).
        conf_level: the confidence level of Sobol's intervals.
    """
    n = len(indices)
    fig = new_figure((9, 1.6 + 0.55 * max(n, 3)))
    ax = fig.subplots()
    y = np.arange(n)
    h = 0.38
    if method == "sobol":
        pairs = (("S1", "first order S1", "#1f5a99"), ("ST", "total order ST", "#c0392b"))
        xlabel = f"Sobol' index (bars: {conf_level:.0%} confidence interval)"
    else:
        pairs = (("mu_star", "mu* (mean |elementary effect|)", "#1f5a99"),
                 ("sigma", "sigma (interactions, non-linearity)", "#c0392b"))
        xlabel = f"{outcome} per full range of the parameter"
    for k, (key, label, colour) in enumerate(pairs):
        conf = indices.get(f"{key}_conf")
        ax.barh(y + (k - 0.5) * h, indices[key], height=h, color=colour, label=label,
                xerr=None if conf is None else conf, capsize=3, alpha=0.85)
    ax.set_yticks(y, indices["parameter"])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return write_png(fig, path)


#: Above this many parameters the box chart shows only the restricted ones.
PRIM_MAX_ROWS = 15


def prim_chart(trajectory: pd.DataFrame, limits: pd.DataFrame, box_id: int,
               coverage: float, density: float, title: str, path) -> Path:
    """Left: the peeling trajectory (density against coverage, the chosen box marked);
    right: the chosen box's limits on each parameter's declared range.

    Args:
        trajectory: one row per box of the peeling: ``coverage``, ``density``,
            ``res_dim`` (restricted dimensions).
        limits: the chosen box, one row per parameter: ``parameter``, ``low``,
            ``high``, ``declared_low``, ``declared_high``, ``restricted`` and, where
            known, ``significant`` (quasi-p below 0.05). With more than
            ``PRIM_MAX_ROWS`` parameters only the restricted ones are drawn.
        box_id, coverage, density: the chosen box's number and scores.
        title: the figure's title.
        path: the PNG to write (atomically).
    """
    t = trajectory
    significant = (limits["significant"] if "significant" in limits
                   else limits["restricted"]).astype(bool)
    lim = limits.assign(significant=significant & limits["restricted"])
    hidden = 0
    if len(lim) > PRIM_MAX_ROWS:
        # dozens of parameters: the restricted ones, the significant first
        shown = lim[lim["restricted"]]
        hidden = len(lim) - len(shown)
        lim = pd.concat([shown[shown["significant"]], shown[~shown["significant"]]])
    lim = lim.reset_index(drop=True)
    fig = new_figure((12.7, 5.2 + 0.2 * max(len(lim), 1)))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
    points = left.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=22,
                          zorder=3)
    left.plot(t["coverage"], t["density"], color="grey", lw=0.8, zorder=2)
    left.scatter([coverage], [density], s=160, facecolors="none", edgecolors="#c0392b",
                 lw=2, zorder=4, label=f"box {box_id}: coverage {coverage:.2f}, "
                                       f"density {density:.2f}")
    fig.colorbar(points, ax=left, label="restricted dimensions")
    left.set_xlabel("coverage")
    left.set_ylabel("density")
    left.set_xlim(-0.02, 1.02)
    left.set_ylim(-0.02, 1.02)
    left.grid(True, alpha=0.3)
    left.legend(fontsize=8, frameon=False, loc="lower left")
    left.set_title("Peeling trajectory", loc="left", fontsize=10)
    y = np.arange(len(lim))
    span = (lim["declared_high"] - lim["declared_low"]).to_numpy()
    lo = ((lim["low"] - lim["declared_low"]) / span).to_numpy()
    hi = ((lim["high"] - lim["declared_low"]) / span).to_numpy()
    right.barh(y, np.ones(len(lim)), color="#dddddd", height=0.5)
    right.barh(y, hi - lo, left=lo, height=0.5,
               color=["#1f5a99" if g else "#6f93c0" if r else "#9bb5d6"
                      for r, g in zip(lim["restricted"], lim["significant"])])
    for k, row in lim.iterrows():
        right.text(lo[k], y[k] - 0.32, f"{row['low']:.3g}", ha="center", fontsize=8)
        right.text(hi[k], y[k] - 0.32, f"{row['high']:.3g}", ha="center", fontsize=8)
        right.text(0, y[k] + 0.42, f"{row['declared_low']:g}", ha="left", fontsize=7, color="grey")
        right.text(1, y[k] + 0.42, f"{row['declared_high']:g}", ha="right", fontsize=7,
                   color="grey")
    right.set_yticks(y, [p + ("" if g else " (not significant)" if r else " (unrestricted)")
                         for p, r, g in zip(lim["parameter"], lim["restricted"],
                                            lim["significant"])])
    right.invert_yaxis()
    right.set_xlim(-0.05, 1.05)
    right.set_xlabel("share of the declared range" + (f"\n({hidden} unrestricted parameters "
                                                      "not shown)" if hidden else ""))
    right.set_title(f"Box {box_id} limits", loc="left", fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return write_png(fig, path)

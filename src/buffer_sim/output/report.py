"""report.html: one self-contained page per run and per comparison, for the classroom.

The page opens offline in any browser: the charts are embedded as base64 ``data:``
URIs, the style sheet is inline, there is no script and no external address. It holds
the charts, a table of key numbers (annual reported trade, peak enforcement and its
month, mean potential leverage against realized influence, lowest stability), the
decisions told as a story (Beijing's open, the other actors' folded in ``<details>``),
the events that fired and the provenance from the manifest.

The page is deterministic: the same run gives the same bytes.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.output.files import atomic_write_text
from buffer_sim.core.months import month_str
from buffer_sim.output.text import first_sentences
from buffer_sim.output.charts.series import METRICS

REPORT = "report.html"
#: what every scale and leverage measure means, in plain words (docs/glossary.md)
GLOSSARY_LINK = ('<p class="sub">What the numbers mean: <a href="'
                 + (Path(__file__).resolve().parents[3] / "docs" / "glossary.md").as_uri()
                 + '">the glossary</a> (docs/glossary.md in the project).</p>')

#: (file, title, caption) of the charts of a run's page.
RUN_CHARTS = (
    ("leverage.png", "Leverage: potential, applied, realized",
     "Potential leverage is the share of North Korea's economy a Chinese cut-off "
     "would take away; pressure applied is how much of it Beijing takes; realized "
     "influence is how much Pyongyang's choices change because of it (negative: "
     "pressure backfired), and potential influence how much they would change under "
     "a cut-off (the shaded gap)."),
    ("trade.png", "China–DPRK trade",
     "Monthly reported and informal flows, and annual sums against the observed "
     "values (markers)."),
    ("overview.png", "Overview: security, relations, instruments",
     "Tension, stability and the nuclear programme; the warmth of the five "
     "relationships; Beijing's and Washington's instruments with Pyongyang's tests."),
)
COMPARE_CHARTS = (
    ("compare.png", "The headline measures side by side",
     "One panel per measure, one colour per scenario; bounded measures on their whole "
     "range. All scenarios share the same random draws, so the differences come from the "
     "scenarios. Grey: the months outside the key numbers' window."),
    ("compare_difference.png", "Each scenario minus the reference",
     "The same panels as differences: above zero, the scenario is higher than the "
     "reference. Where shaded, 5-95% of the paired runs' differences."),
    ("leverage.png", "Leverage, all scenarios", "One panel per measure, colour = scenario; "
     "each legend entry names the measure and the scenario."),
    ("trade.png", "Trade, all scenarios", "Monthly flows, one panel each, and the annual "
     "sums against the observed values (white markers, shape = source)."),
    ("overview.png", "Overview, all scenarios", "Security, the warmth of the five "
     "relationships, the instruments and Pyongyang's tests, one panel each."),
)

ACTOR_ORDER = ("beijing", "pyongyang", "washington", "seoul")

def key_measures() -> list[tuple[str, str, str, int]]:
    """(column, words, unit, decimals) of the headline measures compared across
    scenarios: ``compare.HEADLINES`` with the charts' names (``charts.series.METRICS``)."""
    return [(column, *METRICS.get(column, (column.replace("_", " "), "")), digits)
            for column, digits in HEADLINES]


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222;
       line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: .2em; }
h3 { font-size: 1.05em; margin-bottom: .3em; }
.sub { color: #555; margin-top: 0; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #444; font-size: .92em; margin-top: .3em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n { white-space: nowrap; }
tr:nth-child(even) td { background: #f7f7f7; }
table.groups tr td { background: none; }
table.groups tbody:nth-of-type(even) td { background: #f7f7f7; }
details { margin: .6em 0; }
summary { cursor: pointer; font-weight: 600; }
.story p { margin: .5em 0 .7em 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
              font-size: .9em; word-break: break-all; }
.note { color: #555; font-size: .92em; }
nav a { margin-right: 1em; }
"""


# --- small pieces ------------------------------------------------------------------------------

def esc(text) -> str:
    return html.escape(str(text), quote=True)


#: The headline measures, (column, decimals in tables): the rows of the key numbers
#: (printed summary and report.html) and the panels of compare.png and
#: compare_difference.png, in this order (two panels a row). Their names and units
#: are ``charts.series.METRICS``'.
HEADLINES = (
    ("beijing_enforcement", 3), ("tension", 3),
    ("warmth_cn_dprk", 3), ("warmth_cn_rok", 3),
    ("cn_imports_reported", 1), ("cn_exports_reported", 1),
    ("informal_trade", 1), ("dprk_economy", 3),
    ("stability", 3), ("leverage_potential", 3),
    ("pressure_applied", 3), ("influence_realized", 3),
)
#: How the verdict is reached, in words (``--help``, the table notes).
NOISE_RULE = ("a difference is 'within the noise' when the 5-95% range of the N "
              "seed-by-seed differences (run i of a scenario minus run i of the reference, "
              "same seed) includes 0; 'beyond the noise' when it does not; 'no difference' "
              "when every run pair is identical over the window")



def data_uri(path) -> str:
    """A PNG file as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def figure(path, title: str, caption: str) -> str:
    path = Path(path)
    if not path.exists():
        return f'<p class="note">({esc(path.name)} was not drawn.)</p>'
    return (f'<figure><img src="{data_uri(path)}" alt="{esc(title)}">'
            f"<figcaption><b>{esc(title)}.</b> {esc(caption)} "
            f'<span class="note">({esc(path.name)})</span></figcaption></figure>')


def table(header: Sequence[str], rows: Iterable[Sequence], numeric: Sequence[bool] = ()) -> str:
    numeric = list(numeric) + [False] * (len(header) - len(numeric))
    head = "".join(f'<th class="n">{esc(h)}</th>' if n else f"<th>{esc(h)}</th>"
                   for h, n in zip(header, numeric))
    body = []
    for row in rows:
        cells = "".join(f'<td class="n">{esc(c)}</td>' if n else f"<td>{esc(c)}</td>"
                        for c, n in zip(row, numeric))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def fmt(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:,.{digits}f}"


def fmt_diff(x, digits: int = 2) -> str:
    """A signed difference with enough decimals to show it: a non-zero difference
    never reads "+0.00", a zero one reads "0"."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    if x == 0:
        return "0"
    text = f"{x:+,.{digits}f}"
    while float(text.replace(",", "")) == 0 and digits < 8:
        digits += 1
        text = f"{x:+,.{digits}f}"
    return text


def page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


# --- key numbers -------------------------------------------------------------------------------

def annual_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per calendar year: reported and informal trade (US$ million), mean enforcement,
    mean tension, China's share of DPRK trade and the months covered."""
    years = df["date"].astype(str).str.slice(0, 4).astype(int)
    sums = ["cn_exports_reported", "cn_imports_reported", "cn_exports_informal",
            "cn_imports_informal"]
    means = ["beijing_enforcement", "tension", "china_share"]
    g = df.assign(year=years).groupby("year")
    out = g[[c for c in sums if c in df.columns]].sum()
    out = out.join(g[[c for c in means if c in df.columns]].mean())
    out["months"] = g.size()
    return out.reset_index()


def _peak(df: pd.DataFrame, column: str, lowest: bool = False) -> tuple[float, str]:
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    i = int(np.nanargmin(values) if lowest else np.nanargmax(values))
    return float(values[i]), str(df["date"].iloc[i])


def key_numbers(df: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(measure, value, when/remark) rows: the run at a glance."""
    rows = []

    def has(*cols):
        return all(c in df.columns for c in cols)

    if has("beijing_enforcement"):
        v, m = _peak(df, "beijing_enforcement")
        rows.append(("Peak sanctions enforcement by Beijing (0..1)", fmt(v), f"first in {m}"))
    if has("leverage_potential", "pressure_applied", "influence_realized"):
        pot, app, real = (df[c].mean() for c in ("leverage_potential", "pressure_applied",
                                                 "influence_realized"))
        rows.append(("Mean potential leverage (share of the DPRK economy)", fmt(pot, 3),
                     "what China could take away"))
        rows.append(("Mean pressure applied (share of the DPRK economy)", fmt(app, 3),
                     "what it did take"))
        could = 0.0
        if has("influence_potential"):
            could = df["influence_potential"].mean()
            rows.append(("Mean potential influence (−1..1)", fmt(could, 3),
                         "what a cut-off would have bought"))
        rows.append(("Mean realized influence (−1..1)", fmt(real, 3),
                     "what it achieved" + (f": {real / could:.0%} of the potential influence"
                                           if could > 0 else "")))
        v, m = _peak(df, "influence_realized", lowest=True)
        if v < 0:
            rows.append(("Worst backfire of pressure (realized influence)", fmt(v, 3), m))
    if has("stability"):
        v, m = _peak(df, "stability", lowest=True)
        rows.append(("Lowest DPRK stability (0..1)", fmt(v, 3), m))
    if has("dprk_economy"):
        v, m = _peak(df, "dprk_economy", lowest=True)
        rows.append(("Lowest DPRK economy (index, 1 = 2009)", fmt(v, 3), m))
    if has("tension"):
        v, m = _peak(df, "tension")
        rows.append(("Highest tension (0..1)", fmt(v, 3), m))
    if has("nuclear"):
        rows.append(("Nuclear programme at the end (0..1)", fmt(float(df["nuclear"].iloc[-1]), 3),
                     str(df["date"].iloc[-1])))
    return rows


def _annual_html(df: pd.DataFrame) -> str:
    t = annual_table(df)
    rows = []
    for r in t.itertuples(index=False):
        r = r._asdict()
        year = f"{r['year']}" + ("" if r["months"] == 12 else f" ({r['months']} months)")
        rows.append([year, *(fmt(r.get(c), 0) for c in ("cn_exports_reported",
                                                           "cn_imports_reported",
                                                           "cn_exports_informal",
                                                           "cn_imports_informal")),
                     fmt(r.get("beijing_enforcement"), 2), fmt(r.get("tension"), 2),
                     f"{r['china_share']:.0%}" if "china_share" in r else "–"])
    header = ["year", "China exports, reported", "China imports, reported",
              "exports, informal", "imports, informal", "mean enforcement", "mean tension",
              "China's share of DPRK trade"]
    return (table(header, rows, numeric=[False] + [True] * 7)
            + '<p class="note">Trade in US$ million per year (sums of the monthly flows); '
              "enforcement and tension are yearly means (0..1).</p>")


# --- decisions and events --------------------------------------------------------------------

def _story(paragraphs: Sequence[str]) -> str:
    return '<div class="story">' + "".join(f"<p>{esc(p)}</p>" for p in paragraphs) + "</div>"


def decisions_html(result, open_actor: str = "beijing") -> str:
    """Every actor's decisions as a story; ``open_actor``'s shown, the others folded."""
    # lazy: explain imports the actors (Mesa); the CLI parsers import this module
    from buffer_sim.output import explain

    if getattr(getattr(result, "model", None), "decisions", None) is not None:
        table_ = explain.decision_table(result)
    else:  # no model at hand: the plain decisions table still tells the story
        table_ = result.decisions
    actors = [a for a in ACTOR_ORDER if a in set(table_["actor"])]
    actors += [a for a in explain.actors_in(table_) if a not in actors]
    parts = []
    for actor in actors:
        label = explain.actor_label(actor)
        story = _story(explain.narrate(table_, actor))
        if actor == open_actor:
            parts.append(f"<h3>{esc(label)}</h3>{story}")
        else:
            parts.append(f"<details><summary>{esc(label)}'s decisions</summary>{story}</details>")
    return "".join(parts)


def events_html(events: Sequence[tuple[str, str, str]]) -> str:
    if not events:
        return '<p class="note">No scheduled events fired.</p>'
    kinds = {"forced_action": "forced action", "resolution": "UN resolution",
             "administration": "new administration", "parameter_change": "parameter change",
             "diplomatic_shock": "diplomatic shock"}
    rows = [(date, label, kinds.get(kind, kind)) for date, label, kind in events]
    return (f"<details><summary>The {len(rows)} events that fired</summary>"
            f"{table(['month', 'event', 'kind'], rows)}</details>")


# --- provenance ---------------------------------------------------------------------------------

def _kv(rows: Sequence[tuple[str, str]], mono: Sequence[str] = ()) -> str:
    body = []
    for k, v in rows:
        cell = f'<span class="mono">{esc(v)}</span>' if k in mono else esc(v)
        body.append(f"<tr><th>{esc(k)}</th><td>{cell}</td></tr>")
    return f"<table><tbody>{''.join(body)}</tbody></table>"


def _outputs_html(manifest: Mapping) -> str:
    rows = [(o["file"], o["sha256"]) for o in manifest.get("outputs", [])]
    return (table(["file", "SHA-256"], rows)
            + '<p class="note">manifest.json in this folder records the same and the hash '
              "of this page.</p>")


def _versions(manifest: Mapping) -> str:
    return ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())


def run_provenance_html(manifest: Mapping) -> str:
    period = manifest.get("period", {})
    rows = [
        ("scenario", manifest.get("scenario", "")),
        ("scenario file", manifest.get("scenario_path", "")),
        ("files (extends)", " → ".join(manifest.get("scenario_files", []))),
        ("content hash", manifest.get("content_hash", "")),
        ("seed", manifest.get("seed", "")),
        ("period", f"{period.get('start', '')}..{period.get('end', '')} "
                   f"({period.get('months', '')} months)"),
        ("overrides (--set)", "; ".join(manifest.get("overrides", [])) or "none"),
        ("command line", manifest.get("command_line") or "(library call)"),
        ("versions", _versions(manifest)),
    ]
    return _kv(rows, mono=("scenario file", "files (extends)", "content hash", "command line"))\
        + _outputs_html(manifest)


# --- a run's page ----------------------------------------------------------------------------------

def run_report(result, folder, manifest: Mapping) -> str:
    """The HTML of a run's page; charts are read from ``folder``."""
    sc = result.scenario
    folder = Path(folder)
    df = result.timeseries
    title = f"{sc.name}: {month_str(sc.start)}..{month_str(sc.end)}, seed {sc.seed}"
    body = [f"<h1>{esc(sc.name)}</h1>",
            f'<p class="sub">{esc(month_str(sc.start))} to {esc(month_str(sc.end))} '
            f"({result.months} months), seed {esc(sc.seed)}"
            + (f"; overrides: {esc('; '.join(result.overrides))}" if result.overrides else "")
            + "</p>",
            '<nav><a href="#charts">Charts</a><a href="#numbers">Key numbers</a>'
            '<a href="#decisions">Decisions</a><a href="#events">Events</a>'
            '<a href="#provenance">Provenance</a></nav>', GLOSSARY_LINK]
    if sc.description:
        body.append(f"<p>{esc(sc.description)}</p>")
    body.append('<h2 id="charts">Charts</h2>')
    body += [figure(folder / f, t, c) for f, t, c in RUN_CHARTS]
    body.append('<h2 id="numbers">Key numbers</h2>')
    body.append(table(["measure", "value", "when / remark"], key_numbers(df),
                      numeric=[False, True, False]))
    body.append("<h3>Year by year</h3>" + _annual_html(df))
    body.append('<h2 id="decisions">Decisions and their reasons</h2>')
    body.append('<p class="note">Each paragraph is one change of policy: the months in which '
                "the actor moved the same instruments in the same direction for the same "
                "deciding priority, with the projected value and threshold of that priority. "
                "decisions.csv has every month.</p>")
    body.append(decisions_html(result))
    body.append('<h2 id="events">Events</h2>' + events_html(result.events))
    body.append('<h2 id="provenance">Provenance</h2>' + run_provenance_html(manifest))
    return page(title, "\n".join(body))


def write_run_report(result, folder, manifest: Mapping) -> Path:
    """Write ``folder/report.html`` for a run (called by ``runner.write_outputs``)."""
    path = Path(folder) / REPORT
    atomic_write_text(path, run_report(result, folder, manifest))
    return path


# --- a comparison's page ------------------------------------------------------------------------

def _scenarios_html(comparison, manifest: Mapping) -> str:
    rows = []
    for i, (label, result) in enumerate(comparison.results.items()):
        sc = result.scenario
        overrides = "; ".join(comparison.overrides.get(label, ())) or "none"
        rows.append((label + (" (reference)" if i == 0 else ""), Path(sc.path).name,
                     f"{month_str(sc.start)} to {month_str(sc.end)}", overrides,
                     first_sentences(sc.description) or "–"))
    return table(["scenario", "file", "period", "overrides (--set)", "about"], rows)


def compare_numbers_html(comparison) -> str:
    """Mean and final of the headline measures per scenario over the comparison's
    window, with the difference from the first scenario; with runs, the paired runs'
    median difference, its 5-95% range and the verdict.

    One row per measure and scenario (the measure spanning its scenarios' rows): the
    columns stay the same however many scenarios there are and however long their
    names, so the table keeps to the page's width.
    """
    diff = comparison.difference.set_index(["metric", "scenario"])
    labels = comparison.labels
    runs = getattr(comparison, "runs", None)
    window = getattr(comparison, "window", None)
    header = ["measure", "scenario", "mean", "Δ mean", "final", "Δ final"]
    if runs is not None:
        header += [f"Δ mean, {runs.count} runs: median [5%, 95%]", "verdict"]
    numeric = [False, False, True, True, True, True, True, False]
    groups = []
    for column, words, unit, digits in key_measures():
        if (column, labels[0]) not in diff.index:
            continue
        rows = []
        for i, label in enumerate(labels):
            r = diff.loc[(column, label)]
            cells = [label, fmt(r["mean"], digits),
                     "–" if i == 0 else fmt_diff(r["mean_diff"], digits),
                     fmt(r["final"], digits),
                     "–" if i == 0 else fmt_diff(r["final_diff"], digits)]
            if runs is not None:
                cells += ["–" if i == 0 else
                          f"{fmt_diff(r.get('runs_diff_median'), digits)} "
                          f"[{fmt_diff(r.get('runs_diff_q05'), digits)}, "
                          f"{fmt_diff(r.get('runs_diff_q95'), digits)}]",
                          r.get("verdict") if isinstance(r.get("verdict"), str) else "–"]
            tds = "".join(f'<td class="n">{esc(c)}</td>' if n else f"<td>{esc(c)}</td>"
                          for c, n in zip(cells, numeric[1:]))
            lead = (f'<td rowspan="{len(labels)}">{esc(words)}<br>'
                    f'<span class="note">{esc(unit)}</span></td>' if i == 0 else "")
            rows.append(f"<tr>{lead}{tds}</tr>")
        groups.append(f"<tbody>{''.join(rows)}</tbody>")
    head = "".join(f'<th class="n">{esc(h)}</th>' if n else f"<th>{esc(h)}</th>"
                   for h, n in zip(header, numeric))
    numbers = (f'<table class="groups"><thead><tr>{head}</tr></thead>{"".join(groups)}'
               "</table>")
    months = (f"over {esc(str(window))} ({esc(window.how)})" if window is not None
              else "over each scenario's period")
    note = (f'<p class="note">Means and finals over those months; Δ is the difference from '
            f"{esc(labels[0])}. difference.csv has every measure, with maxima and their "
            "months; <code>buffer-sim compare --from/--to</code> chooses other months.</p>")
    if runs is not None:
        note += (f'<p class="note">Each scenario also ran {runs.count} times, run i of '
                 f"each with the same seed. Verdict: {esc(NOISE_RULE)}.</p>")
    return f'<p class="note">Key numbers {months}.</p>' + numbers + note


def compare_provenance_html(manifest: Mapping) -> str:
    rows = [("comparison", manifest.get("comparison", "")),
            ("seed (all scenarios)", manifest.get("seed", "")),
            ("command line", manifest.get("command_line") or "(library call)"),
            ("versions", _versions(manifest))]
    sc_rows = [(s["label"], s["scenario_path"], s["content_hash"],
                "; ".join(s.get("overrides", [])) or "none")
               for s in manifest.get("scenarios", [])]
    return (_kv(rows, mono=("command line",))
            + table(["scenario", "file", "content hash", "overrides"], sc_rows)
            + _outputs_html(manifest))


def compare_report(comparison, folder, manifest: Mapping) -> str:
    """The HTML of a comparison's page; charts are read from ``folder``."""
    folder = Path(folder)
    labels = comparison.labels
    title = "Comparison: " + " vs ".join(labels)
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="sub">All scenarios ran with seed {esc(comparison.seed)} (common random '
            f"numbers); differences are measured from {esc(labels[0])}"
            + (f"; each scenario also ran {comparison.runs.count} times with paired seeds "
               "(the shaded bands, and the verdicts in the key numbers)"
               if getattr(comparison, "runs", None) is not None else "") + ".</p>",
            '<nav><a href="#scenarios">Scenarios</a><a href="#charts">Charts</a>'
            '<a href="#numbers">Key numbers</a><a href="#decisions">Beijing\'s decisions</a>'
            '<a href="#provenance">Provenance</a></nav>', GLOSSARY_LINK,
            '<h2 id="scenarios">Scenarios</h2>', _scenarios_html(comparison, manifest),
            '<h2 id="charts">Charts</h2>']
    body += [figure(folder / f, t, c) for f, t, c in COMPARE_CHARTS]
    body.append('<h2 id="numbers">Key numbers</h2>' + compare_numbers_html(comparison))
    body.append('<h2 id="decisions">Beijing\'s decisions in each scenario</h2>')
    # lazy: explain imports the actors (Mesa); the CLI parsers import this module
    from buffer_sim.output import explain

    for i, (label, result) in enumerate(comparison.results.items()):
        story = _story(explain.narrate(explain.decision_table(result), "beijing"))
        opened = " open" if i == 0 else ""
        body.append(f"<details{opened}><summary>{esc(label)}</summary>{story}</details>")
    body.append('<h2 id="provenance">Provenance</h2>' + compare_provenance_html(manifest))
    return page(title, "\n".join(body))


def write_compare_report(comparison, folder, manifest: Mapping) -> Path:
    """Write ``folder/report.html`` for a comparison."""
    path = Path(folder) / REPORT
    atomic_write_text(path, compare_report(comparison, folder, manifest))
    return path

"""The one series table: what every chart (and the web app) calls each measure and how it
draws it.

One ``Series`` per model column that a chart draws, and per measure the charts compute
from columns (the annual trade sums, the totals of a flow). Every chart module and
``buffer_sim.app`` read names, units, colours and dashes from here, so a label changed
here changes in every picture at once.

Pure data: no Matplotlib, so the command line and the report can name measures
without loading a plotting library.
"""

from __future__ import annotations

from dataclasses import dataclass

from buffer_sim.core import world


@dataclass(frozen=True)
class Series:
    """One measure as the charts show it.

    Attributes:
        column: the run's column (``annual:<series>``: the calendar-year sum of a trade
            flow, named like the ``series`` of observed data).
        title: the measure's name: panel title in multi-run charts, the report's and
            the command line's tables.
        unit: its unit or scale, the y axis label of its panel.
        color: its colour where variables share a panel (single-run charts, the app);
            None for measures drawn only one per panel, in the runs' colours.
        style: its line style in single-run charts and the app.
        label: its legend entry in single-run charts, with the unit where the axis does
            not give it ("" = ``title``).
        name: its short name in the legend entries of multi-run charts and of the app
            ("reported imports - replay_2009_2019"; "" = ``title``).
        observed: the ``series`` of observed annual trade (``scenario.observed``) it is
            compared with, or None.
        sum_of: for a measure computed from the run, the columns it adds up.
    """

    column: str
    title: str
    unit: str
    color: str | None = None
    style: str = "-"
    label: str = ""
    name: str = ""
    observed: str | None = None
    sum_of: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Blank label and name mean the title: most measures need only one name.
        if not self.label:
            object.__setattr__(self, "label", self.title)
        if not self.name:
            object.__setattr__(self, "name", self.title)


_EXPORTS, _IMPORTS, _TOTAL = "#1f77b4", "#ff7f0e", "#333333"
_PER_MONTH, _PER_YEAR = "US$ million per month", "US$ million per year"
_LEVEL, _INSTRUMENT, _WARMTH = "level 0..1", "instrument level 0..1", "−1 hostile .. 1 close"

#: Every charted measure, once: leverage, trade, the state of the world, relations,
#: instruments, then the annual sums.
TABLE: tuple[Series, ...] = (
    Series("leverage_potential", "potential leverage", _LEVEL, "#1f77b4",
           label="potential leverage (share of DPRK economy)"),
    Series("pressure_applied", "pressure applied", _LEVEL, "#ff7f0e",
           label="pressure applied (share of DPRK economy)"),
    Series("influence_realized", "realized influence", "−1..1 (< 0: backfired)", "#2ca02c",
           label="realized influence (−1..1; < 0: backfired)"),
    Series("influence_potential", "potential influence", "−1..1", "#2ca02c", ":",
           label="potential influence: what a cut-off would have bought (−1..1)"),
    Series("cn_exports_reported", "China exports to DPRK, reported", _PER_MONTH, _EXPORTS,
           name="reported exports", observed="cn_exports"),
    Series("cn_imports_reported", "China imports from DPRK, reported", _PER_MONTH, _IMPORTS,
           name="reported imports", observed="cn_imports"),
    Series("cn_exports_informal", "China exports to DPRK, informal", _PER_MONTH, _EXPORTS,
           "--", name="informal exports"),
    Series("cn_imports_informal", "China imports from DPRK, informal", _PER_MONTH, _IMPORTS,
           "--", name="informal imports"),
    Series("total_reported", "reported trade, both ways", _PER_MONTH, _TOTAL,
           name="total reported", observed="total",
           sum_of=("cn_exports_reported", "cn_imports_reported")),
    Series("informal_trade", "informal trade, both ways", _PER_MONTH, "#9467bd", "--",
           name="informal trade", sum_of=("cn_exports_informal", "cn_imports_informal")),
    Series("other_trade", "DPRK trade with other partners", _PER_MONTH),
    Series("china_share", "China's share of DPRK trade", "share 0..1"),
    Series("tension", "tension (war-risk proxy)", _LEVEL, "#d62728"),
    Series("stability", "DPRK stability", _LEVEL, "#2ca02c"),
    Series("nuclear", "nuclear programme", _LEVEL, "#9467bd"),
    Series("test_readiness", "readiness for the next major test", _LEVEL),
    Series("hostility", "hostility (memory of provocations)", _LEVEL),
    Series("dprk_economy", "DPRK economy", "index, 1 = reference", "#8c564b", "-.",
           label="DPRK economy (index, right axis)"),
    Series("sanctions_scope", "UN sanctions scope", "share of DPRK exports", "#7f7f7f", ":",
           label="UN sanctions scope (share)"),
    Series("customs_blocked", "DPRK exports stopped at Chinese customs", "share"),
    Series("warmth_cn_dprk", "warmth China–DPRK", _WARMTH, "#d62728", name="China–DPRK",
           label="China–DPRK"),
    Series("warmth_us_dprk", "warmth US–DPRK", _WARMTH, "#1f77b4", name="US–DPRK",
           label="US–DPRK"),
    Series("warmth_rok_dprk", "warmth ROK–DPRK", _WARMTH, "#17becf", name="ROK–DPRK",
           label="ROK–DPRK"),
    Series("warmth_cn_rok", "warmth China–ROK", _WARMTH, "#ff7f0e", name="China–ROK",
           label="China–ROK"),
    Series("warmth_cn_us", "warmth China–US", _WARMTH, "#9467bd", name="China–US",
           label="China–US"),
    Series("beijing_enforcement", "Beijing: sanctions enforcement", _INSTRUMENT, "#d62728"),
    Series("beijing_crackdown", "Beijing: crackdown on informal trade", _INSTRUMENT,
           "#8c564b"),
    Series("beijing_aid", "Beijing: supplies (crude oil, food)", _INSTRUMENT, "#2ca02c"),
    Series("beijing_engagement", "Beijing: engagement", _INSTRUMENT, "#1f77b4"),
    Series("pyongyang_provocation", "Pyongyang: provocation",
           "0 none, 1 missile, 2 nuclear/ICBM"),
    Series("pyongyang_outreach", "Pyongyang: outreach", _INSTRUMENT),
    Series("washington_pressure", "Washington: sanctions pressure", _INSTRUMENT, "#9467bd",
           "--"),
    Series("washington_military", "Washington: military signalling", _INSTRUMENT, "#8c564b",
           "--"),
    Series("washington_engagement", "Washington: engagement", _INSTRUMENT),
    Series("seoul_engagement", "Seoul: engagement with the DPRK", _INSTRUMENT),
    Series("seoul_alignment", "Seoul: alignment with the US", _INSTRUMENT),
    Series("seoul_china_ties", "Seoul: ties with China", _INSTRUMENT),
    # Calendar-year sums of reported trade, compared with the observed annual values.
    Series("annual:cn_exports", "China exports to DPRK, reported (crude oil until 2013, as "
           "customs): sum per year", _PER_YEAR, _EXPORTS, name="annual reported exports",
           label="model: China exports, reported", observed="cn_exports",
           sum_of=("cn_exports_reported",)),
    Series("annual:cn_imports", "China imports from DPRK, reported: sum per year", _PER_YEAR,
           _IMPORTS, name="annual reported imports", label="model: China imports, reported",
           observed="cn_imports", sum_of=("cn_imports_reported",)),
    Series("annual:total", "total reported trade: sum per year", _PER_YEAR, _TOTAL,
           name="annual reported trade", label="model: total reported trade",
           observed="total", sum_of=("cn_exports_reported", "cn_imports_reported")),
)
#: The table by column.
SERIES: dict[str, Series] = {s.column: s for s in TABLE}

#: The observed ``series`` of annual trade, in words ("observed China exports").
OBSERVED_NAMES = {"cn_exports": "China exports", "cn_imports": "China imports",
                  "total": "total trade"}

# --- which measures each chart draws --------------------------------------------------------

#: Beijing's leverage chart.
LEVERAGE = ("leverage_potential", "pressure_applied", "influence_potential",
            "influence_realized")
#: The trade chart: monthly flows, then the calendar-year sums against observed data.
TRADE_MONTHLY = ("cn_exports_reported", "cn_exports_informal", "cn_imports_reported",
                 "cn_imports_informal")
TRADE_ANNUAL = ("annual:cn_exports", "annual:cn_imports", "annual:total")
#: The overview: the state of the world (the economy on its own axis), relations,
#: instruments.
SECURITY = ("tension", "stability", "nuclear", "sanctions_scope")
ECONOMY = "dprk_economy"
WARMTH = ("warmth_cn_dprk", "warmth_us_dprk", "warmth_rok_dprk", "warmth_cn_rok",
          "warmth_cn_us")
INSTRUMENTS = ("beijing_enforcement", "beijing_crackdown", "beijing_aid", "beijing_engagement",
               "washington_pressure", "washington_military")

#: Colours of runs in multi-run charts. They skip the blue, orange and grey of the
#: trade series, so that coloured observed markers stay unambiguous in trade overlays.
RUN_COLORS = ("#2ca02c", "#d62728", "#9467bd", "#17becf", "#8c564b", "#e377c2",
              "#bcbd22", "#1f77b4", "#ff7f0e", "#7f7f7f")

#: Column -> (title, unit) of every measure of a model column or a total (not the annual
#: sums): the names the command line and the report give the measures.
METRICS: dict[str, tuple[str, str]] = {c: (s.title, s.unit) for c, s in SERIES.items()
                                       if not c.startswith("annual:")}


def series(column: str) -> Series:
    """The table's entry of ``column``, or one made from the column's name for a measure the
    table does not list yet (a new instrument still gets a panel)."""
    found = SERIES.get(column)
    if found is not None:
        return found
    return Series(column, column.replace("_", " "), "model units")


def value_limits(column: str) -> tuple[float, float] | None:
    """The whole range of a bounded measure, from the model's own tables.

    ``world.STATE_VARIABLES``, ``world.LEVERAGE_MEASURES`` and ``world.INSTRUMENTS``
    give each measure's range; a measure with both ends that is not an index has
    fixed axes (warmth -1..1, levels and shares 0..1, provocation 0..2).

    Returns:
        ``(low, high)``, or None for unbounded measures and indices.
    """
    spec = world.STATE_VARIABLES.get(column) or world.LEVERAGE_MEASURES.get(column)
    if spec is not None:
        unit, low, high = spec[:3]
        if high is None or low is None or unit.startswith("index"):
            return None
        return float(low), float(high)
    for actor, instruments in world.INSTRUMENTS.items():
        for name, (low, high, _) in instruments.items():
            if f"{actor}_{name}" == column:
                return float(low), float(high)
    return None

"""What each ensemble chart shows (``buffer-sim ensemble``; drawn by
``charts.ensemble.band_chart``): pure data, no Matplotlib, so that a process that
leaves the drawing to workers can name the charts without loading it."""

from __future__ import annotations

#: (file, title, panels); a panel is (heading, unit, [column, ...]).
BAND_CHARTS = (
    ("leverage.png", "Beijing's leverage", [
        ("Potential leverage", "0..1", ["leverage_potential"]),
        ("Pressure applied", "0..1", ["pressure_applied"]),
        ("Influence: a cut-off's (potential) and realized", "-1..1",
         ["influence_potential", "influence_realized"]),
    ]),
    ("trade.png", "China–DPRK trade", [
        ("Reported", "US$ million / month", ["cn_exports_reported", "cn_imports_reported"]),
        ("Informal", "US$ million / month", ["cn_exports_informal", "cn_imports_informal"]),
    ]),
    ("overview.png", "Overview", [
        ("Security", "0..1", ["tension", "nuclear"]),
        ("The DPRK", "index", ["stability", "dprk_economy"]),
        ("Beijing's instruments", "0..1", ["beijing_enforcement", "beijing_aid"]),
        ("Relations", "-1..1", ["warmth_cn_dprk", "warmth_us_dprk"]),
    ]),
)

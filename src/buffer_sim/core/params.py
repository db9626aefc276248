"""Named coefficients of the buffer_sim world.

Every number the transition function and the decision rules use lives here, with
its unit and the reason for its default value. Scenario files override any of them
under ``parameters:`` (``buffer-sim run --set parameters.NAME=VALUE`` on the command
line); ``buffer-sim params`` prints this table.

Sources are cited as "report §<section>" for Daniel Wertz, *China-North Korea
Relations* (NCNK), the report the model is built from, and by the observed data
files shipped in ``buffer_sim/data/observed`` where a default was read off them.
Defaults marked "calibrated" are fitted by ``buffer-sim calibrate`` and may be
replaced by the shipped calibration file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


def _p(default: float, unit: str, doc: str, lo: float = 0.0, hi: float = 1.0):
    """Declare one parameter with its unit, meaning and admissible range."""
    return field(default=default, metadata={"unit": unit, "doc": doc, "range": (lo, hi)})


@dataclass(frozen=True, slots=True)
class Parameters:
    """All coefficients of the world and of the actors' reasoning (see module doc)."""

    # --- how actors reason -------------------------------------------------
    lookahead_months: float = _p(
        6, "months",
        "Horizon of every actor's projection: half a year, long enough to see slow "
        "relationships move, short enough that a test's shock still shows.", 1, 24)
    tie_tolerance: float = _p(
        0.05, "share of a priority's scale",
        "Two candidates whose projected values differ by less than this share of the "
        "priority's scale are treated as equally good (satisficing, not optimising).", 0, 1)
    inertia: float = _p(
        6.0, "priority scales per unit of instrument change",
        "Cost of changing policy: bureaucracies do not reverse course monthly "
        "(report §Introduction: China 'reverted to a more friendly stance' only months "
        "after pressure). Among the moves that survive every priority's filter, a larger "
        "move must gain more on the last priority (1.5 of its scales per step of 0.25), so "
        "an actor that has to move moves the least it can. It does not keep an actor on "
        "course by itself: keeping course is chosen whenever it survives the filters.", 0, 100)
    least_gain: float = _p(
        0.2, "share of a priority's scale",
        "Least gain on an actor's last priority, when no option holds it and nothing above "
        "it has moved the actor, for which it turns an instrument: its least concern does "
        "not move policy for a sliver (Simon's satisficing: an aspiration not met is "
        "pursued when a step makes a difference). Invented: a fifth of what the "
        "priority's scale calls a meaningful difference, four times the tie tolerance; "
        "half to double in the robust replay.", 0, 5)
    instrument_step: float = _p(
        0.25, "instrument units per month",
        "Largest change of a continuous instrument in one month.", 0.01, 1)
    enforcement_commitment_months: float = _p(
        12, "months",
        "How long a raise of Beijing's visible enforcement stands before Beijing may lower "
        "it again. Visible enforcement is published (customs notices, commerce-ministry "
        "lists of banned goods, instructions to banks) and watched by the UN Panel of "
        "Experts and Washington: a published measure is not withdrawn within weeks, "
        "whereas tolerance of informal trade is never announced and eases quietly "
        "(report §The Rapid Return: local officials 'not proactively stopping' smuggling). "
        "Invented: a year; 0 lets Beijing lower it the next month.", 0, 36)
    enforcement_largest_raise: float = _p(
        0.5, "enforcement level per month",
        "Largest raise of Beijing's visible enforcement in one month. A visible measure is "
        "announced whole: a commerce-ministry notice bans a class of goods, a customs code "
        "is stopped at every post, banks are told to close a kind of account (see "
        "customs_full_enforcement), so Beijing can tighten by more than one instrument_step "
        "at once; lowering stays a step a month, and a raise stands "
        "(enforcement_commitment_months). Candidates raise by whole steps up to this. "
        "Invented: two steps; one step (0.25) is the rule every other instrument follows.",
        0.25, 1)

    # --- tension: the war-risk proxy ---------------------------------------
    tension_baseline: float = _p(
        0.2, "0..1", "Tension of the armistice status quo with no provocations and no signalling.")
    tension_relax_per_month: float = _p(
        0.12, "share per month",
        "Speed at which tension returns to its drivers' level (half-life about 5 months): "
        "crises on the peninsula fade over a season.")
    tension_jump_missile: float = _p(
        0.04, "0..1 per test", "Immediate tension added by a missile test or launch.")
    tension_jump_major: float = _p(
        0.12, "0..1 per test",
        "Immediate tension added by a nuclear test or an ICBM / satellite launch.")
    tension_failed_fraction: float = _p(
        0.5, "share", "Share of the jump a provocation that fails still produces.")
    tension_from_hostility: float = _p(
        0.3, "0..1 at hostility 1", "Tension sustained by a run of recent provocations.")
    tension_from_us_military: float = _p(
        0.45, "0..1 at full signalling",
        "Tension added by US military signalling (exercises, threats) — 2017's 'fire and "
        "fury' (report §The New Kim on the Block: 'trading threats and insults').")
    tension_damping_by_cn_enforcement: float = _p(
        0.5, "share",
        "Share of the tension from US signalling removed when Beijing enforces fully "
        "(visible enforcement and crackdown, weighed by ``tension_damping_share_crackdown``): "
        "Chinese enforcement gives Washington a non-military path (report: China acted "
        "'as tensions between the U.S. and North Korea peaked').")
    tension_from_rok_alignment: float = _p(
        0.05, "0..1 at full alignment", "Tension added by alliance posture (e.g. THAAD).")
    war_peak_weight: float = _p(
        0.5, "share",
        "Share of a crisis's projected peak, above the course of the standoff, that "
        "Beijing counts in its war risk (``war_danger``). Next door, a crisis is a danger "
        "while it lasts, not only where it is heading: China acted 'as tensions between "
        "the U.S. and North Korea peaked' (report §The New Kim on the Block). Invented: "
        "half-way between the course alone (0, as Washington reads its war risk) and the "
        "peak itself (1).")
    tension_damping_share_crackdown: float = _p(
        0.4, "share",
        "Share of the damping of US-driven tension that comes from Beijing's crackdown on "
        "informal trade; the rest comes from its visible enforcement. Less than half: "
        "Washington and the UN Panel of Experts see what customs let through, while "
        "tolerated smuggling is harder to see and to pin on Beijing (the reason that "
        "Washington's ties with Beijing weigh its customs more, ``warmth_cn_us_*``).")
    tension_relief_from_dialogue: float = _p(
        0.4, "0..1 at full dialogue",
        "Tension removed when Pyongyang's outreach meets US or ROK engagement (report "
        "§The Rapid Return: moratorium, summits, 'freeze-for-freeze').")

    # --- hostility: memory of recent provocations --------------------------
    hostility_decay_per_month: float = _p(
        0.12, "share per month", "Fading of the memory of provocations.")
    hostility_per_missile: float = _p(0.06, "0..1 per test", "Hostility added by a missile test.")
    hostility_per_major: float = _p(0.2, "0..1 per test", "Hostility added by a major test.")
    hostility_ends_talks: float = _p(
        0.2, "0..1",
        "Hostility (memory of recent tests) at which no talks can go on: one major test's "
        "worth. Below it, talks work in proportion to the calm (report §The Rapid Return: "
        "China's 2017 'freeze-for-freeze' proposal asked North Korea to 'halt missile and "
        "nuclear tests' as its half of talks). Whether Pyongyang stops testing is the "
        "model's output, not this number's source.",
        0.01, 1)

    # --- the nuclear programme -----------------------------------------------
    nuclear_base_progress_per_month: float = _p(
        0.0015, "0..1 per month", "Laboratory and production progress without tests.")
    nuclear_gain_missile: float = _p(0.012, "0..1 per test", "Progress from a successful missile test.")
    nuclear_gain_major: float = _p(
        0.05, "0..1 per test",
        "Progress from a successful nuclear or ICBM test: each is a large step of a programme "
        "that tests to learn (about a twentieth of the road from nothing to a deliverable "
        "arsenal), four times a missile test's.")
    procurement_drag: float = _p(
        0.3, "share",
        "Share of programme progress lost when procurement through China is fully "
        "stopped (report §Deep Engagement: networks in China procured components). "
        "What customs stop diverts to the informal routes Beijing tolerates as trade "
        "does (``informal_diversion``, ``informal_suppression``): stopping procurement "
        "takes the crackdown as well as customs.")
    freeze_effect: float = _p(
        0.8, "share", "Share of progress halted by a working dialogue (freeze-for-freeze).")
    nuclear_complete_level: float = _p(
        0.85, "0..1",
        "Programme level from which Pyongyang can credibly declare its nuclear force "
        "complete and put the economy first (report §The Rapid Return, note 68: "
        "'completing the state nuclear force', then 'economic development would now be the "
        "country's top priority'): most of the way to a deliverable arsenal, short of its "
        "end. It declares only when, past this level, the economy has also fallen over "
        "half a year as far as its survival threshold allows (agents/pyongyang.py).")
    security_from_resolve: float = _p(
        0.1, "programme units per unit of hostility",
        "What recent tests add to the deterrent as Pyongyang judges it: resolve shown, not "
        "only capability built (report §The New Kim on the Block: more tests 'as well as "
        "trading threats and insults with Donald Trump'). Invented: a major test (hostility "
        "0.2) shows resolve worth two-fifths of its programme gain (0.05).")
    deterrent_from_us_signalling: float = _p(
        0.2, "programme units per unit of US signalling",
        "How much more of a deterrent Pyongyang wants when US exercises and threats run high, "
        "and how much less when they stop: the security guarantees it asked for (report §The "
        "Rapid Return: the pledge 'to end war games' advanced the other half of "
        "'freeze-for-freeze').", 0, 1)
    readiness_regen_per_month: float = _p(
        0.3, "per month",
        "Mean monthly preparation of the next major test (a nuclear test or a long-range "
        "launch needs readiness 1): a new device or launcher in about three months at full "
        "pace. Missile tests draw on a separate programme (mobile launchers of the "
        "Strategic Force, not the test site or the long-range launch pad), so they do not "
        "use this preparation up: in 2016-2017 Pyongyang ran both at once (report §The New "
        "Kim on the Block: 'more nuclear and missile tests').")
    preparation_noise_sd: float = _p(
        0.5, "log-units per month",
        "How uncertain a month's preparation of the next major test is (a device, a "
        "launcher, a site: delays and rushes): the log of the month's progress relative to "
        "its mean is normal with this spread (mean progress unchanged), so half the months "
        "make between 0.7 and 1.4 times the mean and a major test is not on a timetable. "
        "Invented; Pyongyang plans on the mean.", 0, 2)
    p_success_missile: float = _p(0.85, "probability", "Chance that a missile test comes off.")
    p_success_major: float = _p(0.9, "probability", "Chance that a major test comes off.")

    # --- the DPRK economy and stability -------------------------------------
    econ_relax_per_month: float = _p(
        0.08, "share per month", "Speed at which the economy adjusts to its trade and aid.")
    econ_trade_elasticity: float = _p(
        0.2, "index per log-unit of relative trade",
        "Response of the DPRK economy index to the logarithm of foreign trade relative to "
        "its reference level (diminishing returns) "
        "(report §Deep Engagement: Chinese trade shaped the 'evolving economy').", 0, 2)
    econ_supply_elasticity: float = _p(
        0.15, "index per log-unit of relative supplies",
        "Response of the DPRK economy index to the logarithm of what it receives from China "
        "(crude oil, refined fuel, food, machinery: China's exports, reported and informal, "
        "plus concessional supplies) relative to ``supplies_reference_usd_m_month``. Fuel and "
        "food are what a cut-off would starve (report §Cold War Relations: the 1990s famine "
        "after Soviet supplies ended; §The New Kim: 'climbing fuel prices in North Korea').",
        0, 2)
    supplies_reference_usd_m_month: float = _p(
        190, "US$ million per month",
        "DPRK supplies from China at which the economy index is 1: about 2009's level (China's "
        "exports about US$1.9bn a year, observed data, plus crude oil and food aid at aid "
        "0.5).", 1, 1e5)
    aid_supplies_usd_m_month: float = _p(
        60, "US$ million per month at aid 1",
        "Value of crude oil through the Dandong-Sinuiju pipeline and food aid at Beijing's most "
        "generous setting: about 500,000 t of crude a year at 2009-2013 prices is US$25-35m a "
        "month, i.e. aid 0.5 (KOTRA's crude-oil estimate; observed data README). The main "
        "supply lever, and unreported in Chinese customs from 2014.", 0, 1e3)
    crude_share_of_aid_supplies: float = _p(
        0.8, "share",
        "Share of Beijing's concessional supplies that is crude oil through the pipeline "
        "(about 500,000 t a year); the rest is food.")
    crude_unreported_from_year: float = _p(
        2014, "calendar year",
        "First year Chinese customs no longer report crude-oil exports to the DPRK (KOTRA "
        "adds its own estimate from 2014; observed data README). Until then the crude is in "
        "China's reported exports (cn_exports_customs).", 2000, 2100)
    workers_usd_m_month: float = _p(
        20, "US$ million per month",
        "Earnings of DPRK workers abroad, mostly in China and Russia (estimates US$200-500m a "
        "year), cut as the UN bans (UNSCR 2397: repatriation) are enforced.", 0, 1e3)
    econ_provocation_cost: float = _p(
        0.01, "index per missile-equivalent", "Direct resource cost of a test.")
    major_test_cost_multiple: float = _p(
        3.0, "missile-equivalents per test",
        "What a nuclear test or an ICBM / satellite launch costs the economy relative to a "
        "missile test: a larger device, fissile material, a launch site.", 1, 10)
    earnings_reference_usd_m_month: float = _p(
        100, "US$ million per month",
        "DPRK export earnings at which the economy index is 1: about 2009's level (exports "
        "to China about US$0.8bn a year plus half of other trade; observed data).", 1, 1e5)
    tourism_usd_m_month: float = _p(
        15, "US$ million per month at CN-DPRK warmth 1",
        "Chinese tourism and other unsanctioned earnings that follow warm relations: 'since "
        "mid-2018, there has also been a surge of Chinese tourism' (report §The Rapid Return, "
        "note 76).", 0, 1e3)
    other_trade_export_share: float = _p(
        0.5, "share", "Share of the DPRK's non-China trade that is its exports (earnings).")
    import_demand_elasticity: float = _p(
        0.7, "elasticity",
        "Response of the DPRK's purchases from China to its economy index: it buys what it "
        "can pay for with what it earns.", 0, 3)
    stability_baseline: float = _p(
        0.66, "0..1", "Stability of the regime at economy index 1, with no shocks.")
    stability_from_economy: float = _p(
        1.0, "0..1 per index unit",
        "Stability gained or lost per unit of the economy index (famine of the 1990s: "
        "report §Recalibrating Relations).", 0, 5)
    stability_relax_per_month: float = _p(
        0.08, "share per month", "Speed at which stability follows the economy.")
    stability_from_tension: float = _p(
        0.1, "0..1 at tension 1", "Mobilisation strain of a war scare on the regime.")

    # --- trade -----------------------------------------------------------------
    trade_growth_base_per_month: float = _p(
        0.0, "share per month", "Trend growth of China-DPRK trade capacity.", -0.1, 0.1)
    trade_growth_from_warmth: float = _p(
        0.02, "share per month at warmth 1",
        "Growth of trade capacity from warm relations (investment, SEZs; report §Deep "
        "Engagement).", 0, 0.2)
    trade_growth_from_engagement: float = _p(
        0.008, "share per month at engagement 1",
        "Growth from Beijing's active promotion of border trade and infrastructure "
        "(Wen Jiabao's 2009 visit; report §Deep Engagement).", 0, 0.2)
    import_growth_premium_per_month: float = _p(
        0.015, "share per month at a full gap",
        "Extra growth of China's imports from the DPRK while they catch up with its exports "
        "to it, in proportion to the gap (1 - import capacity / export capacity, both "
        "volumes at the reference prices): Chinese investment in DPRK mines and the coal, "
        "textile and seafood export boom (report §China's Deep Engagement). A catch-up "
        "closes: the DPRK pays for what it buys with what it sells. Observed: exports 2.7x "
        "imports in 2008, 1.25x by 2013 (observed data). Default: 0.8% a month at the "
        "starting gap (about 0.55), a guess; calibrated.", -0.05, 0.2)
    import_growth_from_prices: float = _p(
        0.0, "share per month per unit of the mineral price index",
        "Response of the growth of China's imports from the DPRK to what its coal and iron "
        "ore fetch: the price index is coal and iron ore at the month's world prices over "
        "their reference prices (``coal_reference_usd_t``, ``iron_ore_reference_usd_t``), "
        "weighted by their export shares; at the reference prices it adds nothing. Chinese "
        "investment in DPRK mines followed the commodity boom and a mine is not extended at "
        "prices that do not pay for it (report §China's Deep Engagement: the mining sector "
        "'a particularly large target for Chinese investment'). Low prices stop new "
        "investment; they do not close mines already working (their capital is sunk, and "
        "coal sells while it covers running costs: DPRK coal tonnage to China rose from 11.8 "
        "to 16.5 Mt in 2012-2013 as the coal price fell; shipped data), so the premium "
        "never turns negative. Default 0 (no response), a guess; calibrated.", -0.1, 0.3)
    engagement_growth_realised: float = _p(
        1.0, "share",
        "Share of the engagement-driven growth that materialises: 1 while the border "
        "economic zones go ahead; the replay halves it when they are put on hiatus after "
        "Jang Song Thaek's purge (report §The New Kim on the Block, note 54).", 0, 1)
    coal_share_of_exports: float = _p(
        0.45, "share",
        "Coal's share of DPRK exports to China at the reference prices: 46-50% in 2011-2013 "
        "(US$1.13-1.37bn of US$2.4-2.9bn; shipped data dprk_coal_exports_to_china and "
        "trade_china_dprk).")
    iron_ore_share_of_exports: float = _p(
        0.12, "share",
        "Iron ore's share of DPRK exports to China at the reference prices: 16% in 2011, 8% in "
        "2014 (shipped data dprk_iron_ore_exports_to_china).")
    coal_reference_usd_t: float = _p(
        100.8, "US$/t",
        "Coal price at which export capacity is valued: the 2011-2013 mean of the World Bank "
        "Newcastle series, the years the shares are read from (shipped data).", 1, 1000)
    iron_ore_reference_usd_t: float = _p(
        143.9, "US$/t",
        "Iron-ore price at which export capacity is valued: the 2011-2013 mean of the World "
        "Bank 62% Fe CFR China series (shipped data).", 1, 1000)
    customs_block_rate: float = _p(
        0.8, "share per month",
        "Speed at which customs implement enforcement: a ban is an administrative notice to "
        "border posts, in force within days, so most of a gap closes within a month.")
    customs_full_enforcement: float = _p(
        0.75, "enforcement level",
        "Visible enforcement at which customs stop every banned good; beyond it, effort goes "
        "into banks and firms (a ban on a good is implemented whole: a customs code is "
        "stopped or it is not).",
        0.05, 1)
    customs_block_decay_per_month: float = _p(
        0.1, "share per month",
        "Speed at which bans the customs stop policing lapse at the border (half in about "
        "seven months): traders re-route through exemptions and local discretion, as the "
        "'generous interpretation of a livelihoods exemption' did in 2016 (report §The New "
        "Kim on the Block, note 62).")
    banned_capacity_loss_per_month: float = _p(
        0.02, "share of capacity per month at a full block",
        "Export capacity lost while its goods can be sold neither at customs nor through "
        "informal routes: idle mines flood, "
        "boats and machinery are sold, Chinese buyers find other suppliers (about a fifth a "
        "year at a full block). Hysteresis: trade does not spring back the month a ban eases.",
        0, 0.2)
    secondary_sanctions_reach: float = _p(
        0.3, "share",
        "Share of US pressure that reaches Chinese banks and firms directly (secondary "
        "sanctions; report: U.S.-led 'maximum pressure' on foreign business partners): "
        "firms that fear designation stop banned trade as customs would, and beyond "
        "``ordinary_us_pressure`` banks refuse the payments for any trade.")
    ordinary_us_pressure: float = _p(
        0.3, "0..1 (Washington's pressure)",
        "US pressure of ordinary times, Washington's starting instrument: designations of "
        "North Korean entities that leave Chinese banks alone. Pressure beyond it reaches "
        "the banks that pay for trade with the DPRK ('maximum pressure' against North "
        "Korea's foreign business partners, report §The New Kim on the Block), and "
        "``secondary_sanctions_reach`` of the excess stops reported trade of every kind, "
        "banned or not: a bank refuses the payment, whatever the good and whatever "
        "Beijing's customs do. Unrecorded trade (cash, barter, ship-to-ship) needs no "
        "bank.")
    informal_base_share: float = _p(
        0.08, "share of capacity", "Smuggling and barter present even without sanctions.")
    informal_diversion: float = _p(
        0.5, "share",
        "Share of trade blocked at customs that finds informal routes (ship-to-ship "
        "transfers, border smuggling) when not actively suppressed (report §The Rapid Return).")
    informal_suppression: float = _p(
        0.9, "share at full crackdown",
        "Share of informal trade stopped by a full crackdown on smuggling and ship-to-ship "
        "transfers (report §The New Kim on the Block: 'cracked down on cross-border "
        "smuggling').")
    informal_from_warmth: float = _p(
        0.5, "share per unit of CN-DPRK warmth",
        "Informal trade that local officials let through when relations are warm, and stop "
        "when Pyongyang has angered its patron: Beijing is 'not necessarily green-lighting "
        "such activities, [but] not proactively stopping them either' (report §The Rapid "
        "Return).", 0, 2)
    export_ban_share: float = _p(
        0.35, "share",
        "Share of the sanctions scope that applies to China's exports to the DPRK (luxury "
        "goods, refined-petroleum caps, machinery) rather than to DPRK exports.")
    trade_noise_sd: float = _p(
        0.06, "log-units per month", "Month-to-month noise in recorded and informal flows.", 0, 1)
    other_trade_base_usd_m_month: float = _p(
        60, "US$ million per month",
        "DPRK trade with partners other than China and South Korea, 2009 (about US$0.7bn a "
        "year: KOTRA total less China; observed data).", 0, 1e4)
    other_trade_sanction_compliance: float = _p(
        0.8, "share", "How fully other partners apply UN bans to their DPRK trade.")
    other_trade_relax_per_month: float = _p(0.1, "share per month", "Adjustment speed of other trade.")

    # --- deterrence: what Washington and Seoul weigh (the 'alliance' priority) -------
    deterrence_posture_base: float = _p(
        0.5, "0..1", "Deterrence of the alliance with no US signalling and no ROK alignment.")
    deterrence_posture_weight: float = _p(
        0.5, "posture per unit of signalling",
        "Deterrence added by US military signalling (exercises, threats).", 0, 2)
    deterrence_rok_weight: float = _p(
        0.5, "US-signalling units per unit of alignment",
        "ROK alliance posture (THAAD) as a share of what US signalling adds.", 0, 2)
    deterrence_threat_weight: float = _p(
        1.5, "posture per unit of nuclear^2 x hostility",
        "How much a growing arsenal wielded by a hostile regime erodes deterrence; squared "
        "in the programme's progress: ICBM tests (2017) alarm more than a demonstrator "
        "(report §The New Kim on the Block: 'fire and fury').", 0, 10)

    # --- leverage ---------------------------------------------------------------
    pressure_weight_enforcement: float = _p(
        0.4, "share",
        "Weight of visible enforcement in the share of its instruments Beijing uses (the "
        "crackdown on informal trade and cuts of supplies share the rest equally).")
    aid_normal: float = _p(
        0.5, "0..1", "Supplies Pyongyang regards as normal; less counts as a cut.")
    influence_weight_provocation: float = _p(
        0.7, "share", "Weight of provocation in realized influence (rest: outreach).")

    # --- warmth of the five relationships ------------------------------------------
    warmth_relax_per_month: float = _p(
        0.06, "share per month",
        "Speed at which relations move to their drivers' level: downturns 'never quite reach "
        "the breaking point' and are followed by 'a reversion to the mean' (report §Cold War).")
    warmth_mean_cn_dprk: float = _p(0.35, "-1..1", "'Lips and teeth': the long-run CN-DPRK level.", -1, 1)
    warmth_mean_us_dprk: float = _p(-0.55, "-1..1", "Long-run US-DPRK level.", -1, 1)
    warmth_mean_rok_dprk: float = _p(-0.2, "-1..1", "Long-run ROK-DPRK level.", -1, 1)
    warmth_mean_cn_rok: float = _p(0.3, "-1..1", "Long-run CN-ROK level (trade 40x CN-DPRK).", -1, 1)
    warmth_mean_cn_us: float = _p(0.1, "-1..1", "Long-run CN-US level.", -1, 1)
    warmth_cn_dprk_engagement: float = _p(0.5, "warmth per unit", "Beijing's visits and aid warm ties.", 0, 2)
    warmth_cn_dprk_outreach: float = _p(0.4, "warmth per unit", "Pyongyang's outreach warms ties.", 0, 2)
    warmth_cn_dprk_aid: float = _p(
        0.3, "warmth per unit above normal supplies",
        "Generous crude oil and food are the patron's token of friendship, cuts its "
        "displeasure (report §Cold War Relations: food aid in 1960; §Building New Bridges: "
        "Xi's promise to fund the bridge's last portions).", 0, 2)
    warmth_cn_dprk_enforcement: float = _p(
        0.3, "warmth per unit",
        "Visible enforcement chills ties (2017: KCNA broadsides at the 'big neighbor').", 0, 2)
    warmth_cn_dprk_crackdown: float = _p(
        0.3, "warmth per unit",
        "A crackdown on the border trade Pyongyang lives on chills ties too.", 0, 2)
    warmth_cn_dprk_hostility: float = _p(
        0.4, "warmth per unit", "Defiance of Beijing's wishes chills ties (Xi's 2012 letter).", 0, 2)
    warmth_us_dprk_engagement: float = _p(0.9, "warmth per unit", "US engagement met by outreach.", 0, 2)
    warmth_us_dprk_pressure: float = _p(0.25, "warmth per unit", "US pressure chills ties.", 0, 2)
    warmth_us_dprk_hostility: float = _p(0.4, "warmth per unit", "Provocations chill ties.", 0, 2)
    warmth_rok_dprk_engagement: float = _p(
        0.9, "warmth per unit", "Seoul's engagement met by outreach.", 0, 2)
    warmth_rok_dprk_hostility: float = _p(0.5, "warmth per unit", "Provocations chill ties.", 0, 2)
    warmth_cn_rok_ties: float = _p(
        0.5, "warmth per unit", "Seoul's courtship of Beijing (Park-Xi visits).", 0, 2)
    warmth_cn_rok_alignment: float = _p(
        0.7, "warmth per unit",
        "Alliance posture chills CN-ROK ties: THAAD 'quickly ended the diplomatic courtship' "
        "(report §The New Kim on the Block).", 0, 2)
    alignment_tolerated: float = _p(
        0.5, "0..1",
        "Seoul's alliance posture Beijing lives with; only alignment beyond it (THAAD) "
        "chills CN-ROK ties.")
    warmth_cn_us_enforcement: float = _p(
        0.2, "warmth per unit", "Visible Chinese enforcement pleases Washington.", 0, 2)
    warmth_cn_us_noncompliance: float = _p(
        0.7, "warmth per unit of banned trade let through",
        "Banned trade China visibly lets through (sanctions scope x (1 - visible "
        "enforcement)) is what the UN Panel of Experts and Washington report and complain "
        "about; the more the bans cover, the more lax customs cost Beijing's standing "
        "(report §China's Deep Engagement: the U.S. pressed China; §The New Kim on the Block: "
        "'maximum pressure' on North Korea's foreign business partners).", 0, 3)
    warmth_cn_us_informal: float = _p(
        0.1, "warmth per unit of informal trade tolerated",
        "Tolerated smuggling and ship-to-ship transfers are harder to see and to pin on "
        "Beijing than customs figures (report §The Rapid Return: 'not necessarily "
        "green-lighting such activities').", 0, 3)
    warmth_cn_us_pressure: float = _p(
        0.3, "warmth per unit", "US secondary sanctions on Chinese firms irritate Beijing.", 0, 2)
    breaking_point_cn_dprk: float = _p(
        -0.5, "-1..1", "CN-DPRK warmth below which the alliance would be broken (for "
        "diagnostics; nothing in the dynamics clips at it).", -1, 1)

    @classmethod
    def names(cls) -> list[str]:
        """All parameter names, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def describe(cls) -> list[dict]:
        """Name, default, unit, range and meaning of every parameter."""
        return [
            {"name": f.name, "default": f.default, **f.metadata}
            for f in dataclasses.fields(cls)
        ]

    def replace(self, **changes: float) -> "Parameters":
        """A copy with some coefficients changed."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.names()}


PARAMETER_RANGES = {f.name: f.metadata["range"] for f in dataclasses.fields(Parameters)}

"""The world of buffer_sim: a small state value object and a pure monthly transition.

Nothing here knows about Mesa, files or plots. ``transition`` is a pure function of
(state, actions, parameters, random draws, months); the Mesa model calls it once a
month with realised draws, and every actor calls it with *expected* draws to project
the consequences of its candidate choices (see ``decision.py``). The equations are
written once, on plain floats (``_month``), and compiled with Numba; a batch of
candidates runs them once per candidate.

The variables follow the report (Daniel Wertz, *China-North Korea Relations*, NCNK):

* ``tension`` — the war-risk proxy behind Beijing's first priority, "no war".
* ``stability`` — regime and social stability; its fall means refugees on the
  1,400 km border, Beijing's second priority ("no instability").
* ``nuclear`` — the programme Beijing ranks third ("no nuclear weapons").
* trade with China, split into *reported* (customs statistics) and *informal*
  (smuggling, ship-to-ship transfers), because "reported Chinese imports from North
  Korea declined precipitously" in 2017 while afterwards "smuggling and informal trade
  along the border appear to have largely resumed" (report §The Rapid Return).
* warmth of five relationships, each mean-reverting: downturns "never quite reach the
  breaking point" (report §Cold War Relations).

Units and ranges are in ``STATE_VARIABLES`` and ``INSTRUMENTS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from buffer_sim.core import jit
from buffer_sim.core.params import Parameters

#: name -> (unit, low, high, meaning). ``high`` None means unbounded.
STATE_VARIABLES: dict[str, tuple[str, float, float | None, str]] = {
    "tension": ("0..1", 0.0, 1.0, "military tension on the peninsula (war-risk proxy)"),
    "nuclear": ("0..1", 0.0, 1.0, "progress of the nuclear and ICBM programme (ratchets up)"),
    "nuclear_pace": ("0..1 per month", 0.0, 1.0, "recent pace of the programme (smoothed monthly progress)"),
    "test_readiness": ("0..1", 0.0, 1.0, "preparation of the next major test (1 = ready)"),
    "hostility": ("0..1", 0.0, 1.0, "memory of recent provocations"),
    "dprk_economy": ("index, 1 = reference", 0.0, 3.0, "DPRK economic activity"),
    "stability": ("0..1", 0.0, 1.0, "regime and social stability (1 - instability risk)"),
    "sanctions_scope": ("share", 0.0, 1.0, "share of DPRK exports covered by UN bans"),
    "sanctions_exempt": ("share", 0.0, 1.0, "share of DPRK exports within the bans that their "
                                            "exemptions (trade 'for livelihood purposes') "
                                            "leave to the enforcer's reading"),
    "customs_blocked": ("share", 0.0, 1.0, "share of DPRK exports to China actually stopped at customs"),
    "capacity_imports": ("US$ million/month", 0.0, None, "China's imports from the DPRK absent sanctions"),
    "capacity_exports": ("US$ million/month", 0.0, None, "China's exports to the DPRK absent sanctions"),
    "cn_exports_reported": ("US$ million/month", 0.0, None, "China's exports to the DPRK in customs data"),
    "cn_imports_reported": ("US$ million/month", 0.0, None, "China's imports from the DPRK in customs data"),
    "cn_exports_informal": ("US$ million/month", 0.0, None, "unrecorded exports (smuggling, ship-to-ship)"),
    "cn_imports_informal": ("US$ million/month", 0.0, None, "unrecorded imports (smuggling, ship-to-ship)"),
    "other_trade": ("US$ million/month", 0.0, None, "DPRK trade with partners other than China and ROK"),
    "warmth_cn_dprk": ("-1..1", -1.0, 1.0, "warmth of China-DPRK relations"),
    "warmth_us_dprk": ("-1..1", -1.0, 1.0, "warmth of US-DPRK relations"),
    "warmth_rok_dprk": ("-1..1", -1.0, 1.0, "warmth of inter-Korean relations"),
    "warmth_cn_rok": ("-1..1", -1.0, 1.0, "warmth of China-ROK relations"),
    "warmth_cn_us": ("-1..1", -1.0, 1.0, "warmth of China-US relations"),
    "coal_price": ("US$/t", 0.0, None, "world coal price (Newcastle): an input, set each month "
                                       "from the World Bank series or a scenario's prices"),
    "iron_ore_price": ("US$/t", 0.0, None, "world iron-ore price (62% Fe, CFR China): an input, "
                                           "like coal_price"),
}

#: actor -> instrument -> (low, high, meaning). Provocation is a level: 0 none,
#: 1 missile test, 2 nuclear test or ICBM / satellite launch.
INSTRUMENTS: dict[str, dict[str, tuple[float, float, str]]] = {
    "beijing": {
        "enforcement": (0.0, 1.0, "visible enforcement of UN sanctions: customs, banks "
                                  "(what shows in reported trade and what Washington and the "
                                  "UN Panel of Experts watch)"),
        "crackdown": (0.0, 1.0, "crackdown on informal trade: smuggling, ship-to-ship "
                                "transfers, fuel (1 - tolerance)"),
        "aid": (0.0, 1.0, "supplies: crude oil through the pipeline and food aid "
                          "(0.5 normal, 0 cut off)"),
        "engagement": (0.0, 1.0, "diplomatic warmth: visits, promotion of border trade"),
    },
    "pyongyang": {
        "provocation": (0.0, 2.0, "0 none, 1 missile test, 2 nuclear test or ICBM launch"),
        "outreach": (0.0, 1.0, "diplomatic outreach to Seoul, Washington and Beijing"),
    },
    "washington": {
        "pressure": (0.0, 1.0, "sanctions pressure incl. secondary sanctions on Chinese firms"),
        "military": (0.0, 1.0, "military signalling: exercises, threats"),
        "engagement": (0.0, 1.0, "diplomatic engagement: talks, summits"),
    },
    "seoul": {
        "engagement": (0.0, 1.0, "engagement with the North"),
        "alignment": (0.0, 1.0, "alliance posture (THAAD)"),
        "china_ties": (0.0, 1.0, "courtship of Beijing"),
    },
}

ACTION_FIELDS = [f"{actor}_{name}" for actor, ins in INSTRUMENTS.items() for name in ins]

#: name -> (unit, low, high, meaning) of the three leverage measures (report: potential
#: leverage "rarely translated into a commensurate level of influence").
LEVERAGE_MEASURES = {
    "leverage_potential": ("share of the DPRK economy per half-year", 0.0, 1.0,
                           "what Beijing could take away: the fall of the DPRK economy "
                           "(projected over the lookahead, stated per half-year) if it "
                           "enforced fully, cracked down and cut supplies, against "
                           "applying no pressure (counterfactual)"),
    "pressure_applied": ("share of the DPRK economy per half-year", 0.0, 1.0,
                         "what Beijing's actual policy takes away, on the same scale "
                         "(at most the potential)"),
    "influence_realized": ("-1..1", -1.0, 1.0,
                           "change in Pyongyang's choice caused by Beijing's pressure "
                           "(counterfactual; negative = backfire)"),
    "influence_potential": ("-1..1", -1.0, 1.0,
                            "change in Pyongyang's choice a cut-off would have caused, on "
                            "the same scale: what Beijing's full leverage could buy "
                            "(counterfactual)"),
}



#: a State field: a float, or an array of floats (one per run of a batch)
Value = float | np.ndarray


class State(NamedTuple):
    """The world in one month. Fields are floats, or equal-length arrays for a batch."""

    tension: Value
    nuclear: Value
    nuclear_pace: Value
    test_readiness: Value
    hostility: Value
    dprk_economy: Value
    stability: Value
    sanctions_scope: Value
    sanctions_exempt: Value
    customs_blocked: Value
    capacity_imports: Value
    capacity_exports: Value
    cn_exports_reported: Value
    cn_imports_reported: Value
    cn_exports_informal: Value
    cn_imports_informal: Value
    other_trade: Value
    warmth_cn_dprk: Value
    warmth_us_dprk: Value
    warmth_rok_dprk: Value
    warmth_cn_rok: Value
    warmth_cn_us: Value
    coal_price: Value
    iron_ore_price: Value

    def replace(self, **changes: Any) -> "State":
        """The same world with ``changes`` (field -> value); an unknown field is a
        ValueError, as for ``_replace``, which rebuilds every field through a dict
        (a month replaces twice: three times as long as this)."""
        values = list(self)
        try:
            for name, value in changes.items():
                values[_STATE_INDEX[name]] = value
        except KeyError:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}") from None
        return tuple.__new__(type(self), values)

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


_STATE_INDEX = {name: k for k, name in enumerate(State._fields)}


class Actions(NamedTuple):
    """Every actor's instruments for one month (floats, or arrays for a batch)."""

    beijing_enforcement: Any = 0.1
    beijing_crackdown: Any = 0.1
    beijing_aid: Any = 0.5
    beijing_engagement: Any = 0.5
    pyongyang_provocation: Any = 0.0
    pyongyang_outreach: Any = 0.2
    washington_pressure: Any = 0.3
    washington_military: Any = 0.3
    washington_engagement: Any = 0.2
    seoul_engagement: Any = 0.3
    seoul_alignment: Any = 0.5
    seoul_china_ties: Any = 0.5

    def replace(self, **changes: Any) -> "Actions":
        return self._replace(**changes)

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


#: What the actors' priorities measure in a projected world, besides its State fields
#: (``measures``): name -> meaning.
MEASURES = {
    "war_risk": "where the standoff is heading: the tension the postures sustain (US "
                "signalling as damped by Chinese pressure, the memory of provocations, "
                "alliance posture, dialogue), without the passing spikes of tests already "
                "made: the course of a confrontation, which an actor's instruments can "
                "change, not a spike it cannot undo. Washington judges its war risk so; "
                "Beijing, next door, counts part of the spike as well (``war_danger``)",
    "instrument_use": "share of its pressure instruments Beijing uses (``instrument_use``)",
    "deterrent": "the programme's level, plus the resolve recent tests showed "
                 "(``security_from_resolve`` x hostility: a finished programme still tests "
                 "to be believed), less the threat Pyongyang reads in US military "
                 "signalling (exercises, threats) beyond mid-range: what it wants "
                 "'security guarantees' for, and why the Singapore pledge 'to end war games' "
                 "met its 'half of Beijing's equation' (report §The Rapid Return)",
    "deterrent_unbargained": "the ``deterrent`` less the resolve outreach gives up "
                             "(``security_from_resolve`` x outreach) while the force is not "
                             "declared complete: talks then put the programme itself on the "
                             "table, as the 2018 'willingness to negotiate over the "
                             "denuclearization of the Korean Peninsula' did (report §The Rapid "
                             "Return); Kim met Xi only once he had declared it complete",
    "alignment_gap": "CN-DPRK warmth less US-DPRK warmth: how clearly Pyongyang stays closer "
                     "to Beijing than to Washington. The buffer is at risk when Pyongyang "
                     "warms to Washington, not when it quarrels with Beijing (report §The "
                     "Rapid Return: guarding against 'a North Korean strategic realignment "
                     "with Washington against Beijing')",
    "cn_us_course": "where CN-US relations are heading: the warmth Beijing's instruments "
                    "and Washington's pressure sustain. Relations move slowly (a season is "
                    "a third of the way), so a patron judging by where they will be in half "
                    "a year would ease customs one month and find itself censured the next",
    "stability_change": "projected stability less today's, per half-year (``RATE_MONTHS``)",
    "threat_growth": "the programme's pace over the lookahead (the mean of today's pace, "
                     "the record of recent tests that no instrument can undo, and the "
                     "pace projected at the horizon), as slowed by what is stopped of its "
                     "procurement (``procurement_drag``), weighted by the square of the "
                     "level the programme will have reached: a test series by a "
                     "demonstrator (2009) alarms far less than ICBM tests (2017), and a "
                     "moratorium (2018) meets 'its half of Beijing's equation' (report "
                     "§The Rapid Return) as the record of tests fades",
    "deterrence_balance": "alliance posture (US signalling, ROK alignment) less the threat "
                          "of a growing arsenal wielded by a hostile regime: why 2017's ICBM "
                          "tests produced 'fire and fury'",
    "autonomy": "1 - Beijing's instrument use x restraint (any test halves it) x the "
                "coolness of CN-DPRK relations as they stand (1 - warmth, when warm): "
                "restraint under a patron's pressure reads as 'flunkeyism', so the more "
                "pressure, the more a quiet month costs in autonomy (report §Introduction; "
                "the 2017 attacks on the 'big neighbor'); the same customs enforced by a "
                "patron that hosts Kim and praises 'the preciousness of the DPRK-PRC "
                "friendship' (report §The Rapid Return, 2018) read as obligation, not "
                "submission",
    "trade_ratio": "projected China-DPRK trade, reported and informal, relative to today's, "
                   "as a half-year's ratio (``RATE_MONTHS``)",
    "economy_ratio": "projected DPRK economy relative to today's, as a half-year's ratio "
                     "(``RATE_MONTHS``)",
    "war_danger": "the war risk as the neighbour reads it: the course of the standoff "
                  "(``war_risk``) plus ``war_peak_weight`` of the projected tension above "
                  "it. A crisis next door is a danger while it lasts, a test's spike "
                  "included: China acted 'as tensions between the U.S. and North Korea "
                  "peaked' (report §The New Kim on the Block)",
}

#: A projected world (``project``): every State field, then the ``MEASURES``.
#: (Built from the field names, which mypy cannot follow: it sees Projected as Any.)
Projected = NamedTuple("Projected", [(f, Any) for f in (*State._fields, *MEASURES)])  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class Shocks:
    """Random draws for one month. ``None`` fields mean "use the expectation"."""

    provocation_success: Any = None
    noise_exports_reported: Any = 0.0
    noise_imports_reported: Any = 0.0
    noise_exports_informal: Any = 0.0
    noise_imports_informal: Any = 0.0
    #: the month's preparation of the next major test relative to its mean
    #: (``readiness_regen_per_month``); 1 is the expectation
    preparation: Any = 1.0

    def draws(self) -> tuple[float, float, float, float, float, float]:
        """The draws as the equations take them: a provocation's success (-1 for "use
        the expected success"), the four trade noises, then the preparation factor."""
        success = -1.0 if self.provocation_success is None else float(self.provocation_success)
        return (success, float(self.noise_exports_reported), float(self.noise_imports_reported),
                float(self.noise_exports_informal), float(self.noise_imports_informal),
                float(self.preparation))


EXPECTED = Shocks()


def draw_shocks(test_rng: np.random.Generator, trade_rng: np.random.Generator,
                preparation_rng: np.random.Generator, params: Parameters, level: int,
                readiness: float, observed: bool | None = None) -> Shocks:
    """Realised draws for one month: whether a chosen test comes off, trade noise, how
    far the preparation of the next major test gets.

    Each source draws from its own stream, and draws every month whether or not it is
    used, so two runs that differ in one choice keep the same later draws. A test's
    ``observed`` outcome (a forced test's ``outcome``), where given, replaces its draw."""
    p_success = params.p_success_major if (level >= 2 and readiness >= 1) else params.p_success_missile
    u = test_rng.random()
    came_off = u < p_success if observed is None else observed
    success = float(came_off) if level >= 1 else 0.0
    n1, n2, n3, n4 = trade_rng.normal(0.0, params.trade_noise_sd, 4).tolist()
    # lognormal with mean 1: the spread changes how uneven preparation is, not its pace
    sd = params.preparation_noise_sd
    preparation = math.exp(sd * preparation_rng.standard_normal() - 0.5 * sd * sd)
    return Shocks(success, n1, n2, n3, n4, preparation)


# --- the equations ------------------------------------------------------------------
# They are written once (``_month``), for one world, and run in two forms with the
# same bits: compiled with Numba, once per candidate (a month's projection of a few
# dozen candidates then costs microseconds), or in Python with every instrument an
# array of candidates (each operation a numpy call; no compiler to load, which suits
# a single run). Compiled code reads the world, the instruments and the coefficients
# by name from structured arrays (records): Numba passes an array to compiled code
# far faster than a tuple or a numpy scalar.

_FLOATS = np.float64
STATE_DTYPE = np.dtype([(name, _FLOATS) for name in State._fields])
ACTIONS_DTYPE = np.dtype([(name, _FLOATS) for name in ACTION_FIELDS])
PARAMETERS_DTYPE = np.dtype([(name, _FLOATS) for name in Parameters.names()])
_records: dict[int, tuple[Parameters, np.ndarray]] = {}


def coefficients(params: Parameters) -> np.ndarray:
    """The parameters as a one-element structured array, the form the compiled
    equations read (by name, like the dataclass). Built once per Parameters object."""
    entry = _records.get(id(params))
    if entry is None or entry[0] is not params:
        if len(_records) >= 16:
            _records.clear()
        values = tuple(float(getattr(params, name)) for name in Parameters.names())
        entry = (params, np.array([values], dtype=PARAMETERS_DTYPE))
        _records[id(params)] = entry
    return entry[1]


_last_record: tuple = (None, None)


def as_record(state: State) -> np.ndarray:
    """A world (floats) as a one-element structured array (``STATE_DTYPE``). A month
    projects and then advances the same world: the last one is kept (as one tuple,
    read and replaced whole, so threads cannot mix two worlds)."""
    global _last_record
    last = _last_record
    if last[0] is not state:
        last = _last_record = (state, np.array([tuple(state)], dtype=STATE_DTYPE))
    return last[1]


def as_batch(actions: Actions) -> np.ndarray:
    """Actions (floats, or arrays for a batch) as a structured array (``ACTIONS_DTYPE``),
    one element per candidate."""
    if not _batched(actions):
        return np.array([tuple(actions)], dtype=ACTIONS_DTYPE)
    columns = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in actions))
    batch = np.empty(columns[0].size, dtype=ACTIONS_DTYPE)
    for name, column in zip(ACTION_FIELDS, columns):
        batch[name] = column.ravel()
    return batch


def batch_actions(batch: np.ndarray) -> Actions:
    """A structured batch as Actions of arrays (views of the same memory)."""
    return Actions(*batch.view(_FLOATS).reshape(len(batch), len(ACTION_FIELDS)).T)


# Elementwise helpers for the equations. In Python they take floats or arrays (numpy
# for a batch); compiled (``_compile``), they take floats.
def _clip(x, lo, hi):
    if isinstance(x, np.ndarray):
        return np.minimum(np.maximum(x, lo), hi)
    return lo if x < lo else hi if x > hi else x


def _max(x, y):
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.maximum(x, y)
    return max(x, y)


def _min(x, y):
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.minimum(x, y)
    return min(x, y)


def _if(condition, a, b):
    """``a`` where ``condition`` holds, else ``b``."""
    if isinstance(condition, np.ndarray):
        return np.where(condition, a, b)
    return a if condition else b


# Powers and logarithms of arrays go through the C library one element at a time, as
# compiled code does: numpy's vectorised versions may round the last bit differently,
# and the two forms of the equations must give the same bits.
def _log(x):
    if isinstance(x, np.ndarray):
        return np.array([math.log(v) for v in x.tolist()])
    return math.log(x)


def _pow(x, y):
    if isinstance(x, np.ndarray):
        return np.array([math.pow(v, y) for v in x.tolist()])
    return x ** y


def _relax(x, target, rate, months):
    """Where ``x`` is after ``months`` months of moving ``rate`` of the way to a
    constant ``target`` each month (the exact solution of the monthly relaxation)."""
    d = _pow(1.0 - rate, months)
    return target * (1.0 - d) + x * d


def _month(s, a, p, draws, months):
    """The world after ``months`` months under the instruments ``a``, and the highest
    tension on the way. ``transition`` and ``project`` are the public forms.

    A provocation is a one-off act at the start of the period; every other instrument
    acts at a monthly rate for the whole period. The world ``s`` is one world (floats);
    the instruments are floats, or arrays for a batch of candidates (then every
    result that depends on them is an array).

    Args:
        s: the world at the start (State, or a record of ``STATE_DTYPE``).
        a: every instrument (Actions, or a record of ``ACTIONS_DTYPE``).
        p: the coefficients (Parameters, or ``coefficients(params)[0]``).
        draws: ``Shocks.draws()``.
        months: length of the period.

    Returns:
        (the new State, the tension the postures sustain: ``war_risk``).
    """
    success = draws[0]
    expected = success < 0.0

    # --- provocation (one-off act) --------------------------------------------
    level = a.pyongyang_provocation
    major = _if(level >= 2.0, 1.0 if s.test_readiness >= 1.0 else 0.0, 0.0)
    # missiles are a programme of their own: they need no major test's preparation
    missile = _if(level >= 1.0, 1.0, 0.0) * (1.0 - major)
    if expected:
        ok_major = major * p.p_success_major
        ok_missile = missile * p.p_success_missile
    else:
        ok_major = major * success
        ok_missile = missile * success
    fail = p.tension_failed_fraction
    jump = (p.tension_jump_major * (ok_major + fail * (major - ok_major))
            + p.tension_jump_missile * (ok_missile + fail * (missile - ok_missile)))
    hdecay = 1.0 - p.hostility_decay_per_month
    hostility = _clip(s.hostility * hdecay ** months
                      + (p.hostility_per_major * major + p.hostility_per_missile * missile)
                      * hdecay ** (months - 1), 0.0, 1.0)
    readiness = _clip(s.test_readiness * (1.0 - major)
                      + p.readiness_regen_per_month * months * draws[5], 0.0, 1.0)
    gain = p.nuclear_gain_major * ok_major + p.nuclear_gain_missile * ok_missile
    econ_cost = p.econ_provocation_cost * (missile + p.major_test_cost_multiple * major)
    lag = (1.0 - p.tension_relax_per_month) ** (months - 1)
    enf = a.beijing_enforcement
    # Enforcement felt by DPRK trade: Beijing's own plus US secondary sanctions.
    eff_enf = eff_enforcement(a, p)

    # --- tension ---------------------------------------------------------------
    # Talks need calm: recent provocations (hostility over the period) poison them, so
    # outreach while testing buys no relief, and a test ends the talks it would need
    # (report §The Rapid Return: China's 2017 'freeze-for-freeze' asked North Korea to
    # 'halt missile and nuclear tests' as its half of talks).
    calm = _clip(1.0 - 0.5 * (s.hostility + hostility) * (1.0 / p.hostility_ends_talks),
                 0.0, 1.0)
    dialogue = a.pyongyang_outreach * _max(a.washington_engagement, a.seoul_engagement) * calm
    tension_target = _clip(
        p.tension_baseline
        + p.tension_from_hostility * s.hostility
        + p.tension_from_us_military * a.washington_military
        * (1.0 - p.tension_damping_by_cn_enforcement
           * ((1.0 - p.tension_damping_share_crackdown) * enf
              + p.tension_damping_share_crackdown * a.beijing_crackdown))
        + p.tension_from_rok_alignment * a.seoul_alignment
        - p.tension_relief_from_dialogue * dialogue, 0.0, 1.0)
    tension = _clip(_relax(s.tension, tension_target, p.tension_relax_per_month, months)
                    + jump * lag, 0.0, 1.0)

    # --- nuclear programme ----------------------------------------------------------
    engaged = a.pyongyang_outreach * a.washington_engagement * calm
    freeze = 1.0 - p.freeze_effect * engaged
    progress = ((p.nuclear_base_progress_per_month * months) * freeze + gain) * (
        1.0 - p.procurement_drag * procurement_stopped(a, p))
    nuclear = _clip(s.nuclear + progress, 0.0, 1.0)
    # The pace observers extrapolate: monthly progress smoothed over the memory of
    # provocations (a series of tests, not a single one, is what alarms Beijing).
    pdecay = (1.0 - p.hostility_decay_per_month) ** months
    pace = _clip(s.nuclear_pace * pdecay + progress * ((1.0 - pdecay) / months), 0.0, 1.0)

    # --- warmth: five relationships move towards targets set by the instruments ------
    # (before trade: warm relations carry tourism and tolerated border trade)
    # A target is centred on its long-run mean at mid-range instruments (0.5): the
    # "- 0.5 * weight" terms, so that a weight moves the target, not the mean.
    h = s.hostility
    crack = a.beijing_crackdown
    share = 1.0 - (1.0 - p.warmth_relax_per_month) ** months
    warm_cn_dprk = _warm(s.warmth_cn_dprk, share,
                         (p.warmth_mean_cn_dprk
                          - 0.5 * (p.warmth_cn_dprk_engagement + p.warmth_cn_dprk_outreach)
                          - p.warmth_cn_dprk_hostility * h)
                         + p.warmth_cn_dprk_engagement * a.beijing_engagement
                         + p.warmth_cn_dprk_outreach * a.pyongyang_outreach
                         + p.warmth_cn_dprk_aid * (a.beijing_aid - p.aid_normal)
                         - p.warmth_cn_dprk_enforcement * enf
                         - p.warmth_cn_dprk_crackdown * crack)
    warm_us_dprk = _warm(s.warmth_us_dprk, share,
                         (p.warmth_mean_us_dprk - p.warmth_us_dprk_hostility * h)
                         + p.warmth_us_dprk_engagement * engaged
                         - p.warmth_us_dprk_pressure * a.washington_pressure)
    warm_rok_dprk = _warm(s.warmth_rok_dprk, share,
                          (p.warmth_mean_rok_dprk - p.warmth_rok_dprk_hostility * h)
                          + p.warmth_rok_dprk_engagement
                          * (a.seoul_engagement * a.pyongyang_outreach))
    # Beijing answers Seoul's courtship only while Seoul stays within the alliance
    # posture it tolerates: THAAD "quickly ended the diplomatic courtship" (report §The
    # New Kim on the Block), and further courting then buys nothing.
    excess = _max(a.seoul_alignment - p.alignment_tolerated, 0.0)
    reciprocity = 1.0 - _min(excess * (1.0 / _max(1.0 - p.alignment_tolerated, 1e-9)), 1.0)
    warm_cn_rok = _warm(s.warmth_cn_rok, share,
                        (p.warmth_mean_cn_rok - 0.5 * p.warmth_cn_rok_ties)
                        + p.warmth_cn_rok_ties * a.seoul_china_ties * reciprocity
                        - p.warmth_cn_rok_alignment * excess)
    # Washington and the UN Panel of Experts see what customs let through of the banned
    # trade; tolerated smuggling is harder to see and to pin on Beijing. What a
    # resolution's exemption covers is the enforcer's to read: letting it through is
    # no breach anyone can pin on Beijing (report §The New Kim on the Block: "Beijing's
    # generous interpretation of a 'livelihoods' exemption to the coal ban"), while
    # customs stop it as strictly as Beijing enforces (the block below).
    cn_us_target = _clip(p.warmth_mean_cn_us + p.warmth_cn_us_enforcement * enf
                         - p.warmth_cn_us_noncompliance * (1.0 - enf)
                         * _max(s.sanctions_scope - s.sanctions_exempt, 0.0)
                         - p.warmth_cn_us_informal * (1.0 - crack) * s.sanctions_scope
                         - p.warmth_cn_us_pressure * (a.washington_pressure * (1.0 - enf)),
                         -1.0, 1.0)
    warm_cn_us = _warm(s.warmth_cn_us, share, cn_us_target)
    # Relations over the period, as trade and tourism feel them.
    warm_path = 0.5 * (s.warmth_cn_dprk + warm_cn_dprk)

    # --- trade: capacity, customs, reported and informal flows -----------------------
    growth = (p.trade_growth_base_per_month + p.trade_growth_from_warmth * s.warmth_cn_dprk
              + (p.trade_growth_from_engagement * p.engagement_growth_realised)
              * a.beijing_engagement)
    block_target = s.sanctions_scope * _min(eff_enf * (1.0 / p.customs_full_enforcement), 1.0)
    # Customs tighten at one rate and relax at another.
    block_rate = _if(block_target > s.customs_blocked, p.customs_block_rate,
                     p.customs_block_decay_per_month)
    blocked = _relax(s.customs_blocked, block_target, block_rate, months)
    blocked_x = p.export_ban_share * blocked
    let_through = (1.0 - p.informal_suppression * crack) * _max(
        1.0 + p.informal_from_warmth * warm_path, 0.0)
    # Nobody invests in what the UN has banned: capacity grows only in the share of
    # trade outside the bans (mines stop expanding once coal and ore are listed), and
    # what can be sold neither at customs nor through informal routes withers (the
    # block over the period: its average).
    block_path = 0.5 * (s.customs_blocked + blocked)
    unsold = block_path * (1.0 - _min(p.informal_diversion * let_through, 1.0))
    # China's imports from the DPRK grew faster than its exports to it while the DPRK's
    # mines, workshops and fisheries caught up with what it bought from China (coal,
    # textiles and seafood 'began to boom'; report §China's Deep Engagement): the
    # premium is in proportion to the gap between the two capacities (both volumes at
    # reference prices), and closes with it. Chinese investment in the mines follows
    # what coal and ore fetch: a mine is not opened or extended at prices that do not
    # pay for it (ibid.: the mining sector 'a particularly large target for Chinese
    # investment'; §The New Kim on the Block: Xiyang Group's iron mine), while mines
    # already open keep working at low prices (sunk capital; coal tonnage to China rose
    # in 2012-2013 as the price fell: shipped data dprk_coal_exports_to_china): low
    # prices stop the premium, they do not reverse it. World prices are inputs.
    gap = _max(1.0 - s.capacity_imports / _max(s.capacity_exports, 1e-9), 0.0)
    premium = _max(p.import_growth_premium_per_month * gap
                   + p.import_growth_from_prices * (mineral_price_index(s, p) - 1.0), 0.0)
    cap_m = s.capacity_imports * _pow(1.0 + (growth + premium)
                                      * (1.0 - s.sanctions_scope)
                                      - p.banned_capacity_loss_per_month * unsold, months)
    cap_x_trend = s.capacity_exports * _pow(1.0 + growth * (1.0 - p.export_ban_share
                                                            * s.sanctions_scope)
                                            - p.banned_capacity_loss_per_month
                                            * p.export_ban_share * unsold, months)
    value = export_value(s, p)
    # Secondary sanctions beyond ordinary pressure reach the banks: a refused payment
    # stops reported trade whatever the good and whatever Beijing's customs do, so
    # Washington's reach does not vanish when Beijing enforces fully.
    finance = 1.0 - p.secondary_sanctions_reach * _max(
        a.washington_pressure - p.ordinary_us_pressure, 0.0)
    imports_reported = cap_m * value * (1.0 - blocked) * finance * math.exp(draws[2])
    # What the DPRK can buy depends on what it earns: demand follows its economy.
    cap_x = cap_x_trend * s.dprk_economy ** p.import_demand_elasticity
    exports_reported = cap_x * (1.0 - blocked_x) * finance * math.exp(draws[1])
    imports_informal = (cap_m * value * (p.informal_base_share + p.informal_diversion * blocked)
                        * let_through * math.exp(draws[4]))
    exports_informal = (cap_x * (p.informal_base_share + p.informal_diversion * blocked_x)
                        * let_through * math.exp(draws[3]))
    other_target = p.other_trade_base_usd_m_month * (1.0 - p.other_trade_sanction_compliance
                                                     * s.sanctions_scope)
    other = _relax(s.other_trade, other_target, p.other_trade_relax_per_month, months)

    # --- economy and stability (after trade: earnings and supplies drive the economy) --
    # What the DPRK earns (exports, tourism, workers abroad) and what it receives from
    # China (its purchases, reported and informal, and crude oil and food on
    # concessional terms): the projection sees how each Chinese instrument reaches the
    # economy, so pressure has bite and carries risk.
    earnings = (imports_reported + imports_informal
                + (p.other_trade_export_share * other
                   + p.tourism_usd_m_month * _max(warm_path, 0.0))
                + p.workers_usd_m_month * (1.0 - eff_enf * s.sanctions_scope))
    supplies = exports_reported + exports_informal + p.aid_supplies_usd_m_month * a.beijing_aid
    econ_target = (1.0 + p.econ_trade_elasticity
                   * _log(_max(earnings, 1e-6) * (1.0 / p.earnings_reference_usd_m_month))
                   + p.econ_supply_elasticity
                   * _log(_max(supplies, 1e-6) * (1.0 / p.supplies_reference_usd_m_month)))
    economy = _clip(_relax(s.dprk_economy, econ_target, p.econ_relax_per_month, months)
                    - econ_cost, 0.0, 3.0)
    stab_target = ((p.stability_baseline - p.stability_from_economy)
                   + p.stability_from_economy * economy - p.stability_from_tension * tension)
    stability = _clip(_relax(s.stability, _clip(stab_target, 0.0, 1.0),
                             p.stability_relax_per_month, months), 0.0, 1.0)

    new = State(tension, nuclear, pace, readiness, hostility, economy, stability,
                s.sanctions_scope, s.sanctions_exempt, blocked, cap_m, cap_x_trend,
                exports_reported, imports_reported, exports_informal, imports_informal, other,
                warm_cn_dprk, warm_us_dprk, warm_rok_dprk, warm_cn_rok, warm_cn_us,
                s.coal_price, s.iron_ore_price)
    return new, (tension_target, cn_us_target)


def eff_enforcement(a, p):
    """Enforcement felt by DPRK trade and procurement: Beijing's own visible
    enforcement plus what US secondary sanctions reach of the rest."""
    enf = a.beijing_enforcement
    return enf + p.secondary_sanctions_reach * a.washington_pressure * (1.0 - enf)


def procurement_stopped(a, p):
    """Share of the programme's procurement through China that is stopped: what customs
    and secondary sanctions stop, less what diverts to the informal routes Beijing
    tolerates, as blocked trade does (ship-to-ship transfers and smuggling carry
    components as well as coal)."""
    return eff_enforcement(a, p) * (1.0 - _min(p.informal_diversion * (
        1.0 - p.informal_suppression * a.beijing_crackdown), 1.0))


def mineral_price_index(s, p):
    """Coal and iron ore at the month's world prices over their reference prices,
    weighted by their shares of DPRK exports to China (1 at the reference prices)."""
    minerals = p.coal_share_of_exports + p.iron_ore_share_of_exports
    if minerals <= 0.0:
        return 1.0
    return ((p.coal_share_of_exports * (s.coal_price * (1.0 / p.coal_reference_usd_t))
             + p.iron_ore_share_of_exports
             * (s.iron_ore_price * (1.0 / p.iron_ore_reference_usd_t))) * (1.0 / minerals))


def export_value(s, p):
    """What a unit of DPRK export capacity fetches this month (1 at the reference prices).

    The DPRK sells coal and iron ore at world prices: capacity is a volume (valued at
    the reference prices), what China pays moves with the prices of the month, and
    actors expect today's prices to last (report §The New Kim on the Block: 'selling
    coal and other precious underground resources at random'). The rest of the
    exports sell at their own prices (never a negative share)."""
    return (_max(1.0 - p.coal_share_of_exports - p.iron_ore_share_of_exports, 0.0)
            + p.coal_share_of_exports * (s.coal_price * (1.0 / p.coal_reference_usd_t))
            + p.iron_ore_share_of_exports
            * (s.iron_ore_price * (1.0 / p.iron_ore_reference_usd_t)))


def _warm(x, share, target):
    """A warmth moved ``share`` of the way to its target (both within -1..1): downturns
    "never quite reach the breaking point" (report §Cold War Relations)."""
    return _clip(x + share * (_clip(target, -1.0, 1.0) - x), -1.0, 1.0)


#: Months over which the rate-type measures (changes, ratios) are stated.
RATE_MONTHS = 6.0


def _month_rows(state, batch, params, draws, months, out):
    """``_month`` for every candidate of ``batch`` from the one world ``state[0]``: a
    column of ``out`` per candidate, rows in ``Projected`` order. This loop is what
    ``_compile`` compiles."""
    s = state[0]
    p = params[0]
    for j in range(batch.shape[0]):
        a = batch[j]
        new, heading = _month(s, a, p, draws, months)
        for k in range(len(new)):
            out[k, j] = new[k]
        extra = measures(s, new, a, p, heading[0], heading[1], months)
        for k in range(len(extra)):
            out[len(new) + k, j] = extra[k]


def _scalar_helpers() -> None:
    """Compiled, the elementwise helpers take floats."""
    from numba.extending import overload

    @overload(_clip)
    def _(x, lo, hi):
        return lambda x, lo, hi: lo if x < lo else hi if x > hi else x

    @overload(_max)
    def _(x, y):
        return lambda x, y: max(x, y)

    @overload(_min)
    def _(x, y):
        return lambda x, y: min(x, y)

    @overload(_if)
    def _(condition, a, b):
        return lambda condition, a, b: a if condition else b

    @overload(_log)
    def _(x):
        return lambda x: math.log(x)

    @overload(_pow)
    def _(x, y):
        return lambda x, y: x ** y


def _compile():
    """``_month_rows`` compiled (``jit.compiled``). Compiled code reads the world, the
    instruments and the coefficients by name from records (structured arrays), which
    Numba passes to compiled code far faster than tuples or numpy scalars."""
    return jit.compiled(_month_rows, setup=_scalar_helpers,
                        jitable=(_relax, _month, _warm, measures, china_trade,
                                 instrument_use, eff_enforcement, procurement_stopped,
                                 mineral_price_index, export_value))


def warm_up() -> None:
    """Load (or compile) the compiled equations now, with the argument types a month
    passes them."""
    if jit.available():
        state = State(*[0.5] * len(State._fields))
        project_batch(state, as_batch(Actions()), Parameters(), EXPECTED, 6.0, compiled=True)


def project_batch(state: State, batch: np.ndarray, params: Parameters,
                  shocks: Shocks = EXPECTED, months: float = 1, compiled: bool = True
                  ) -> np.ndarray:
    """The world after ``months`` months for each candidate of ``batch``.

    Args:
        state: one world (floats).
        batch: candidates, a structured array of ``ACTIONS_DTYPE`` (``as_batch``).
        params, shocks, months: as for ``transition``.
        compiled: run the compiled equations (fast once loaded), else the same
            equations on numpy arrays (no start-up cost). Both give the same bits.

    Returns:
        (len(Projected._fields), candidates): a row per field of ``Projected``.
    """
    if compiled and jit.available():
        out = np.empty((len(Projected._fields), batch.shape[0]))
        _compile()(as_record(state), batch, coefficients(params), shocks.draws(),
                   float(months), out)
        return out
    a = batch_actions(batch)
    new, heading = _month(state, a, params, shocks.draws(), float(months))
    return np.array(np.broadcast_arrays(*new, *measures(state, new, a, params, heading[0],
                                                          heading[1], float(months))))


def _batched(actions: Actions) -> bool:
    return any(isinstance(v, np.ndarray) for v in actions)


def transition(state: State, actions: Actions, params: Parameters,
               shocks: Shocks = EXPECTED, months: float = 1, compiled: bool = True) -> State:
    """Advance the world by ``months`` months under constant instruments.

    A provocation is a one-off act at the start of the period; every other instrument
    acts at a monthly rate for the whole period. Relaxation terms use the exact
    solution for constant drivers, so a projection over ``months`` months is the same
    model as ``months`` monthly steps with the provocation in the first.

    Args:
        state: the world at the start of the period (floats).
        actions: every actor's instruments: floats, or arrays (a batch of candidates).
        params: the coefficients.
        shocks: random draws; the default uses their expectations (for lookahead).
        months: length of the period.
        compiled: run the compiled equations (``project_batch``), else the same
            equations on numpy arrays, or on plain floats for one setting.

    Returns:
        The world at the end of the period (arrays where the actions are).
    """
    batched = _batched(actions)
    if not batched and not compiled:
        new, _ = _month(state, actions, params, shocks.draws(), float(months))
        return State(*map(float, new))
    out = project_batch(state, as_batch(actions), params, shocks, months, compiled)
    out = out[:len(State._fields)]
    return State(*out) if batched else State(*out[:, 0].tolist())


def project(state: State, actions: Actions, params: Parameters, months: float,
            compiled: bool = True) -> Projected:
    """``transition`` with expected draws, plus the war risk and the
    leverage measures (arrays, one element per candidate)."""
    return Projected(*project_batch(state, as_batch(actions), params, EXPECTED, months,
                                    compiled))


def china_trade(state: State):
    """All China-DPRK trade, reported and informal, US$ million per month."""
    return (state.cn_exports_reported + state.cn_imports_reported
            + state.cn_exports_informal + state.cn_imports_informal)


def instrument_use(actions: Actions, params: Parameters):
    """The share of its pressure instruments Beijing uses (0..1): visible enforcement,
    the crackdown on informal trade, and cuts of supplies below normal. What Pyongyang
    sees of its patron's pressure (``autonomy``)."""
    aid_cut = _max(params.aid_normal - actions.beijing_aid, 0.0) / max(params.aid_normal, 1e-9)
    w = params.pressure_weight_enforcement
    return (w * actions.beijing_enforcement
            + (0.5 * (1.0 - w)) * (actions.beijing_crackdown + aid_cut))


#: Beijing's instruments in the two counterfactuals of every month: "cut" uses every
#: lever at once (potential leverage and potential influence), "free" applies no
#: pressure (realized influence).
CUT_OFF = {"beijing_enforcement": 1.0, "beijing_crackdown": 1.0, "beijing_aid": 0.0}


def no_pressure(actions: Actions, params: Parameters) -> dict[str, float]:
    """Beijing's instruments had it applied no pressure: no enforcement, no crackdown,
    supplies at least normal."""
    return {"beijing_enforcement": 0.0, "beijing_crackdown": 0.0,
            "beijing_aid": max(float(actions.beijing_aid), params.aid_normal)}


def leverage(economy_free: float, economy_cut: float, economy_chosen: float,
             months: float = RATE_MONTHS) -> tuple[float, float]:
    """Potential leverage and applied pressure from three projections of the DPRK
    economy (same world, same lookahead): Beijing applying no pressure, cutting
    everything, and doing what it chose.

    Hirschman's asymmetric dependence, measured by what a cut-off would do rather than
    by trade shares: potential is the share of the economy Beijing could take away;
    pressure applied is the share its actual policy takes away (at most the potential).
    The report's starting point: leverage "has rarely translated into a commensurate
    level of influence" (report §Introduction).

    The projections reach ``months`` ahead (the lookahead); both shares are stated per
    ``RATE_MONTHS``, as every measure is, so that what Beijing could take away does not
    grow with how far the actors happen to look ahead.
    """
    base = max(economy_free, 1e-9)
    per = RATE_MONTHS / months
    potential = max(1.0 - max(economy_cut / base, 0.0) ** per, 0.0)
    applied = min(max(1.0 - max(economy_chosen / base, 0.0) ** per, 0.0), potential)
    return potential, applied


def measures(now: State, new: State, a: Actions, p: Parameters, war_risk, cn_us_course,
             months=RATE_MONTHS) -> tuple:
    """The ``MEASURES`` of a projected world ``new`` reached ``months`` months from
    ``now`` under the instruments ``a`` (floats, or arrays for a batch), in ``MEASURES``
    order.

    Changes and ratios are stated per ``RATE_MONTHS`` whatever the lookahead, so that a
    threshold means the same pace to an actor that looks three months ahead as to one
    that looks a year ahead (a 2% rise in half a year, not in the lookahead).
    """
    per = RATE_MONTHS / months
    use = instrument_use(a, p)
    posture = p.deterrence_posture_base + p.deterrence_posture_weight * (
        a.washington_military + p.deterrence_rok_weight * a.seoul_alignment)
    threat = p.deterrence_threat_weight * new.nuclear ** 2 * new.hostility
    deterrent = (new.nuclear + p.security_from_resolve * new.hostility
                 - p.deterrent_from_us_signalling * (a.washington_military - 0.5))
    return (war_risk,
            use,
            deterrent,
            deterrent - p.security_from_resolve * a.pyongyang_outreach,
            new.warmth_cn_dprk - new.warmth_us_dprk,
            cn_us_course,
            (new.stability - now.stability) * per,
            # the pace over the lookahead: a test made stays on the record (today's
            # pace), and fades by the horizon (the projected pace)
            0.5 * (now.nuclear_pace + new.nuclear_pace) * new.nuclear ** 2
            * (1.0 - p.procurement_drag * procurement_stopped(a, p)),
            posture - threat,
            1.0 - use * (1.0 - 0.5 * _min(a.pyongyang_provocation, 1.0))
            * (1.0 - _max(now.warmth_cn_dprk, 0.0)),
            _pow(china_trade(new) / _max(china_trade(now), 1e-9), per),
            _pow(new.dprk_economy / _max(now.dprk_economy, 1e-9), per),
            war_risk + p.war_peak_weight * _max(new.tension - war_risk, 0.0))


def influence(with_pressure: tuple[float, float], without_pressure: tuple[float, float],
              params: Parameters) -> float:
    """Realized influence: how far Beijing's pressure moved Pyongyang's choice.

    Compares Pyongyang's (provocation, outreach) as chosen with Beijing's actual
    instruments against its choice had Beijing applied no pressure. Positive: fewer
    provocations or more outreach because of the pressure; negative: defiance.
    """
    w = params.influence_weight_provocation
    prov = (without_pressure[0] - with_pressure[0]) / 2.0
    out = with_pressure[1] - without_pressure[1]
    return float(min(max(w * prov + (1.0 - w) * out, -1.0), 1.0))

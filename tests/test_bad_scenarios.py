"""The catalogue of bad scenario files: each gives one line naming file and field, exit 2.

The files are in ``tests/bad_scenarios/``; ``expected.yaml`` there says what each
message must contain (see its README). Every file is run as a user would run it::

    buffer-sim run tests/bad_scenarios/FILE --out OUT

and must give exit status 2, exactly one line on stderr (``buffer-sim: error: FILE:
FIELD: PROBLEM``), no traceback, nothing on stdout and nothing in ``OUT``. Files whose
YAML tags would run code are run from an empty folder, which must stay empty.

Mistakes better generated than committed (a file over 1 MB) and mistakes made with
``--set`` are at the end.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from buffer_sim.scenario.schema import MAX_FILE_BYTES

CATALOGUE = Path(__file__).resolve().parent / "bad_scenarios"
EXPECTED: dict[str, dict] = yaml.safe_load((CATALOGUE / "expected.yaml").read_text("utf-8"))
PREFIX = "buffer-sim: error: "


def catalogue_files() -> list[str]:
    return sorted(p.name for p in CATALOGUE.glob("*.yaml") if p.name != "expected.yaml")


def check_one_line(err: str) -> str:
    """The whole of stderr is one line starting 'buffer-sim: error: '; returns it."""
    assert "Traceback" not in err, err
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert err.startswith(PREFIX), err
    return err.removeprefix(PREFIX).rstrip("\n")


# --- the catalogue -----------------------------------------------------------------------

def test_the_catalogue_has_at_least_30_mistakes():
    assert len(catalogue_files()) >= 30


def test_every_file_has_an_expectation_and_every_expectation_a_file():
    assert sorted(EXPECTED) == catalogue_files()
    for name, entry in EXPECTED.items():
        assert set(entry) <= {"about", "field", "says", "not_says", "names"}, name
        assert entry.get("about") and entry.get("says"), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bad_file_gives_one_line_naming_file_and_field_and_exit_2(
        name, cli, tmp_path, monkeypatch):
    entry = EXPECTED[name]
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # YAML tags that ran code would leave tag_marker_* here
    out = tmp_path / "out"

    result = cli("run", CATALOGUE / name, "--out", out)

    assert result.code == 2
    line = check_one_line(result.err)
    named = (CATALOGUE / entry.get("names", name)).resolve()
    field = entry["field"]
    where = f"{named}: {field}: " if field else f"{named}: "
    assert line.startswith(where), f"{line!r} does not start with {where!r}"
    problem = line.removeprefix(where)
    for fragment in entry["says"]:
        assert fragment in problem, f"{fragment!r} not in {line!r}"
    for fragment in entry.get("not_says", ()):
        assert fragment not in problem, f"{fragment!r} in {line!r}"
    assert result.out == ""
    assert not out.exists()
    assert list(cwd.iterdir()) == []


@pytest.mark.parametrize("name", [n for n in sorted(EXPECTED) if n.startswith("tag_")])
def test_yaml_tags_never_construct_objects(name, tmp_path, monkeypatch):
    """Loading directly (not only through the command) runs nothing either."""
    from buffer_sim.core.errors import ScenarioError
    from buffer_sim.scenario.schema import load_scenario

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match="not allowed"):
        load_scenario(CATALOGUE / name)
    assert list(tmp_path.iterdir()) == []


def test_an_earlier_run_is_left_unchanged_by_a_bad_file(cli, tmp_path):
    out = tmp_path / "out"
    earlier = out / "bad"
    earlier.mkdir(parents=True)
    (earlier / "timeseries.csv").write_text("date,tension\n2016-01,0.3\n")
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}
    for name in ("out_of_range_state.yaml", "tabs.yaml", "pins_overlap.yaml"):
        assert cli("run", CATALOGUE / name, "--out", out).code == 2
    assert [p.name for p in out.iterdir()] == ["bad"]
    assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before


# --- generated: a file over the size limit ------------------------------------------------

def test_a_file_over_1_mb_is_refused_before_it_is_parsed(cli, tmp_path):
    path = tmp_path / "huge.yaml"
    padding = "# " + "x" * 98 + "\n"
    path.write_text("name: huge\nperiod: {start: 2016-01, end: 2016-12}\n"
                    + padding * (MAX_FILE_BYTES // len(padding) + 1), encoding="utf-8")
    assert path.stat().st_size > MAX_FILE_BYTES
    out = tmp_path / "out"

    result = cli("run", path, "--out", out)

    assert result.code == 2
    line = check_one_line(result.err)
    assert line.startswith(f"{path.resolve()}: file is {path.stat().st_size} bytes")
    assert f"limited to {MAX_FILE_BYTES} bytes" in line
    assert not out.exists()


# --- mistakes made with --set -----------------------------------------------------------

GOOD = """\
name: good
period: {start: 2016-01, end: 2016-12}
events:
  - date: 2016-06
    kind: resolution
    sanctions_scope: 0.4
    label: a resolution
    source: a test source
"""

#: (override, the line must start with, fragments of the problem)
SET_CASES = [
    ("beijing.instruments.enforcement=5", "--set: actors.beijing.instruments.enforcement: ",
     ["5 is out of range [0, 1]"]),
    ("beijing.priorites=no_war", "--set: actors.beijing.priorites: ",
     ["unknown field 'priorites'", "did you mean 'priorities'"]),
    ("initial_state.tension=high", "--set: initial_state.tension: ",
     ["expected a number", "got 'high'"]),
    ("pyongyang.instruments.provocation=1.5", "--set: actors.pyongyang.instruments.provocation: ",
     ["must be 0, 1 or 2", "got 1.5"]),
    ("parameters.inertiaa=2", "--set: parameters.inertiaa: ",
     ["did you mean 'inertia'", "see 'buffer-sim params'"]),
    ("period.start=2017-06", "--set: period.end: ", ["before the start 2017-06"]),
    ("beijing.thresholds.no_war=.inf", "--set: actors.beijing.thresholds.no_war: ",
     ["must be a finite number"]),
    ("name=.hidden", "--set: name: ", ["'.hidden' cannot name an output folder"]),
    ("name=!!python/object/apply:os.system ['touch tag_marker_set']", "--set: name: ",
     ["is not a valid name"]),
]


@pytest.mark.parametrize("override,starts,says", SET_CASES, ids=[c[0] for c in SET_CASES])
def test_an_error_caused_by_set_names_set_and_the_field(override, starts, says, cli, tmp_path,
                                                       monkeypatch):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"

    result = cli("run", path, "--out", out, "--set", override)

    assert result.code == 2
    line = check_one_line(result.err)
    assert line.startswith(starts), line
    for fragment in says:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert not out.exists()
    assert not (tmp_path / "tag_marker_set").exists()


def test_a_file_event_left_outside_a_period_shortened_by_set_names_both(cli, tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = cli("run", path, "--out", tmp_path / "out", "--set", "period.end=2016-03")
    assert result.code == 2
    line = check_one_line(result.err)
    assert line.startswith(f"{path.resolve()}: events[0].date: 2016-06 is outside the period")
    assert "--set period.end=2016-03" in line


def test_the_files_own_mistake_is_still_blamed_on_the_file(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD + "initial_state: {tension: 1.5}\n", encoding="utf-8")
    result = cli("run", path, "--out", tmp_path / "out", "--set", "parameters.inertia=2")
    assert result.code == 2
    assert check_one_line(result.err).startswith(f"{path.resolve()}: initial_state.tension: ")

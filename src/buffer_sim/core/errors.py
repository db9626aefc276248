"""The one error users see: a scenario problem, named by file, field and problem."""


class ScenarioError(Exception):
    """Bad input. ``str(err)`` is the single line printed on stderr.

    Args:
        file: the scenario file (or "--set" for a command-line override).
        field: the field path, e.g. "events[3].date"; empty when the whole file is bad.
        problem: what is wrong, in words a user can act on.
    """

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file, self.field, self.problem = str(file), field, problem
        where = f"{self.file}: {field}" if field else self.file
        super().__init__(f"{where}: {problem}")


class MissingExtra(Exception):
    """An optional package is not installed: not the user's input, so the command
    exits 1 (not 2) with "WHAT needs ...: pip install 'buffer-sim[EXTRA]'".

    Args:
        what_needs: what needs the package, e.g. "sensitivity analysis needs SALib".
        extra: the optional dependency group that installs it.
    """

    def __init__(self, what_needs: str, extra: str) -> None:
        self.extra = extra
        self.problem = f"{what_needs}: pip install 'buffer-sim[{extra}]'"
        super().__init__(self.problem)

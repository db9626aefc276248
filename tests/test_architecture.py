"""The package's architecture, enforced: layers import one way, library code never imports
the CLI, and the package's own imports sit at module top (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "buffer_sim"

#: Modules still holding in-function imports of the package, with how many (module,
#: count per line): a ratchet (the number may only go down). The CLI's command modules
#: import their library code when the command runs (command dispatch keeps 'buffer-sim
#: --help' light), and the library imports the charts (Matplotlib) and the model (Mesa)
#: late where a command that does not need them should not pay for them. Each one says
#: why in a '# lazy:' comment at the import, and none is there to break an import cycle
#: (import-linter's acyclic_siblings contract forbids cycles).
LIMITS_TEXT = """
buffer_sim.cli.list 1
buffer_sim 1
buffer_sim.cli 1
buffer_sim.cli.app 1
buffer_sim.cli.arguments 3
buffer_sim.cli.common 2
buffer_sim.cli.compare 1
buffer_sim.cli.ensemble 1
buffer_sim.cli.explain 3
buffer_sim.cli.run 3
buffer_sim.cli.sweep 1
buffer_sim.cli.validate 2
buffer_sim.experiments.calibration 1
buffer_sim.experiments.compare 3
buffer_sim.experiments.discovery 3
buffer_sim.experiments.outcomes 1
buffer_sim.experiments.runner 2
buffer_sim.experiments.sensitivity 3
buffer_sim.experiments.start_state 2
buffer_sim.output.report 2
"""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_imports(tree: ast.AST):
    """(node, imported module, inside a function?) for every import of buffer_sim."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "buffer_sim":
                        yield child, alias.name, inner
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module \
                    and child.module.split(".")[0] == "buffer_sim":
                for alias in child.names:
                    yield child, f"{child.module}.{alias.name}", inner
            yield from walk(child, inner)
    yield from walk(tree, False)


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), ast.parse(path.read_text(encoding="utf-8"))


def test_the_import_contracts_hold():
    """import-linter's contracts in pyproject.toml: no import goes up a layer, and no two
    modules of one package import each other (directly or round a longer loop), whether
    at module top or inside a function."""
    pytest.importorskip("importlinter")
    env_path = str(PACKAGE.parent)
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                               "sys.exit(lint_imports())"],
        cwd=PACKAGE.parents[1], capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_library_module_imports_the_cli():
    offenders = [f"{name} imports {target}" for name, tree in modules()
                 if not name.startswith(("buffer_sim.cli", "buffer_sim.tools"))
                 for _, target, _ in package_imports(tree)
                 if target == "buffer_sim.cli" or target.startswith("buffer_sim.cli.")]
    assert offenders == []


def test_in_function_imports_of_the_package_only_go_down():
    counts: dict[str, int] = {}
    for name, tree in modules():
        nodes = {id(node) for node, _, inside in package_imports(tree) if inside}
        if nodes:
            counts[name] = len(nodes)
    limits = {line.split()[0]: int(line.split()[1]) for line in LIMITS_TEXT.split("\n")
              if line.strip()}
    grown = {name: (n, limits.get(name, 0)) for name, n in counts.items()
             if n > limits.get(name, 0)}
    assert grown == {}, ("in-function imports of buffer_sim (found, allowed); import at "
                         f"module top instead: {grown}")


def test_the_ratchet_is_tight():
    """A limit above today's count would let new in-function imports in unnoticed."""
    counts: dict[str, int] = {}
    for name, tree in modules():
        counts[name] = len({id(node) for node, _, inside in package_imports(tree) if inside})
    limits = {line.split()[0]: int(line.split()[1]) for line in LIMITS_TEXT.split("\n")
              if line.strip()}
    loose = {name: (counts.get(name, 0), n) for name, n in limits.items()
             if counts.get(name, 0) < n}
    assert loose == {}, f"lower these limits to the counts found: {loose}"


def test_the_cli_loads_no_model_library_for_help():
    """Command dispatch stays lazy: building every command's parser (``--help``) loads
    neither Mesa nor Matplotlib nor SciPy."""
    code = ("import sys\nfrom buffer_sim.cli import build_parser\nbuild_parser(None)\n"
            "print(sorted(m for m in ('mesa', 'matplotlib', 'scipy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "[]"


# --- why each in-function import of the package is there ----------------------------------

#: Third-party libraries heavy enough to import late (a tenth of a second or more each).
HEAVY = {"mesa", "matplotlib", "scipy", "pandas", "solara", "dask", "SALib"}
#: Words of a '# lazy:' reason that would admit an import cycle between package modules.
CYCLE_WORDS = ("cycle", "cyclic", "circular", "each imports the other")


def in_function_import_groups(tree: ast.AST):
    """Runs of consecutive import statements inside functions that import buffer_sim:
    (first statement, statements); one '# lazy:' comment above a run covers it."""
    def own(stmt):
        return any(True for _ in package_imports(ast.Module(body=[stmt], type_ignores=[])))

    def bodies(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            for field in ("body", "orelse", "finalbody", "handlers"):
                body = getattr(child, field, None)
                if inner and isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                    yield body
            yield from bodies(child, inner)

    for body in bodies(tree, False):
        run: list[ast.stmt] = []
        for stmt in [*body, None]:
            if stmt is not None and isinstance(stmt, (ast.Import, ast.ImportFrom)):
                run.append(stmt)
                continue
            if any(own(s) for s in run):
                yield run[0], run
            run = []


def lazy_reasons():
    """(module, line, reason) of every in-function import of the package; the reason is
    the '# lazy:' comment directly above its run of imports or among the run's lines
    ('' when there is none)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for first, run in in_function_import_groups(tree):
            above = []
            k = first.lineno - 2
            while k >= 0 and lines[k].strip().startswith("#"):
                above.insert(0, lines[k].strip())
                k -= 1
            within = ["#" + lines[i].split("#", 1)[1]  # comments among the run's lines
                      for i in range(first.lineno - 1, run[-1].end_lineno) if "#" in lines[i]]
            text = " ".join(above + within)
            reason = text[text.index("# lazy:"):] if "# lazy:" in text else ""
            for stmt in run:
                yield module_name(path), stmt.lineno, reason


def test_every_in_function_import_of_the_package_says_why_and_no_reason_is_a_cycle():
    """A '# lazy:' comment names what the late import spares; an import cycle between the
    package's modules is never a reason (move the shared code to a module below both)."""
    reasons = list(lazy_reasons())
    assert reasons, "no in-function import found: the scan is broken"
    silent = [f"{name}:{line}" for name, line, reason in reasons if not reason]
    assert silent == [], f"in-function imports without a '# lazy: <why>' comment: {silent}"
    cycles = [f"{name}:{line}: {reason}" for name, line, reason in reasons
              if any(word in reason.lower() for word in CYCLE_WORDS)]
    assert cycles == [], f"in-function imports that break an import cycle: {cycles}"


def as_module(dotted: str) -> str:
    """'buffer_sim.scenario.schema.load_scenario' -> 'buffer_sim.scenario.schema': the
    longest prefix of an imported name that is a module or package of ours."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        path = PACKAGE.parent.joinpath(*parts[:k])
        if path.with_suffix(".py").exists() or path.is_dir():
            return ".".join(parts[:k])
    return dotted


def top_level_imports(tree: ast.AST):
    """(package module or third-party root) imported when the module is imported: at
    module top, in a top-level try/if, not in a function, class body or TYPE_CHECKING."""
    def walk(body):
        for stmt in body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    yield alias.name if alias.name.startswith("buffer_sim") \
                        else alias.name.split(".")[0]
            elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
                if stmt.module.split(".")[0] != "buffer_sim":
                    yield stmt.module.split(".")[0]
                    continue
                for alias in stmt.names:
                    yield as_module(f"{stmt.module}.{alias.name}")
            elif isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test):
                continue
            elif isinstance(stmt, (ast.If, ast.Try)):
                yield from walk(stmt.body)
                yield from walk(getattr(stmt, "orelse", []))
                for handler in getattr(stmt, "handlers", []):
                    yield from walk(handler.body)
    yield from walk(tree.body)


def test_every_lazy_import_of_the_package_spares_a_heavy_library():
    """Moving any in-function import of the package to module top would load a heavy
    third-party library (Mesa, Matplotlib, SciPy, pandas, ...) that the module does not
    load already; otherwise the import belongs at module top."""
    direct = {name: set(top_level_imports(tree)) for name, tree in modules()}

    def loads(module: str) -> set[str]:
        """Third-party libraries loaded by importing ``module`` (and its packages)."""
        seen: set[str] = set()
        todo = [module]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in direct:  # a module of the package: its packages are imported first
                parts = name.split(".")
                todo.extend(".".join(parts[:k]) for k in range(1, len(parts)))
                todo.extend(direct[name])
        return {name for name in seen if name not in direct}

    needless = []
    for name, tree in modules():
        host = loads(name)
        for node, target, inside in package_imports(tree):
            if inside:
                spared = (loads(as_module(target)) & HEAVY) - host
                if not spared:
                    needless.append(f"{name}:{node.lineno} imports {target}")
    assert needless == [], f"in-function imports that spare no heavy library: {needless}"

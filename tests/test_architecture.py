"""The package's architecture, enforced: layers import one way, library code never imports
the CLI, and the package's own imports sit at module top (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "buffer_sim"

#: Modules still holding (module, count per line) in-function imports of the package, with how many: a ratchet
#: (the number may only go down). The CLI's command modules import their library code
#: when the command runs (command dispatch keeps 'buffer-sim --help' light), and the
#: library imports the model (Mesa) late where a command that does not need it should not
#: pay for it (the charts package loads Matplotlib itself, on first use of a chart);
#: scenario.schema imports scenario.uncertain late (each imports the other). Each one says why in a '# lazy:'
#: comment at the import.
LIMITS_TEXT = """
buffer_sim.cli.list 1
buffer_sim 1
buffer_sim.cli 1
buffer_sim.cli.app 1
buffer_sim.cli.arguments 3
buffer_sim.cli.common 2
buffer_sim.cli.compare 2
buffer_sim.cli.ensemble 1
buffer_sim.cli.explain 3
buffer_sim.cli.run 3
buffer_sim.cli.sweep 1
buffer_sim.cli.validate 4
buffer_sim.experiments.calibration 1
buffer_sim.experiments.compare 3
buffer_sim.experiments.discovery 3
buffer_sim.experiments.outcomes 1
buffer_sim.experiments.runner 2
buffer_sim.experiments.sensitivity 3
buffer_sim.experiments.start_state 2
buffer_sim.output.report 2
buffer_sim.scenario.schema 1
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


def test_the_layers_contract_holds():
    """import-linter's layers contract in pyproject.toml: no import goes up a layer."""
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

"""buffer_sim: an agent-based model of patron-client relations on the Korean peninsula.

Built from Daniel Wertz, *China-North Korea Relations* (NCNK).

For notebooks: ``buffer_sim.run(...)`` and ``buffer_sim.compare(...)`` (see
``buffer_sim.api``). Both are loaded on first use, so ``import buffer_sim`` stays light.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "compare", "run"]


def __getattr__(name):
    if name == "run":
        from buffer_sim.api import run

        return run
    if name == "compare":
        # The module buffer_sim.compare is callable as buffer_sim.api.compare, so that
        # buffer_sim.compare(...) works whether or not the module was imported before
        # (importing a submodule always sets the package attribute to the module).
        import importlib

        return importlib.import_module("buffer_sim.compare")
    raise AttributeError(f"module 'buffer_sim' has no attribute {name!r}")

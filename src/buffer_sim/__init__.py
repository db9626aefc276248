"""buffer_sim: an agent-based model of patron-client relations on the Korean peninsula.

Built from Daniel Wertz, *China-North Korea Relations* (NCNK). The package is layered
(see ARCHITECTURE.md): core, agents, scenario, model, output, experiments, and at the
top api, app, cli and tools.

For notebooks: ``buffer_sim.run(...)`` and ``buffer_sim.compare(...)`` (see
``buffer_sim.api``). Both are loaded on first use, so ``import buffer_sim`` stays light.
"""

from buffer_sim.core.version import __version__

__all__ = ["__version__", "compare", "run"]


def __getattr__(name):
    if name in ("run", "compare"):
        # lazy: loaded on first use: the API imports pandas and Mesa (seconds), and
        # 'import buffer_sim' (e.g. for the version) should not pay for them.
        from buffer_sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'buffer_sim' has no attribute {name!r}")

"""Loads the model's compiled loops on import.

The fork server that starts pool workers imports this module
(``engines.MODEL_MODULES``), so every worker starts with the compiled equations and
rule in memory instead of loading Numba itself (about 0.3 s a worker).
"""

from buffer_sim.core import decision, world

world.warm_up()
decision.warm_up()

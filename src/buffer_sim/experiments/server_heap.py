"""Imported last by the fork server (``engines.MODEL_MODULES``, ``engines.CHART_MODULES``):
freezes the server's heap once its modules are imported.

Frozen objects are left alone by Python's cyclic collector (``gc.freeze``), which is
what Python's documentation advises before forking: the workers forked from the server
then share the imported modules' memory instead of copying the pages a collection
touches, and the server, when the command ends, exits without scanning the heap of
pandas and Matplotlib first (measured: ``buffer-sim run`` with its output read through
a pipe, which waits for the server too, 0.1 s sooner).
"""

import gc

gc.freeze()

"""Command-line options shared by the commands that run many models (the CLI layer).

``--workers``, ``--engine``, ``--scheduler`` and ``--chunk-size`` say where runs execute;
``engine_choice`` turns them into the library's ``engines.EngineChoice``. Library code
never sees ``argparse``: it takes an ``EngineChoice``.
"""

from __future__ import annotations

import argparse

from buffer_sim.experiments.engines import (CHUNK_SECONDS, ENGINES, MIN_ROWS_PER_CHUNK,
                                            MODEL_MODULES, EngineChoice, default_workers,
                                            warm_up_pool)


def add_engine_arguments(parser) -> None:
    """``--workers``, ``--engine``, ``--scheduler``, ``--chunk-size``."""
    group = parser.add_argument_group("where the runs execute")
    group.add_argument("--workers", metavar="N", type=positive_int, default=None,
                       help=f"local worker processes (default: the number of cores, "
                            f"{default_workers()} here; 1 runs everything in this process)")
    group.add_argument("--engine", choices=ENGINES, default="local",
                       help="local: a process pool on this machine (default); serial: this "
                            "process only; dask: a Dask LocalCluster, or the cluster "
                            "named by --scheduler")
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                       help="send the runs to an existing Dask scheduler (implies "
                            "--engine dask; needs 'buffer-sim[cluster]')")
    group.add_argument("--chunk-size", metavar="N", type=positive_int, default=None,
                       help=f"runs per task (default: measured, at least "
                            f"{CHUNK_SECONDS * 1000:.0f} ms of work each, and for an "
                            f"ensemble at least {MIN_ROWS_PER_CHUNK} run-months)")


def start_pool_early(args) -> None:
    """Start the fork server now if the command may run on a local pool: it then
    imports the model while this process imports the rest and loads the scenario, and
    the pool's first worker is ready when the runs start instead of ~1.5 s later.

    The server imports what the command's parser names as ``pool_preload`` (by default
    the model: ``engines.MODEL_MODULES``), or what that function returns for ``args``."""
    choice = engine_choice(args)
    if (choice.engine == "local" and not choice.scheduler
            and (choice.workers or default_workers()) > 1):
        preload = getattr(args, "pool_preload", MODEL_MODULES)
        warm_up_pool(preload(args) if callable(preload) else preload)


def engine_choice(args) -> EngineChoice:
    """An ``EngineChoice`` from parsed arguments (missing ones take their defaults)."""
    return EngineChoice(engine=getattr(args, "engine", None) or "local",
                        workers=getattr(args, "workers", None),
                        scheduler=getattr(args, "scheduler", None),
                        chunk_size=getattr(args, "chunk_size", None))


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") \
            from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value

"""Further ``buffer-sim`` subcommands, one module each.

Every module here defines ``register(subparsers, formatter_class)`` which adds its
subparser and sets ``func=handler(args, argv) -> int``; ``cli.build_parser`` discovers
them in name order. Handlers raise ``ScenarioError`` for bad input like ``run`` does.
"""

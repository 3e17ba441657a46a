"""One module per ``radiuscnn`` subcommand; each has ``register(subparsers)`` and a ``run(args)``."""

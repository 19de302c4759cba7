"""``python -m rallybot``: the `rallybot` command line."""

from rallybot.cli import main

raise SystemExit(main())

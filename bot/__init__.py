"""rallybot's platform-neutral core: commands, dispatch, replies, clock, config, app, CLI."""

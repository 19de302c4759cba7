"""The features: one module per command group, each declaring its commands once (the list
of groups a deployment serves is in rallybot.groups)."""

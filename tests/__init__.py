"""rallybot's tests."""

"""Tests of the composition root (rallybot/): start-up, `rallybot demo`, both platforms."""

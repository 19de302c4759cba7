"""Tests of the core (bot/): configuration, the grammar, time, delivery, posts."""

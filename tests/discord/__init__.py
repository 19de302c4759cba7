"""Tests of the Discord adapter: the real discord.py against the stand-in."""

"""Tests of the console adapter, in process and as a command."""

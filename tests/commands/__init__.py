"""Tests of the features (commands/), driven through the console and the dispatcher."""

"""Tests of the Slack adapter: the real slack-bolt and slack_sdk against the stand-in."""

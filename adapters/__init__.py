"""Adapters: each translates one platform's events into core invocations and renders replies."""

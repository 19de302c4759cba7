"""What every HTTP server of the bot says when it cannot listen where it is configured (the
Slack endpoint, the web pages, the metrics server): one line naming the key, the port and
the reason."""

from __future__ import annotations

import errno


def bind_error(source: str, key: str, host: str, port: int, exc: OSError) -> str:
    """The one line that says why a server could not listen on ``host``:``port``, naming
    ``key`` (e.g. ``[web] port``) of the configuration ``source``."""
    if exc.errno == errno.EADDRINUSE:
        why = "is in use by another program"
    elif exc.errno == errno.EACCES:
        why = "needs privileges this process lacks (use a port above 1023)"
    else:
        why = f"cannot be listened on ({exc.strerror or exc})"
    return f"{source}: {key}: {port} on {host} {why}"

"""A benchmark's helper process: the platform stand-ins, a sink, or the bot itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Child:
    """``python ARGS`` run from the checkout, whose first line of output (or a port) says it
    is ready; a stand-in or a sink stops when its input closes."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )

    def first_line(self) -> str:
        """The child's first line of output, once it has written it."""
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def close(self, *, terminate: bool = False, timeout: float = 10) -> None:
        """Close its input (and, with ``terminate``, stop it outright); wait for it to end."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        if terminate:
            self.proc.terminate()
        self.proc.wait(timeout)

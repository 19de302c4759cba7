"""Files the bot hands out, as saved on disk (the console saves each one it shows).

A saved file is readable and writable by its owner only (0600), in a folder only its owner
may enter when the bot makes it (0700): exports hold members' names and answers. A file
already saved with the same name and the same bytes (a chart posted in several channels) is
saved once and its path given again. A member's own data export carries their member id in
its name, so that erasing their data can remove the files of earlier exports too (linking
accounts moves the joined member's files to the member kept).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: the start of the name of a member's own data export (``/privacy export``)
MEMBER_EXPORT = "rallybot-my-data"


def member_export_name(member_id: int) -> str:
    """The file name of member ``member_id``'s own data export."""
    return f"{MEMBER_EXPORT}-{member_id}.json"


def _variants(directory: Path, name: str) -> list[Path]:
    """``name`` and the numbered names saved beside it (``stem-1.ext``, ``stem-2.ext``…)."""
    stem, dot, ext = Path(name).name.partition(".")
    numbered = re.compile(re.escape(stem) + r"-[0-9]+" + re.escape(dot + ext))
    found = [directory / Path(name).name]
    if directory.is_dir():
        found += sorted(p for p in directory.iterdir() if numbered.fullmatch(p.name))
    return found


def save(directory: str | Path, name: str, data: bytes) -> Path:
    """Save ``data`` as ``name`` under ``directory``, owner-only, never over an earlier file;
    the path of an earlier file with the same name and bytes, if there is one."""
    folder = Path(directory)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for earlier in _variants(folder, name):
        if earlier.is_file() and earlier.stat().st_size == len(data):
            if earlier.read_bytes() == data:
                return earlier
    stem, dot, ext = Path(name).name.partition(".")
    path, counter = folder / Path(name).name, 1
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            path = folder / f"{stem}-{counter}{dot}{ext}"
            counter += 1
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return path


def remove_member_exports(directory: str | Path, member_id: int) -> int:
    """Delete the saved files of member ``member_id``'s own data exports; how many."""
    removed = 0
    for path in _variants(Path(directory), member_export_name(member_id)):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed


def move_member_exports(directory: str | Path, from_id: int, to_id: int) -> int:
    """Give member ``to_id`` the saved exports of member ``from_id`` (joined into them), so
    that erasing ``to_id``'s data removes those too; how many."""
    moved = 0
    for path in _variants(Path(directory), member_export_name(from_id)):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        save(directory, member_export_name(to_id), data)
        path.unlink(missing_ok=True)
        moved += 1
    return moved

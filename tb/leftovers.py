"""What a killed run leaves behind, found and removed by the next run.

A simulation shares its host memories and wire channels with the DPI models through files in a
folder ``/dev/shm/nicsim-<pid>-<random>`` (RAM, not disk), made by the process that starts the
simulation (``<pid>``). The folder is removed when the run ends; a run that was killed leaves
it. Before a run makes its own, it removes those whose maker is gone and that no live process
maps (a simulation orphaned by its killed parent may still be running on them).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

SHM_PREFIX = "nicsim-"
_SHM_NAME = re.compile(rf"^{SHM_PREFIX}(\d+)-\w+$")


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (its /proc entry; no signal is sent)."""
    return os.path.isdir(f"/proc/{pid}")


def shm_parent() -> Path | None:
    return Path("/dev/shm") if os.path.isdir("/dev/shm") else None


def _mapped_paths() -> set[str]:
    """Every file path some live process maps (the ones /proc lets us read)."""
    paths: set[str] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/maps", "rb") as f:
                for line in f:
                    parts = line.split(None, 5)
                    if len(parts) == 6 and parts[5].startswith(b"/"):
                        paths.add(parts[5].rstrip(b"\n").decode(errors="replace"))
        except OSError:
            continue  # the process ended meanwhile, or is not ours to read
    return paths


def stale_shm_dirs(parent: Path | None = None) -> list[Path]:
    """``nicsim-<pid>-*`` folders of ``parent`` whose maker is gone and that nobody maps."""
    parent = parent or shm_parent()
    if parent is None or not parent.is_dir():
        return []
    candidates = []
    for entry in os.scandir(parent):
        m = _SHM_NAME.match(entry.name)
        if m and entry.is_dir(follow_symlinks=False) and not pid_alive(int(m.group(1))):
            candidates.append(Path(entry.path))
    if not candidates:
        return []
    mapped = _mapped_paths()
    return [d for d in candidates
            if not any(p.startswith(str(d) + "/") for p in mapped)]


def remove_stale_shm(parent: Path | None = None) -> list[Path]:
    """Remove what ``stale_shm_dirs`` finds; returns what it removed."""
    stale = stale_shm_dirs(parent)
    for d in stale:
        shutil.rmtree(d, ignore_errors=True)
    return stale


def new_shm_dir(parent: Path | None = None) -> Path:
    """A fresh folder for one run's shared regions, named after this process, after removing
    the folders of killed runs."""
    parent = parent or shm_parent()
    remove_stale_shm(parent)
    return Path(tempfile.mkdtemp(prefix=f"{SHM_PREFIX}{os.getpid()}-", dir=parent))

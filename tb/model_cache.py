"""``build/sim`` as a least-recently-used cache of Verilator models, bounded in size.

Every model folder that ``tb.runner`` makes holds a marker, ``nicsim-model.json`` (what the model
is: top, parameters, traced or not). Only such folders are ever counted or removed, and only
when they sit directly inside the cache root; anything else there is left alone.

Two lock files per model, both ``flock``:

- ``build.lock``: exclusive while the model is built, so parallel workers build it once;
- ``use.lock``: shared for as long as a ``Model`` object holds it (from ``build()`` to
  ``release()``), whichever process that is. Two files, because ``flock`` converts a lock by
  dropping it first, and a prune must never slip into that gap.

Pruning takes both exclusively without waiting; a model it cannot lock is in use and stays. A
model is removed by renaming it out of the way first, so nobody sees half of one; a builder
that was waiting on the lock of a removed folder notices the lock file changed and starts over.

"Use" is the modification time of ``last-use``, touched at every build and every run. The
bound is ``NICSIM_CACHE_GB`` (GiB, fractions allowed, default 4).
"""

from __future__ import annotations

import errno
import fcntl
import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from tb.errors import SettingError
from tb.leftovers import pid_alive

MARKER = "nicsim-model.json"
BUILD_LOCK = "build.lock"
USE_LOCK = "use.lock"
LAST_USE = "last-use"
BOUND_ENV = "NICSIM_CACHE_GB"
DEFAULT_BOUND_GB = 4.0
_EVICTING = ".evicting-"


class CacheConfigError(SettingError):
    """A bad cache setting."""


def bound_bytes(environ: dict[str, str] | None = None) -> int:
    """The size bound from ``NICSIM_CACHE_GB``, in bytes."""
    environ = os.environ if environ is None else environ
    raw = environ.get(BOUND_ENV, "")
    if raw.strip() == "":
        return int(DEFAULT_BOUND_GB * (1 << 30))
    try:
        gb = float(raw)
    except ValueError:
        gb = math.nan
    if not math.isfinite(gb) or gb < 0:
        raise CacheConfigError(
            f"{BOUND_ENV}={raw!r} is not a size: give GiB as a number >= 0, e.g. 4 or 0.5")
    return int(gb * (1 << 30))


def folder_size(path: Path) -> int:
    """Bytes a folder takes on disk (as du counts them), not following symbolic links."""
    total = 0
    stack = [path]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += st.st_blocks * 512
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
    return total


def _lock_path(path: Path, how: int, make_folder: bool = True) -> int | None:
    """An fd holding ``flock(how)`` on ``path`` (created if missing), or None if ``how``
    includes LOCK_NB and someone else holds a conflicting lock, or if the folder is gone and
    ``make_folder`` is false. Retries while the file it locked was replaced (its folder evicted
    under it) meanwhile."""
    while True:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            if make_folder:
                continue
            return None
        try:
            fcntl.flock(fd, how)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return None
            raise
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def lock_build(folder: Path) -> int:
    """Block until this process may build in ``folder``; returns the fd to close when done."""
    return _lock_path(folder / BUILD_LOCK, fcntl.LOCK_EX)


def hold_use(folder: Path) -> int:
    """Mark ``folder`` in use until the returned fd is closed (a shared lock)."""
    return _lock_path(folder / USE_LOCK, fcntl.LOCK_SH)


def mark(folder: Path, description: dict) -> None:
    """Record that the runner made ``folder`` and what model it holds."""
    marker = folder / MARKER
    if not marker.exists():
        tmp = folder / (MARKER + ".tmp")
        tmp.write_text(json.dumps(description, sort_keys=True, default=str))
        tmp.replace(marker)


def touch_use(folder: Path) -> None:
    (folder / LAST_USE).touch()


@dataclass
class CachedModel:
    path: Path
    top: str
    parameters: dict
    waves: bool
    size: int
    last_use: float
    in_use: bool

    def describe_parameters(self) -> str:
        return " ".join(f"{k}={v}" for k, v in sorted(self.parameters.items())) or "-"


def _marked_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    out = []
    for entry in os.scandir(root):
        if entry.name.startswith(_EVICTING) or not entry.is_dir(follow_symlinks=False):
            continue
        if os.path.isfile(os.path.join(entry.path, MARKER)):
            out.append(Path(entry.path))
    return sorted(out)


def unmarked_folders(root: Path) -> list[Path]:
    """Entries of the cache root that the runner did not make (never removed)."""
    if not root.is_dir():
        return []
    marked = set(_marked_folders(root))
    return sorted(Path(e.path) for e in os.scandir(root)
                  if Path(e.path) not in marked and not e.name.startswith(_EVICTING))


def _try_lock_both(folder: Path) -> list[int] | None:
    """Exclusive, non-blocking locks on both lock files: the folder is neither built nor used."""
    fds = []
    for name in (USE_LOCK, BUILD_LOCK):
        fd = _lock_path(folder / name, fcntl.LOCK_EX | fcntl.LOCK_NB, make_folder=False)
        if fd is None:
            for held in fds:
                os.close(held)
            return None
        fds.append(fd)
    return fds


def _in_use(folder: Path) -> bool:
    fds = _try_lock_both(folder)
    if fds is None:
        return True
    for fd in fds:
        os.close(fd)
    return False


def _last_use(folder: Path) -> float:
    for name in (LAST_USE, MARKER):
        try:
            return (folder / name).stat().st_mtime
        except FileNotFoundError:
            continue
    return 0.0


def list_models(root: Path) -> list[CachedModel]:
    """The models in the cache, least recently used first."""
    models = []
    for folder in _marked_folders(root):
        try:
            desc = json.loads((folder / MARKER).read_text())
        except (OSError, ValueError):
            desc = {}
        models.append(CachedModel(
            path=folder, top=str(desc.get("top", folder.name.rsplit("-", 1)[0])),
            parameters=dict(desc.get("parameters", {})), waves=bool(desc.get("waves", False)),
            size=folder_size(folder), last_use=_last_use(folder), in_use=_in_use(folder)))
    models.sort(key=lambda m: m.last_use)
    return models


def _evict(root: Path, folder: Path) -> bool:
    """Remove one marked model folder of ``root`` unless it is in use. True if removed."""
    real_root = root.resolve()
    if folder.is_symlink() or folder.resolve().parent != real_root:
        return False  # only folders directly inside the cache root, never a path outside it
    fds = _try_lock_both(folder)
    if fds is None:
        return False
    try:
        if not (folder / MARKER).is_file():
            return False
        doomed = root / f"{_EVICTING}{folder.name}-{os.getpid()}-{time.monotonic_ns()}"
        folder.rename(doomed)
    finally:
        for fd in fds:
            os.close(fd)
    shutil.rmtree(doomed, ignore_errors=True)
    return True


@dataclass
class PruneResult:
    removed: list[CachedModel]
    kept: list[CachedModel]
    bound: int

    @property
    def total(self) -> int:
        return sum(m.size for m in self.kept)


def prune(root: Path, bound: int | None = None) -> PruneResult:
    """Evict least recently used models until the cache is within ``bound`` bytes (default:
    ``NICSIM_CACHE_GB``). Models in use are never evicted, so they may keep it above."""
    bound = bound_bytes() if bound is None else bound
    _remove_abandoned_evictions(root)
    models = list_models(root)
    total = sum(m.size for m in models)
    removed = []
    for model in models:
        if total <= bound:
            break
        if not model.in_use and _evict(root, model.path):
            removed.append(model)
            total -= model.size
    kept = [m for m in models if m not in removed]
    return PruneResult(removed, kept, bound)


def clear(root: Path) -> PruneResult:
    """Remove every model not in use."""
    return prune(root, bound=0)


def _remove_abandoned_evictions(root: Path) -> None:
    """Folders a killed prune renamed but did not finish removing."""
    if not root.is_dir():
        return
    for entry in os.scandir(root):
        if entry.name.startswith(_EVICTING) and entry.is_dir(follow_symlinks=False):
            pid = entry.name[len(_EVICTING):].rsplit("-", 2)[-2]
            if not (pid.isdigit() and pid_alive(int(pid))):
                shutil.rmtree(entry.path, ignore_errors=True)


def listing(root: Path, bound: int) -> str:
    """``nicsim cache``: the models, most recently used first, and the total against the bound."""
    models = list(reversed(list_models(root)))
    if not models:
        return f"no cached models in {root} (bound {format_size(bound)})"
    rows = [("top", "parameters", "size", "last use", "")]
    for m in models:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m.last_use))
        note = " ".join(filter(None, ["traced" if m.waves else "", "in use" if m.in_use else ""]))
        rows.append((m.top, m.describe_parameters(), format_size(m.size), when, note))
    widths = [max(len(r[i]) for r in rows) for i in range(4)] + [0]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    total = sum(m.size for m in models)
    lines.append(f"{len(models)} models, {format_size(total)} of {format_size(bound)} "
                 f"({BOUND_ENV}) in {root}")
    return "\n".join(lines)


def format_size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")

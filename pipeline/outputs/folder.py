"""Write a week's folder atomically: build it aside, then swap it in under a per-week lock."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from pipeline.core.locks import bounded_lock
from pipeline.errors import OutputError
from pipeline.outputs.layout import week_dir_name

# How long a run waits for another one's week (or site) lock. A run holds it for seconds to
# minutes: writing the week, then each agent's e-mail (at most email.timeout_s, 60 s) and each
# chat post (30 s). Sixteen agents on a stalled SMTP server hold it about 16 min; 30 min clears
# that and still ends a run stuck behind a hung process long before the next nightly slot.
LOCK_WAIT_S = 1800.0


def week_lock(output_dir: Path, week: int) -> AbstractContextManager[None]:
    """Hold an exclusive lock for one week; a second run for the same week waits for it, at
    most LOCK_WAIT_S seconds."""
    after = "nothing was replaced, recorded or sent"
    return _lock(output_dir, f".{week_dir_name(week)}.lock", f"week {week}", after)


def site_lock(output_dir: Path) -> AbstractContextManager[None]:
    """Hold the lock of the site's index (taken inside a week lock, never the other way)."""
    return _lock(output_dir, ".site.lock", "the site's index", "it was not rewritten")


@contextmanager
def _lock(output_dir: Path, name: str, what: str, after: str) -> Iterator[None]:
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        handle = open(output_dir / name, "a+")  # noqa: SIM115
    except OSError as exc:
        raise OutputError(f"cannot write to {output_dir}: {exc.strerror}") from None
    with handle, bounded_lock(handle, what, LOCK_WAIT_S, after):
        yield


@contextmanager
def staged_week_dir(
    output_dir: Path,
    week: int,
    keep_previous: bool = False,
    guard: AbstractContextManager[object] | None = None,
) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces `output_dir/week-NN`, else it vanishes.

    Call under `week_lock`. With keep_previous, the folder starts as a copy of the current one
    (used when only some agents are rendered, so the others' reports are not lost). `guard` is
    entered just before the swap and left after it, told whether it failed: the history's
    transaction, so that a run is recorded exactly when its folder is swapped in.
    """
    final = output_dir / week_dir_name(week)
    _remove_leftovers(output_dir, week)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=output_dir))
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it 0700; the reports are to share
        if keep_previous and final.is_dir():
            shutil.copytree(final, staging, dirs_exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write to {output_dir}: {exc.strerror}") from None
    try:
        yield staging
        old = output_dir / f".{final.name}.old-{os.getpid()}"
        with guard or nullcontext():
            _fsync_tree(staging)
            _swap(staging, final, old)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        kept = f"the previous {final.name} is unchanged" if final.exists() else "nothing written"
        why = exc.strerror or exc  # an OSError raised with a message only has no strerror
        raise OutputError(f"cannot write {exc.filename or final}: {why}; {kept}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, final: Path, old: Path) -> None:
    """`staging` becomes `final`; the previous `final` is left at `old`, or put back on failure."""
    moved = final.exists()
    if moved:
        os.rename(final, old)
    try:
        os.rename(staging, final)
    except OSError:
        if moved:
            os.rename(old, final)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_leftovers(output_dir: Path, week: int) -> None:
    """Clear what a killed run left: staging folders, and restore a swapped-out previous one."""
    name = week_dir_name(week)
    final = output_dir / name
    for path in output_dir.glob(f".{name}.old-*"):
        if not final.exists():
            os.rename(path, final)
        else:
            shutil.rmtree(path, ignore_errors=True)
    for path in output_dir.glob(f".{name}.tmp-*"):
        shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def replace_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file whole or not at all: into a temporary file beside it, then
    renamed over it. OutputError naming the file when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

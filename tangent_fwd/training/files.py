"""Result files that are never torn or lost: one atomic writer for the JSON, the PNG and the checkpoints,
and a check that an output folder can be written to before any work is done.

A crash (or a second Ctrl-C) in the middle of a write must leave either the old file or the new one, never
a truncated one that a later ``--resume`` or a plotting script trips over; and a folder that cannot take
the results must be reported before hours of training, not after."""

import os
import pathlib
import tempfile


class OutputError(ValueError):
    """An output folder is a file, cannot be created or cannot be written to. The message names it and the
    option it came from."""


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` atomically: a temp file in the same folder, fsync, ``os.replace``, then
    fsync the folder. A crash at any point leaves either the old file or the new one, never a torn one.
    The file gets the usual mode of a new file (0666 less the umask), not the temp file's 0600."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), 0o666 & ~_umask())
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path, text):
    return atomic_write_bytes(path, text.encode())


def check_writable_dir(path, option):
    """Create ``path`` if needed and prove that a file can be written in it (then removed). Raises
    :class:`OutputError` naming ``option`` when it is a file, cannot be created or is not writable."""
    p = pathlib.Path(os.path.expanduser(str(path)))
    if p.exists() and not p.is_dir():
        raise OutputError(f"{option} {path}: is a file, not a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=p)
        os.close(fd)
        os.unlink(probe)
    except FileExistsError:
        raise OutputError(f"{option} {path}: a part of this path is a file, not a folder") from None
    except NotADirectoryError:
        raise OutputError(f"{option} {path}: a part of this path is a file, not a folder") from None
    except OSError as e:
        raise OutputError(f"{option} {path}: cannot write there ({e.strerror or e})") from None
    return p

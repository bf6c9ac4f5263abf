"""Download the full MNIST (60,000 / 10,000) in IDX format, verifying sha256 sums.

Each file is streamed to a temporary ``.part`` file in the destination folder, hashed while it is written,
and renamed to its final name only when every byte the server announced arrived and the checksum matches,
so a failed, cut or tampered download never leaves a file under the final name (and a cut one is reported
as incomplete, not as a checksum mismatch that reads like a tampered mirror). A ``.part`` file left by a
killed download is removed by the next run."""

import hashlib
import http.client
import os
import pathlib
import tempfile
import urllib.error
import urllib.request

from . import DataError
from .mnist import MNIST_FILES

DEFAULT_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

# Published sha256 sums of the full MNIST archives (same bytes on yann.lecun.com, the CVDF mirror and
# ossci-datasets).
FULL_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


PART_SUFFIX = ".part"
SCHEMES = ("http://", "https://", "file://")


def _part_name(target):
    """``.<name>.<pid>.<random>.part``: the pid tells a later run whether the writer is still alive."""
    return f".{target.name}.{os.getpid()}."


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def clean_stale_parts(dest):
    """Remove the ``.part`` files that downloads killed mid-file left in ``dest`` (their process is gone);
    returns the removed paths. A download still running (its pid alive) keeps its file."""
    removed = []
    for name in MNIST_FILES.values():
        for part in dest.glob(f".{name}.*{PART_SUFFIX}"):
            fields = part.name[len(name) + 2 : -len(PART_SUFFIX)].split(".")
            pid = int(fields[0]) if fields and fields[0].isdigit() else None
            if pid is not None and pid != os.getpid() and _alive(pid):
                continue
            try:
                part.unlink()
                removed.append(part)
            except OSError:
                pass
    return removed


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fetch(url, dest, want_sha256, timeout):
    dest = pathlib.Path(dest)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_part_name(dest), suffix=PART_SUFFIX, dir=dest.parent)
    except OSError as e:
        raise DataError(f"{dest.parent}: cannot write the download there ({e.strerror or e})") from None
    try:
        h = hashlib.sha256()
        got_bytes = 0
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    length = resp.headers.get("Content-Length") if hasattr(resp, "headers") else None
                    expected = int(length) if length and length.isdigit() else None
                    while True:
                        try:
                            block = resp.read(1 << 16)
                        except http.client.IncompleteRead as e:
                            block = e.partial
                            h.update(block)
                            got_bytes += len(block)
                            break
                        if not block:
                            break
                        h.update(block)
                        out.write(block)
                        got_bytes += len(block)
            except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
                if got_bytes and expected:
                    raise DataError(
                        f"{url}: incomplete download: got {got_bytes:,} of {expected:,} bytes "
                        f"({getattr(e, 'reason', None) or e}); run the command again to retry"
                    ) from None
                raise DataError(f"{url}: download failed ({getattr(e, 'reason', None) or e})") from None
            if expected is not None and got_bytes != expected:
                raise DataError(
                    f"{url}: incomplete download: got {got_bytes:,} of {expected:,} bytes (the connection was "
                    f"cut); run the command again to retry"
                )
            out.flush()
            os.fchmod(out.fileno(), 0o666 & ~_umask())  # a normal file's mode, not mkstemp's 0600
            os.fsync(out.fileno())
        got = h.hexdigest()
        if got != want_sha256:
            raise DataError(f"{url}: sha256 {got} does not match the expected {want_sha256}; the file was not saved")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _destination(dest_dir):
    dest = pathlib.Path(os.path.expanduser(str(dest_dir)))
    if dest.exists() and not dest.is_dir():
        raise DataError(f"{dest}: is a file; --download takes a folder to put the four MNIST files in")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise DataError(f"{dest}: a part of this path is a file, not a folder") from None
    except OSError as e:
        raise DataError(f"{dest}: cannot create the download folder ({e.strerror or e})") from None
    if not os.access(dest, os.W_OK | os.X_OK):
        raise DataError(f"{dest}: the download folder is not writable")
    return dest


def download_mnist(
    dest_dir, base_url=DEFAULT_BASE_URL, checksums=None, *, timeout=60.0, overwrite=False, progress=None
):
    """Fetch the four MNIST files into ``dest_dir`` and verify them against ``checksums`` (file name ->
    sha256; default: the full MNIST's published sums). Files already present with the right checksum are
    kept; ``.part`` files left by a killed earlier download are removed. ``base_url``: an ``http://``,
    ``https://`` or ``file://`` folder URL. Returns the folder as a ``pathlib.Path``; raises
    :class:`DataError` on a failure, a mismatch, a bad URL or a folder that cannot take the files."""
    checksums = FULL_MNIST_SHA256 if checksums is None else dict(checksums)
    missing = [n for n in MNIST_FILES.values() if n not in checksums]
    if missing:
        raise ValueError(f"checksums must give a sha256 for every MNIST file; missing {', '.join(missing)}")
    if not isinstance(base_url, str) or not base_url.lower().startswith(SCHEMES):
        raise DataError(
            f"--base-url {base_url!r}: not a URL this downloader can fetch; give an http://, https:// or "
            f"file:// folder URL, e.g. {DEFAULT_BASE_URL}"
        )
    dest = _destination(dest_dir)
    for part in clean_stale_parts(dest):
        if progress is not None:
            progress(f"removed {part.name}, left by an interrupted download")
    if not base_url.endswith("/"):
        base_url += "/"
    from .mnist import sha256_file

    for name in MNIST_FILES.values():
        target = dest / name
        if target.exists() and not overwrite and sha256_file(target) == checksums[name]:
            continue
        if progress is not None:
            progress(f"downloading {base_url + name}")
        try:
            _fetch(base_url + name, target, checksums[name], timeout)
        except ValueError as e:  # urllib's "unknown url type" / malformed URL
            if isinstance(e, DataError):
                raise
            raise DataError(f"--base-url {base_url!r}: {e}") from None
    return dest

"""Download the full MNIST (60,000 / 10,000) in IDX format, verifying sha256 sums.

Each file is streamed to a temporary file in the destination folder, hashed while it is written, and
renamed to its final name only when the checksum matches, so a failed or tampered download never leaves
a file under the final name."""

import hashlib
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


def _fetch(url, dest, want_sha256, timeout):
    dest = pathlib.Path(dest)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    for block in iter(lambda: resp.read(1 << 16), b""):
                        h.update(block)
                        out.write(block)
            except (urllib.error.URLError, OSError) as e:
                raise DataError(f"{url}: download failed ({getattr(e, 'reason', None) or e})") from None
        got = h.hexdigest()
        if got != want_sha256:
            raise DataError(f"{url}: sha256 {got} does not match the expected {want_sha256}; the file was not saved")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def download_mnist(
    dest_dir, base_url=DEFAULT_BASE_URL, checksums=None, *, timeout=60.0, overwrite=False, progress=None
):
    """Fetch the four MNIST files into ``dest_dir`` and verify them against ``checksums`` (file name ->
    sha256; default: the full MNIST's published sums). Files already present with the right checksum are
    kept. Returns the folder as a ``pathlib.Path``; raises :class:`DataError` on a failure or mismatch."""
    checksums = FULL_MNIST_SHA256 if checksums is None else dict(checksums)
    missing = [n for n in MNIST_FILES.values() if n not in checksums]
    if missing:
        raise ValueError(f"checksums must give a sha256 for every MNIST file; missing {', '.join(missing)}")
    dest = pathlib.Path(os.path.expanduser(str(dest_dir)))
    dest.mkdir(parents=True, exist_ok=True)
    if not base_url.endswith("/"):
        base_url += "/"
    from .mnist import sha256_file

    for name in MNIST_FILES.values():
        target = dest / name
        if target.exists() and not overwrite and sha256_file(target) == checksums[name]:
            continue
        if progress is not None:
            progress(f"downloading {base_url + name}")
        _fetch(base_url + name, target, checksums[name], timeout)
    return dest

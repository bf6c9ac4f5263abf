"""IDX loader, bundled MNIST subset, and the checksum-verified downloader (against a local HTTP server)."""

import functools
import gzip
import http.server
import shutil
import struct
import threading

import numpy as np
import pytest

from tangent_fwd.data import DataError, download_mnist, load_idx, load_mnist
from tangent_fwd.data.mnist import BUNDLED_SHA256, MNIST_FILES, bundled_dir


def _idx(magic, shape, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", s) for s in shape) + payload


def _write_split(d, n_img=3, n_lab=3, gz=True):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (n_img, 28, 28), dtype=np.uint8)
    labs = rng.integers(0, 10, n_lab, dtype=np.uint8)
    files = {
        "train-images-idx3-ubyte": _idx(2051, imgs.shape, imgs.tobytes()),
        "train-labels-idx1-ubyte": _idx(2049, labs.shape, labs.tobytes()),
        "t10k-images-idx3-ubyte": _idx(2051, imgs.shape, imgs.tobytes()),
        "t10k-labels-idx1-ubyte": _idx(
            2049, (n_img,), labs[:n_img].tobytes() if n_lab >= n_img else labs.tobytes() + bytes(n_img - n_lab)
        ),
    }
    for name, data in files.items():
        if gz:
            (d / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (d / name).write_bytes(data)
    return imgs, labs


def test_bundled_subset():
    x, y, xt, yt = load_mnist()
    assert x.shape == (4000, 784) and xt.shape == (1000, 784)
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() == 1.0
    assert np.bincount(y).tolist() == [396, 387, 403, 414, 398, 391, 392, 395, 408, 416]
    assert np.bincount(yt).tolist() == [104, 113, 97, 86, 102, 109, 108, 105, 92, 84]


def test_load_idx_gzip_and_raw_round_trip(tmp_path):
    arr = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    raw = _idx(2051, arr.shape, arr.tobytes())
    (tmp_path / "a").write_bytes(raw)
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    for p in ("a", "a.gz"):
        out = load_idx(tmp_path / p)
        assert out.dtype == np.uint8 and np.array_equal(out, arr)


def test_load_mnist_from_dir_raw_files(tmp_path):
    imgs, labs = _write_split(tmp_path, gz=False)
    x, y, xt, yt = load_mnist(tmp_path)
    assert np.allclose(x, imgs.reshape(3, -1) / 255.0) and np.array_equal(y, labs)


@pytest.mark.parametrize(
    "data, problem",
    [
        (_idx(2052, (1, 28, 28), bytes(784)), "bad magic number 2052"),
        (_idx(2051, (2, 28, 28), bytes(784)), "truncated payload"),
        (struct.pack(">I", 2051) + b"\x00\x00", "truncated header"),
        (b"\x00\x00", "truncated header"),
        (_idx(2051, (1, 28, 28), bytes(785)), "trailing bytes"),
    ],
)
def test_load_idx_rejects_bad_files(tmp_path, data, problem):
    p = tmp_path / "bad.gz"
    p.write_bytes(gzip.compress(data))
    with pytest.raises(DataError, match=problem) as e:
        load_idx(p)
    assert str(p) in str(e.value)
    assert isinstance(e.value, ValueError)


def test_corrupt_gzip(tmp_path):
    good = gzip.compress(_idx(2049, (100,), bytes(100)))
    p = tmp_path / "labels.gz"
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="corrupt gzip") as e:
        load_idx(p)
    assert str(p) in str(e.value)
    p.write_bytes(good[:12] + bytes(len(good) - 12))
    with pytest.raises(DataError, match="corrupt gzip"):
        load_idx(p)


def test_mismatched_counts_and_wrong_kind(tmp_path):
    _write_split(tmp_path, n_img=3, n_lab=4)
    with pytest.raises(DataError, match="3 images but .*4 labels"):
        load_mnist(tmp_path)
    d2 = tmp_path / "swap"
    d2.mkdir()
    _write_split(d2)
    shutil.copy(d2 / "train-labels-idx1-ubyte.gz", d2 / "train-images-idx3-ubyte.gz")
    with pytest.raises(DataError, match="should hold images"):
        load_mnist(d2)
    with pytest.raises(DataError, match="not found"):
        load_mnist(tmp_path / "nope")


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    for name in MNIST_FILES.values():
        shutil.copy(bundled_dir() / name, root / name)
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_verifies_and_loads(server, tmp_path):
    root, url = server
    dest = download_mnist(tmp_path / "dl", base_url=url, checksums=BUNDLED_SHA256)
    a = load_mnist(dest)
    b = load_mnist()
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert sorted(p.name for p in dest.iterdir()) == sorted(MNIST_FILES.values())


def test_download_tampered_file_leaves_nothing(server, tmp_path):
    root, url = server
    p = root / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(p.read_bytes())
    data[-1] ^= 0xFF
    p.write_bytes(bytes(data))
    dest = tmp_path / "dl"
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz.*sha256.*does not match"):
        download_mnist(dest, base_url=url, checksums=BUNDLED_SHA256)
    assert not (dest / "t10k-labels-idx1-ubyte.gz").exists()
    assert not [q for q in dest.iterdir() if q.name.endswith(".part")]


def test_download_default_checksums_reject_subset(server, tmp_path):
    # the bundled subset is not the full MNIST: the published sums must refuse it
    root, url = server
    with pytest.raises(DataError, match="does not match"):
        download_mnist(tmp_path / "dl", base_url=url)
    assert list((tmp_path / "dl").iterdir()) == []


def test_download_http_error(server, tmp_path):
    root, url = server
    (root / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match="download failed"):
        download_mnist(tmp_path / "dl", base_url=url, checksums=BUNDLED_SHA256)
    assert not (tmp_path / "dl" / "train-images-idx3-ubyte.gz").exists()


# ---------------------------------------------------------------------------------------- bad inputs
def test_zero_images_is_a_data_error_naming_the_file(tmp_path):
    _write_split(tmp_path, n_img=0, n_lab=0)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: holds 0 images") as e:
        load_mnist(tmp_path)
    assert str(tmp_path) in str(e.value)


def test_images_of_another_size_are_refused(tmp_path):
    for prefix in ("train", "t10k"):
        imgs = np.zeros((2, 32, 32), np.uint8)
        (tmp_path / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(2051, imgs.shape, imgs.tobytes())))
        (tmp_path / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(2049, (2,), bytes(2))))
    with pytest.raises(
        DataError, match=r"train-images-idx3-ubyte.gz: images are 32x32 pixels; the models take .*28x28"
    ):
        load_mnist(tmp_path)


def test_overflowing_header_reads_as_truncated_not_trailing_bytes(tmp_path):
    p = tmp_path / "huge"
    p.write_bytes(_idx(2051, (0xFFFFFFFF, 0xFFFFFFFF, 0x10000), bytes(100)))  # 2^80 bytes: int64 wraps to 0
    with pytest.raises(
        DataError, match=r"truncated or corrupt: the header's sizes 4294967295 x 4294967295 x 65536"
    ) as e:
        load_idx(p)
    assert "trailing" not in str(e.value) and str(p) in str(e.value)


def test_data_dir_that_is_a_file(tmp_path):
    f = tmp_path / "mnist.gz"
    f.write_bytes(b"x")
    with pytest.raises(DataError, match="is a file; --data-dir takes the folder"):
        load_mnist(f)


# ------------------------------------------------------------------------------------------ downloader
def _file_url(root):
    return root.as_uri() + "/"


def _bundled_mirror(tmp_path):
    root = tmp_path / "mirror"
    root.mkdir()
    for name in MNIST_FILES.values():
        shutil.copy(bundled_dir() / name, root / name)
    return root


class _CutHandler(http.server.BaseHTTPRequestHandler):
    """Announces the full file, sends half of it and closes the connection."""

    root = None

    def do_GET(self):
        data = (self.root / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_cut_connection_is_reported_as_incomplete(tmp_path):
    root = _bundled_mirror(tmp_path)
    handler = type("H", (_CutHandler,), {"root": root})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DataError, match=r"incomplete download: got ([\d,]+) of ([\d,]+) bytes") as e:
            download_mnist(
                tmp_path / "dl", base_url=f"http://127.0.0.1:{httpd.server_address[1]}/", checksums=BUNDLED_SHA256
            )
    finally:
        httpd.shutdown()
        httpd.server_close()
    size = (root / "train-images-idx3-ubyte.gz").stat().st_size
    assert f"got {size // 2:,} of {size:,} bytes" in str(e.value) and "sha256" not in str(e.value)
    assert list((tmp_path / "dl").iterdir()) == []


@pytest.mark.parametrize("url", ["mirror.example.org/mnist", "ftp://mirror.example.org/", ""])
def test_bad_base_url_is_a_data_error(tmp_path, url):
    with pytest.raises(DataError, match="--base-url .*http://, https:// or file://"):
        download_mnist(tmp_path / "dl", base_url=url, checksums=BUNDLED_SHA256)


def test_download_target_that_is_a_file_or_unwritable(tmp_path, monkeypatch):
    f = tmp_path / "afile"
    f.write_text("")
    url = _file_url(_bundled_mirror(tmp_path))
    with pytest.raises(DataError, match="afile: is a file; --download takes a folder"):
        download_mnist(f, base_url=url, checksums=BUNDLED_SHA256)
    with pytest.raises(DataError, match="a part of this path is a file"):
        download_mnist(f / "sub", base_url=url, checksums=BUNDLED_SHA256)
    from tangent_fwd.data import download

    monkeypatch.setattr(download.os, "access", lambda *a: False)  # a read-only folder (root writes anywhere)
    with pytest.raises(DataError, match="the download folder is not writable"):
        download_mnist(tmp_path / "ro", base_url=url, checksums=BUNDLED_SHA256)


def test_downloaded_files_get_the_umask_mode_and_stale_parts_are_removed(tmp_path):
    import os
    import stat
    import subprocess

    dest = tmp_path / "dl"
    dest.mkdir()
    name = "train-images-idx3-ubyte.gz"
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [dest / f".{name}.{dead.pid}.abc123.part", dest / f".{name}.k2j3h4.part"]  # dead writer, no pid
    live = dest / f".{name}.{os.getppid()}.xyz.part"  # a download still running elsewhere
    for p in stale + [live]:
        p.write_bytes(b"partial")
    notes = []
    old = os.umask(0o022)
    try:
        download_mnist(
            dest, base_url=_file_url(_bundled_mirror(tmp_path)), checksums=BUNDLED_SHA256, progress=notes.append
        )
    finally:
        os.umask(old)
    for n in MNIST_FILES.values():
        assert stat.S_IMODE((dest / n).stat().st_mode) == 0o644
    assert not any(p.exists() for p in stale) and live.exists()
    assert sum("left by an interrupted download" in m for m in notes) == 2


def test_cli_download_errors_are_clean(tmp_path, capsys):
    from tangent_fwd import cli

    f = tmp_path / "afile"
    f.write_text("")
    assert cli.main(["data", "mnist", "--download", str(tmp_path / "d"), "--base-url", "nonsense"]) == 1
    assert cli.main(["data", "mnist", "--download", str(f), "--base-url", _file_url(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--base-url 'nonsense/'" not in err
    assert "data error: --base-url 'nonsense'" in err and "is a file" in err

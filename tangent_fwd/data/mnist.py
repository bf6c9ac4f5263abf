"""IDX reader and MNIST loader.

IDX format (LeCun): a big-endian header ``0x00 0x00 <dtype> <ndim>`` followed by ``ndim`` uint32 sizes,
then the payload. MNIST uses dtype 0x08 (uint8): magic 2051 (= 0x0803) for images (N, 28, 28) and
2049 (= 0x0801) for labels (N,). Files may be gzip-compressed (detected from the gzip magic bytes).
"""

import gzip
import hashlib
import math
import os
import pathlib
import zlib

import numpy as np

from . import DataError

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# sha256 of the bundled 5,000-image subset (see tangent_fwd/data/mnist/README.md)
BUNDLED_SHA256 = {
    "train-images-idx3-ubyte.gz": "3ce2fef53171198e089e5d9a03505b6c72f15911ed8f7f60bce43a4254667600",
    "train-labels-idx1-ubyte.gz": "8c19834ac446f9cc9bf2bbc083167029cfaf833ca830f5b0c84f6a21e1ed9b3f",
    "t10k-images-idx3-ubyte.gz": "c630b28af32a9578baaa6da545da5fb7e4c9e63021ba58c76c01019449de3c79",
    "t10k-labels-idx1-ubyte.gz": "781f881f5f393676a7070f2c6a62e26358221dd0dc6f5cc643abfd647489a88a",
}

IMAGE_SHAPE = (28, 28)  # the models' input is 784 = 28 x 28 pixels (the CNN's conv layout too)
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
_MAGIC_NDIM = {IMAGE_MAGIC: 3, LABEL_MAGIC: 1}


def bundled_dir():
    """Folder of the bundled 5k MNIST subset (package data)."""
    return pathlib.Path(__file__).resolve().parent / "mnist"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_bundled():
    """Check the bundled files against the sha256 sums in their README; raise DataError on a mismatch."""
    d = bundled_dir()
    for name, want in BUNDLED_SHA256.items():
        path = d / name
        if not path.is_file():
            raise DataError(f"{path}: bundled MNIST file is missing (reinstall tangent_fwd)")
        got = sha256_file(path)
        if got != want:
            raise DataError(f"{path}: sha256 {got} does not match the bundled checksum {want}")


def _read_bytes(path):
    path = pathlib.Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path}: corrupt gzip data ({e})") from None
    return raw


def load_idx(path, expected_magic=None):
    """Read an IDX file (gzip or raw) with uint8 payload. Returns a uint8 array shaped by its header.

    Raises :class:`DataError` naming the file for an unknown/unexpected magic number, a short header,
    or a payload that is truncated or longer than the header says (sizes are multiplied exactly, so a
    header whose sizes overflow 64 bits reads as the impossible size it is)."""
    path = pathlib.Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataError(f"{path}: truncated header ({len(raw)} bytes, need at least 4)")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in _MAGIC_NDIM:
        raise DataError(
            f"{path}: bad magic number {magic} (0x{magic:08x}); expected {IMAGE_MAGIC} for "
            f"images or {LABEL_MAGIC} for labels (uint8 IDX)"
        )
    if expected_magic is not None and magic != expected_magic:
        kind = "images" if expected_magic == IMAGE_MAGIC else "labels"
        raise DataError(f"{path}: magic number {magic} but this file should hold {kind} (magic {expected_magic})")
    ndim = _MAGIC_NDIM[magic]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated header ({len(raw)} bytes, need {header})")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    need = math.prod(shape)
    have = len(raw) - header
    if have < need:
        raise DataError(
            f"{path}: truncated or corrupt: the header's sizes {' x '.join(map(str, shape))} need {need:,} "
            f"bytes of payload, the file has {have:,} (truncated payload)"
        )
    if have > need:
        raise DataError(f"{path}: {have - need} unexpected trailing bytes after the {shape} payload")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def _load_split(d, images_name, labels_name):
    images = load_idx(d / images_name, IMAGE_MAGIC)
    if images.shape[0] == 0:
        raise DataError(f"{d / images_name}: holds 0 images; a training or test set needs at least one")
    if images.shape[1:] != IMAGE_SHAPE:
        raise DataError(
            f"{d / images_name}: images are {images.shape[1]}x{images.shape[2]} pixels; the models take MNIST's "
            f"{IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]} (resize the images first)"
        )
    labels = load_idx(d / labels_name, LABEL_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{d / images_name} has {images.shape[0]} images but {d / labels_name} has {labels.shape[0]} labels"
        )
    if labels.size and labels.max() > 9:
        raise DataError(f"{d / labels_name}: label {int(labels.max())} is out of range 0..9")
    x = images.reshape(images.shape[0], -1).astype(np.float32)
    x *= np.float32(1.0 / 255.0)
    return x, labels.astype(np.int64)


def load_mnist(data_dir=None, verify=True):
    """Load MNIST as ``(x_train, y_train, x_test, y_test)``: float32 images in [0, 1] flattened to
    (N, 784) and int64 labels.

    ``data_dir=None`` loads the bundled 5,000-image subset (4,000 train / 1,000 test), checking its sha256
    sums when ``verify``; otherwise a folder holding the four standard file names (gzip or raw: a name
    without ``.gz`` is used when the ``.gz`` one is absent), e.g. the full MNIST from ``download_mnist``."""
    if data_dir is None:
        d = bundled_dir()
        if verify:
            verify_bundled()
    else:
        d = pathlib.Path(os.path.expanduser(str(data_dir)))
        if d.exists() and not d.is_dir():
            raise DataError(f"{d}: is a file; --data-dir takes the folder that holds the four MNIST IDX files")
        if not d.is_dir():
            raise DataError(f"{d}: data directory not found")
    names = {}
    for key, name in MNIST_FILES.items():
        if not (d / name).exists() and (d / name[:-3]).exists():
            name = name[:-3]
        names[key] = name
    x_train, y_train = _load_split(d, names["train_images"], names["train_labels"])
    x_test, y_test = _load_split(d, names["test_images"], names["test_labels"])
    return x_train, y_train, x_test, y_test

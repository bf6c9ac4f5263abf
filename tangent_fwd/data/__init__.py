"""Datasets for the forward-gradient training examples (MNIST in IDX format)."""


class DataError(ValueError):
    """A data file is missing, malformed, truncated, or fails its checksum. The message names the file."""


from .download import FULL_MNIST_SHA256, download_mnist  # noqa: E402
from .mnist import MNIST_FILES, bundled_dir, load_idx, load_mnist, verify_bundled  # noqa: E402

__all__ = [
    "DataError",
    "load_idx",
    "load_mnist",
    "download_mnist",
    "bundled_dir",
    "verify_bundled",
    "MNIST_FILES",
    "FULL_MNIST_SHA256",
]

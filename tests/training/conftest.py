"""Fixtures of the training-side tests (their helpers are in training_support.py)."""

import pytest
from training_support import write_idx_split


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory):
    return write_idx_split(tmp_path_factory.mktemp("tiny_mnist"))

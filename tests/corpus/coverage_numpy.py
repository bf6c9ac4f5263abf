"""Coverage corpus: coverage_numpy (issue 13). Realistic functions written the way users write them."""

import math  # noqa: F401

import numpy as np  # noqa: F401

from . import case  # noqa: F401

REFUSAL_OK = set()

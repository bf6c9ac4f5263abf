import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))


def cupy_available():
    """True when CuPy imports and has a usable CUDA device (importing CuPy alone proves nothing)."""
    try:
        import cupy

        return bool(cupy.is_available())
    except Exception:
        return False

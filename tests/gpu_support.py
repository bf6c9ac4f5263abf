"""Whether a real GPU is usable, for tests marked ``gpu`` (a module of its own: ``from conftest import``
is ambiguous once a test folder has a conftest.py of its own)."""


def cupy_available():
    """True when CuPy imports and has a usable CUDA device (importing CuPy alone proves nothing)."""
    try:
        import cupy

        return bool(cupy.is_available())
    except Exception:
        return False

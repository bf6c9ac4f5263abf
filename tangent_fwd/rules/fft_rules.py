"""JVP rules for fft (registered on import by rules/__init__)."""

"""JVP rules for linalg (registered on import by rules/__init__)."""

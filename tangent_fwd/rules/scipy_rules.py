"""JVP rules for scipy (registered on import by rules/__init__)."""

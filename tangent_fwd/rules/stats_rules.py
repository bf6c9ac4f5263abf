"""JVP rules for stats (registered on import by rules/__init__)."""

"""Deterministic, hygienic names for generated code: derived from the user's names, never colliding."""


class Namer:
    """Hands out names that collide neither with ``reserved`` nor with each other.

    Names derive from the user's (``dx`` for ``x``); the same sequence of requests always gives the
    same names, so generated source is byte-identical from run to run.
    """

    def __init__(self, reserved=()):
        self.taken = set(reserved)
        self.temps = set()  # names handed out by temp(): compiler temporaries
        self._temp_from = 1  # t1 .. t{_temp_from - 1} are all taken (taken only grows): temp() starts here

    def reserve(self, name):
        self.taken.add(name)

    def fresh(self, base):
        base = base or "t"
        if base not in self.taken:
            self.taken.add(base)
            return base
        k = 1
        while f"{base}_{k}" in self.taken:
            k += 1
        name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def tangent(self, primal):
        return self.fresh("d" + primal if not primal.startswith("_") else "d" + primal)

    def temp(self):
        k = self._temp_from
        while f"t{k}" in self.taken:
            k += 1
        self._temp_from = k + 1
        name = f"t{k}"
        self.taken.add(name)
        self.temps.add(name)
        return name

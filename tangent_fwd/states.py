"""The states a name's tangent can be in while the transform walks a function, and how two control-flow
paths join. One module, so that the dense walker (transform.py) and the factored strategy
(factored.py) agree on them.
"""

import enum


class State(enum.Enum):
    ZERO = "zero"  # no tangent variable: the tangent is symbolically zero
    LIVE = "live"  # the tangent variable holds the tangent
    MAYBE = "maybe"  # the tangent variable holds None (a zero) or the tangent: settled before a use
    FACTORED = "factored"  # the tangent variable holds a lowrank.LowRank (see factored.py)

    def __repr__(self):
        return self.name


ZERO, LIVE, MAYBE, FACTORED = State.ZERO, State.LIVE, State.MAYBE, State.FACTORED


class Fix(enum.Enum):
    """What the path whose state was ZERO must do before two paths with different states can join."""

    NONE = "nothing"
    SET_NONE = "assign None to the tangent variable (the other path may hold a value: MAYBE)"
    MATERIALIZE = "assign zeros to the tangent variable (the other path holds a value: LIVE)"


def join(a, b):
    """The state after two paths that leave a name in states ``a`` and ``b`` (None: the path does not
    know the name), and what the ZERO side must emit first."""
    if a is None or b is None or a == b:
        return a or b, Fix.NONE
    if MAYBE in (a, b):
        return MAYBE, (Fix.SET_NONE if ZERO in (a, b) else Fix.NONE)
    return LIVE, Fix.MATERIALIZE

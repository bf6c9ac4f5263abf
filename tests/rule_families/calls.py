"""Rule cases for the helpers behind calls through function values (tangent_fwd/rules/call_rules.py)."""

from rule_cases import Z, a

from tangent_fwd import callables


def z_stable_order(x):
    items = [x[0], x[1], x[2]]
    return callables.stable_order(items, abs, True)  # which permutation: no tangent


def z_best_index(x):
    items = [x[0], x[1], x[2]]
    return callables.best_index(items, None, False)  # which item: no tangent


CASES = {
    callables.stable_order: [Z(z_stable_order, a(3))],
    callables.best_index: [Z(z_best_index, a(3))],
}

"""Rule cases for the record helpers of tangent_fwd/records.py that generated code calls: the run-time
check before an array rule (check_receiver) and a property's getter (property_getter), both zero rules
(a check and a choice of function, with no tangent of their own)."""

import dataclasses

from rule_cases import Z, a

from tangent_fwd import records


@dataclasses.dataclass
class _Scaled:
    x: float

    @property
    def doubled(self):
        return self.x * 2.0


def z_check_receiver(x):
    records.check_receiver(x, "sum", "here")  # an array: nothing to refuse
    return x.sum() * 0.0 + float(records.check_receiver(x, "mean", "here") is None)


def z_property_getter(x):
    getter = records.property_getter(_Scaled(x[0]), "doubled", "here")  # which function: no tangent
    return float(len(getter.__name__))


CASES = {
    records.check_receiver: [Z(z_check_receiver, a(3))],
    records.property_getter: [Z(z_property_getter, a(2))],
}

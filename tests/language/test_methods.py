"""Bound methods, staticmethod, classmethod, callable objects and methods called on instances, given to
the API or called inside differentiated code; attribute reads of self are inactive, writes refused."""

import functools

import numpy as np
import pytest
from lang_check import check_all

import tangent_fwd as tf

X = np.array([0.4, -0.3, 0.9])


class Model:
    def __init__(self):
        self.W = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.6]])
        self.b = np.array([0.1, -0.1])
        self.activation = np.tanh

    def forward(self, x):
        return self.activation(self.W @ x + self.b)

    def loss(self, x, target=0.2):
        return np.sum((self.forward(x) - target) ** 2)

    def __call__(self, x):
        return self.loss(x) * 0.5

    @staticmethod
    def reg(x):
        return 0.1 * np.sum(x**2)

    @classmethod
    def scaled(cls, x):
        return cls.SCALE * np.sum(np.sin(x))

    SCALE = 3.0

    def remember(self, x):
        self.last = x * 2.0  # a differentiated value written to an attribute: refused
        return np.sum(self.last)


class SGD:
    """An optimiser taking the loss as a function (a bound method), as user code does."""

    def __init__(self, loss, lr):
        self.loss, self.lr = loss, lr

    def objective(self, x):
        return self.loss(x) + self.lr * np.sum(x)


MODEL = Model()


def test_bound_method_given_to_jvp_and_forward_diff():
    # used to fail with a confusing missing-argument TypeError
    check_all(MODEL.loss, (X,))
    check_all(Model().forward, (X,), hessian=False)
    value, tangent = tf.forward_diff(MODEL.loss)(X, np.ones(3))
    assert value == MODEL.loss(X)


def test_bound_method_with_a_keyword_default():
    check_all(functools.partial(MODEL.loss, target=-0.5), (X,))


def test_staticmethod_classmethod_and_callable_object():
    check_all(Model.reg, (X,))
    check_all(MODEL.scaled, (X,))
    check_all(Model.scaled, (X,))
    check_all(MODEL, (X,))


def test_methods_called_on_instances_inside_user_code():
    def f(x):
        return MODEL.loss(x) + Model.reg(x) + MODEL.scaled(x) + MODEL(x)

    check_all(f, (X,))


def test_self_methods_and_attribute_reads_are_inactive():
    # forward reads self.W, self.b and calls self.activation: no tangent flows through them
    value, tangent = tf.jvp(MODEL.forward, (X,), (np.zeros(3),))
    assert np.all(tangent == 0) and np.array_equal(value, MODEL.forward(X))


def test_optimiser_taking_a_bound_method():
    opt = SGD(MODEL.loss, 0.05)
    check_all(opt.objective, (X,))


def test_method_of_an_instance_passed_as_a_parameter():
    def total(model, x):
        return model.loss(x) + model(x)

    check_all(lambda x: total(MODEL, x), (X,))


def test_write_of_a_differentiated_value_to_an_attribute_is_refused():
    with pytest.raises(tf.TransformError) as info:
        tf.jvp(MODEL.remember, (X,), (np.ones(3),))
    msg = str(info.value)
    assert "test_methods.py:" in msg and "attribute" in msg and "hint:" in msg

    def f(x):
        return MODEL.remember(x)

    with pytest.raises(tf.TransformError) as info:
        tf.jvp(f, (X,), (np.ones(3),))
    assert "test_methods.py:" in str(info.value) and "attribute" in str(info.value)


def test_rebinding_a_method_regenerates_the_code():
    class Local:
        def val(self, x):
            return np.sum(x**2)

    obj = Local()

    def f(x):
        return obj.val(x)

    assert tf.jvp(f, (X,), (np.ones(3),))[1] == pytest.approx(np.sum(2 * X))
    Local.val = lambda self, x: np.sum(x**3)
    assert tf.jvp(f, (X,), (np.ones(3),))[1] == pytest.approx(np.sum(3 * X**2))


class _Base:
    def __init__(self):
        self.w = 1.5

    def loss(self, x):
        return np.sum(self.w * x**2)

    def helper(self, x):
        return np.sin(x)


class _Child(_Base):
    def loss(self, x):
        return super().loss(x) + np.sum(self.helper(x))

    def total(self, x):
        return sum(self.loss(v) for v in (x, 2.0 * x))


def test_inherited_methods_and_super():
    child = _Child()
    check_all(child.loss, (X,))
    check_all(child.total, (X,))

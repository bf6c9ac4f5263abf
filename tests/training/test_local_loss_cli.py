"""``--perturb {weights,activations} --local-losses --heads {fg,exact}`` on ``tangent-fwd train`` and
``compare`` (issue 18): the first SGD step of a run equals the step computed independently from the
estimator or backprop baseline it claims to use (same seed, same batch), the configuration is recorded,
and the combinations without a meaning (or not supported, as ``--distributed``) are usage errors."""

import json

import numpy as np
import pytest

from tangent_fwd import cli
from tangent_fwd.training import local_losses as L
from tangent_fwd.training import models
from tangent_fwd.training.forward_gradient import forward_gradient
from tangent_fwd.training.runner import TrainConfig, train

W, LR, BS = 8, 0.05, 16


def _data(seed=0, n=48):
    r = np.random.default_rng(seed)
    x = r.random((n, 784), dtype=np.float32)
    y = r.integers(0, 10, n)
    return x, y, x[:16], y[:16]


def _first_batch(data, seed):
    idx = np.random.default_rng([seed, 2]).permutation(len(data[0]))[:BS]
    return data[0][idx], data[1][idx]


def _one_step(**kw):
    data = _data()
    cfg = TrainConfig(model="mlp", width=W, lr=LR, decay=0.0, batch_size=BS, max_steps=1, epochs=1, **kw)
    result = train(cfg, data=data, progress=False, log=None)
    return result, data


def _expected(init, grad_fn, data, seed=0):
    p = init(seed, width=W)
    xb, yb = _first_batch(data, seed)
    _, g = grad_fn(p, xb, yb)
    return {k: v - LR * g[k] for k, v in p.items()}


def _assert_params(result, expected):
    assert set(result["params"]) == set(expected)
    for k, v in expected.items():
        np.testing.assert_allclose(result["params"][k], v, rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("heads", ["fg", "exact"])
def test_activity_perturbed_local_loss_step_is_the_estimators(heads):
    result, data = _one_step(perturb="activations", local_losses=True, heads=heads, distribution="rademacher")
    exact = L.exact_heads() if heads == "exact" else None
    g = forward_gradient(
        L.local_mlp_losses, perturb="activations", rng=np.random.default_rng([0, 1]), exact=exact,
        distribution="rademacher",
    )  # fmt: skip
    _assert_params(result, _expected(L.local_mlp_init, g, data))
    assert result["config"]["heads"] == heads and result["config"]["local_losses"] is True
    assert {"H1", "c1", "H2", "c2"} <= set(result["params"])  # the heads are trained with the blocks


def test_activity_perturbation_of_the_end_to_end_loss_with_k_directions():
    result, data = _one_step(perturb="activations", directions=4)
    g = forward_gradient(L.mlp_losses, perturb="activations", rng=np.random.default_rng([0, 1]), directions=4)
    _assert_params(result, _expected(models.mlp_init, g, data))
    assert result["config"]["heads"] is None and "H1" not in result["params"]


def test_backprop_with_local_losses_uses_the_local_backward_passes():
    result, data = _one_step(method="backprop", local_losses=True)
    _assert_params(result, _expected(L.local_mlp_init, L.local_mlp_loss_and_grad, data))


def test_local_cnn_trains_and_its_heads_default_to_exact(tmp_path):
    data = _data(1)
    cfg = TrainConfig(model="cnn", channels=2, hidden=4, perturb="activations", local_losses=True, max_steps=2)
    cfg.batch_size, cfg.lr, cfg.decay = 8, 0.01, 0.0
    result = train(cfg, data=data, progress=False, log=None)
    assert result["config"]["heads"] == "exact" and result["status"] == "ok" and result["steps"] == 2
    assert {"H1", "H2", "K"} <= set(result["params"])


def test_cli_train_and_compare_record_the_options(tiny_mnist, tmp_path, capsys):
    base = ["--data-dir", str(tiny_mnist), "--model", "mlp", "--width", "8", "--max-steps", "2", "--no-progress"]
    args = ["--perturb", "activations", "--local-losses", "--heads", "fg"]
    assert cli.main(["train", *base, *args, "--out-dir", str(tmp_path / "t")]) == 0
    cfg = json.loads((tmp_path / "t" / "mlp_forward_sgd.json").read_text())["config"]
    assert (cfg["perturb"], cfg["local_losses"], cfg["heads"]) == ("activations", True, "fg")
    assert cli.main(["compare", *base, *args, "--out-dir", str(tmp_path / "c")]) == 0
    runs = json.loads((tmp_path / "c" / "compare_mlp.json").read_text())["runs"]
    f, b = runs["forward"]["config"], runs["backprop"]["config"]
    assert (f["perturb"], f["local_losses"], f["heads"]) == ("activations", True, "fg")
    assert (b["perturb"], b["local_losses"], b["heads"]) == ("weights", True, None)  # local backprop
    assert runs["forward"]["n_params"] == runs["backprop"]["n_params"]  # the same local-loss model
    capsys.readouterr()


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--perturb", "activations"], "apply to the mlp and cnn models"),
        (["train", "--model", "mlp", "--local-losses"], "--local-losses with forward gradients needs --perturb"),
        (["train", "--model", "mlp", "--perturb", "activations", "--heads", "fg"], "--heads applies to"),
        (["train", "--model", "mlp", "--perturb", "activations", "--rank", "1"], "--rank"),
        (["train", "--model", "mlp", "--method", "backprop", "--perturb", "activations"], "--perturb: forward-grad"),
        (["train", "--model", "mlp", "--method", "backprop", "--local-losses", "--heads", "exact"], "--heads"),
        (["compare", "--model", "mlp", "--local-losses"], "--local-losses with forward gradients needs"),
        (["train", "--distributed", "--model", "mlp", "--perturb", "activations"], "not supported with --distributed"),
        (["train", "--distributed", "--model", "mlp", "--local-losses"], "--local-losses: not supported with"),
        (["train", "--perturb", "gradients"], "invalid choice"),
    ],
)
def test_combinations_without_a_meaning_are_usage_errors(args, message, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and f"usage: tangent-fwd {args[0]} " in err

"""End-to-end `tangent-fwd` runs on the bundled data (a few steps each) and argument errors."""

import functools
import http.server
import json
import shutil
import threading

import numpy as np
import pytest

from tangent_fwd import cli
from tangent_fwd.data.mnist import MNIST_FILES, bundled_dir


def _json(path):
    return json.loads(path.read_text())


def test_train_forward_logreg(tmp_path, capsys):
    rc = cli.main(
        [
            "train",
            "--model",
            "logreg",
            "--epochs",
            "2",
            "--max-steps",
            "70",
            "--lr",
            "0.003",
            "--out-dir",
            str(tmp_path),
            "--seed",
            "1",
        ]
    )
    assert rc == 0
    out = capsys.readouterr()
    assert "test accuracy" in out.out
    data = _json(tmp_path / "logreg_forward_sgd.json")
    assert (tmp_path / "logreg_forward_sgd.png").stat().st_size > 10_000
    assert data["status"] == "ok" and data["steps"] == 70
    assert len(data["losses"]) == 70 and data["iterations"][-1] == 70
    assert len(data["epochs"]) == 2 and 0.1 < data["epochs"][-1]["test_accuracy"] <= 1.0
    assert np.all(np.diff(data["times"]) > 0)
    assert data["config"]["lr"] == 0.003 and data["config"]["method"] == "forward"
    assert data["losses"][-1] < data["losses"][0]
    assert "step/s" in out.err or "it/s" in out.err or "logreg/forward/sgd" in out.err  # tqdm bar


def test_train_reproducible(tmp_path):
    args = ["train", "--max-steps", "20", "--no-progress", "--distribution", "rademacher", "--optimizer", "adam"]
    assert cli.main(args + ["--out-dir", str(tmp_path / "a")]) == 0
    assert cli.main(args + ["--out-dir", str(tmp_path / "b")]) == 0
    a, b = (_json(tmp_path / d / "logreg_forward_adam.json") for d in "ab")
    assert a["losses"] == b["losses"]


def test_compare_mlp_tiny(tmp_path, capsys):
    rc = cli.main(
        [
            "compare",
            "--model",
            "mlp",
            "--width",
            "16",
            "--max-steps",
            "6",
            "--lr",
            "1e-3",
            "--optimizer",
            "momentum",
            "--out-dir",
            str(tmp_path),
            "--no-progress",
            "--directions",
            "2",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "T_f/T_b" in out and "forward" in out and "backprop" in out
    data = _json(tmp_path / "compare_mlp.json")
    assert set(data["runs"]) == {"forward", "backprop"}
    assert data["tf_over_tb"] > 0
    assert data["runs"]["backprop"]["method"] == "backprop" and data["runs"]["forward"]["steps"] == 6
    assert (tmp_path / "compare_mlp.png").exists()


def test_vectorized_directions_same_run(tmp_path):
    base = ["train", "--model", "mlp", "--width", "8", "--max-steps", "5", "--directions", "3", "--no-progress"]
    assert cli.main(base + ["--out-dir", str(tmp_path / "seq")]) == 0
    assert cli.main(base + ["--vectorized", "--out-dir", str(tmp_path / "vec")]) == 0
    a, b = (_json(tmp_path / d / "mlp_forward_sgd.json") for d in ("seq", "vec"))
    assert b["config"]["vectorized"] is True
    assert np.allclose(a["losses"], b["losses"], rtol=1e-4)


def test_cnn_backprop_and_forward(tmp_path):
    for method in ("backprop", "forward"):
        rc = cli.main(
            [
                "train",
                "--model",
                "cnn",
                "--method",
                method,
                "--channels",
                "2",
                "--hidden",
                "8",
                "--max-steps",
                "2",
                "--batch-size",
                "8",
                "--lr",
                "1e-3",
                "--out-dir",
                str(tmp_path),
                "--no-progress",
            ]
        )
        assert rc == 0
        assert _json(tmp_path / f"cnn_{method}_sgd.json")["n_params"] == 18 + 2 + 13 * 13 * 2 * 8 + 8 + 80 + 10


def test_divergence_stops_with_message(tmp_path, capsys):
    rc = cli.main(
        [
            "train",
            "--model",
            "logreg",
            "--method",
            "backprop",
            "--lr",
            "1e38",
            "--max-steps",
            "50",
            "--out-dir",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert rc == 1
    err = capsys.readouterr().err
    assert "at step" in err and "smaller --lr" in err
    data = _json(tmp_path / "logreg_backprop_sgd.json")
    assert data["status"] == "diverged" and "at step" in data["message"]
    assert data["steps"] < 50 and (tmp_path / "logreg_backprop_sgd.png").exists()


@pytest.mark.parametrize(
    "args, msg",
    [
        (["train", "--model", "resnet"], "invalid choice: 'resnet' (choose from 'logreg', 'mlp', 'cnn')"),
        (["train", "--optimizer", "rmsprop"], "choose from 'sgd', 'momentum', 'adam'"),
        (["train", "--method", "both"], "choose from 'forward', 'backprop'"),
        (["compare", "--distribution", "cauchy"], "choose from 'normal', 'rademacher'"),
        (["train", "--backend", "torch"], "choose from 'auto', 'numpy', 'cupy'"),
        (["train", "--lr", "0"], "--lr must be a positive number"),
        (["train", "--lr=-1e-3"], "--lr must be a positive number"),
        (["train", "--lr", "nan"], "--lr must be a positive number"),
        (["train", "--batch-size", "0"], "--batch-size must be a positive integer"),
        (["compare", "--batch-size=-5"], "--batch-size must be a positive integer"),
        (["train", "--epochs", "x"], "--epochs must be an integer"),
        (["train", "--decay=-1"], "--decay must be a non-negative number"),
        ([], "required"),
    ],
)
def test_argument_errors(args, msg, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(args)
    assert e.value.code == 2
    assert msg in capsys.readouterr().err


def test_data_command(tmp_path, capsys):
    assert cli.main(["data", "mnist"]) == 0
    assert "4000 train / 1000 test" in capsys.readouterr().out
    # serve the bundled subset: the full MNIST checksums must reject it and leave no file behind
    root = tmp_path / "www"
    root.mkdir()
    for name in MNIST_FILES.values():
        shutil.copy(bundled_dir() / name, root / name)
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        rc = cli.main(
            [
                "data",
                "mnist",
                "--download",
                str(tmp_path / "dl"),
                "--base-url",
                f"http://127.0.0.1:{httpd.server_address[1]}/",
            ]
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert rc == 1
    assert "does not match" in capsys.readouterr().err
    assert list((tmp_path / "dl").iterdir()) == []


def test_bad_data_dir(tmp_path, capsys):
    rc = cli.main(["train", "--data-dir", str(tmp_path / "missing"), "--no-progress"])
    assert rc == 1 and "data error" in capsys.readouterr().err


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _example(name):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parent.parent / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_beale_rosenbrock_example(tmp_path, capsys):
    mod = _example("beale_rosenbrock")
    assert mod.main(["--beale-iters", "1000", "--rosenbrock-iters", "300", "--out-dir", str(tmp_path)]) == 0
    summary = _json(tmp_path / "toy_results.json")
    # paper setting for Beale: both reach the minimum (3, 0.5)
    for label in ("forward gradient", "true gradient"):
        assert summary["beale"][label]["final_loss"] < 1e-3
        assert np.allclose(summary["beale"][label]["final_x"], [3.0, 0.5], atol=0.1)
    assert summary["rosenbrock"]["forward gradient"]["final_loss"] < 4.0  # from 24.2 at (-1.2, 1)
    assert (tmp_path / "beale.png").exists() and (tmp_path / "rosenbrock.png").exists()
    # the exact-gradient helpers agree with central differences
    x = np.array([0.7, -0.3])
    for f, g in ((mod.beale, mod.beale_grad), (mod.rosenbrock, mod.rosenbrock_grad)):
        e = 1e-6
        fd = [(f(x + e * d) - f(x - e * d)) / (2 * e) for d in np.eye(2)]
        assert np.allclose(g(x)[1], fd, rtol=1e-6)


def test_train_mnist_example(capsys):
    acc = _example("train_mnist").main(["--epochs", "1", "--backprop", "--lr", "0.1"])
    assert acc > 0.7 and "test accuracy" in capsys.readouterr().out

"""Mistakes on the command line are usage errors (exit status 2, the command's own usage, the flag's
name) found before any work; options a run would not use are refused, not ignored."""

import json

import pytest

from tangent_fwd import cli
from tangent_fwd.training import distributed as D


def _usage_error(args, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(args)
    assert e.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "args, usage, message",
    [
        (["train", "--seed", "-1"], "train", "--seed must be a non-negative integer, got '-1'"),
        (["compare", "--seed", "x"], "compare", "--seed must be an integer"),
        (["train", "--distributed", "--resume"], "train", "--resume needs --checkpoint-dir"),
        (["train", "--distributed", "--checkpoint-every", "5"], "train", "--checkpoint-every needs --checkpoint-dir"),
        (["train", "--distributed", "--overwrite"], "train", "--overwrite needs --checkpoint-dir"),
        (["train", "--rank", "1", "--vectorized"], "train", "not with vectorized"),
        (["train", "--checkpoint-dir", "ck"], "train", "--checkpoint-dir only apply with --distributed"),
        (["train", "--threads-per-rank", "2", "--no-eval"], "train", "--threads-per-rank, --no-eval only apply"),
        (["train", "--width", "8"], "train", "width (--width) applies to the mlp model only, not logreg"),
        (["compare", "--model", "mlp", "--hidden", "8"], "compare", "hidden (--hidden) applies to the cnn model"),
        (["train", "--method", "backprop", "--directions", "3"], "train", "--directions: forward-gradient settings"),
        (["train", "--distributed", "--method", "backprop"], "train", "needs method='forward'"),
        (["train", "--distributed", "--timeout", "0"], "train", "--timeout must be a positive number"),
        (["data", "mnist", "--base-url", "http://x/"], "data", "--base-url only applies with --download DIR"),
    ],
)
def test_usage_errors_name_the_flag_and_show_the_commands_usage(args, usage, message, capsys):
    err = _usage_error(args, capsys)
    assert message in err
    assert f"usage: tangent-fwd {usage} " in err


def test_batch_larger_than_the_training_set_is_clamped_and_recorded(tiny_mnist, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(D, "_mpi_comm", lambda: None)
    base = ["--data-dir", str(tiny_mnist), "--batch-size", "500", "--max-steps", "2", "--no-progress"]
    assert cli.main(["train", *base, "--out-dir", str(tmp_path / "a")]) == 0
    assert cli.main(["train", "--distributed", *base, "--out-dir", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert err.count("--batch-size 500 is larger than the training set (96 examples); using batches of 96") == 2
    for path in (tmp_path / "a" / "logreg_forward_sgd.json", tmp_path / "b" / "distributed_logreg_sgd.json"):
        data = json.loads(path.read_text())
        assert data["config"]["batch_size"] == 500 and data["batch_size"] == 96
        assert "larger than the training set" in data["warnings"][0]


def test_distributed_main_and_cli_build_the_same_configuration(tmp_path, monkeypatch, tiny_mnist):
    """One definition of the options: the module's ``--steps`` is ``--max-steps`` (it used to mean
    1,000,000 epochs there) and every default is the CLI's."""
    monkeypatch.setattr(D, "_mpi_comm", lambda: None)
    common = ["--data-dir", str(tiny_mnist), "--no-progress", "--model", "mlp", "--width", "8", "--no-eval"]
    assert D.main([*common, "--steps", "4", "--out-dir", str(tmp_path / "m")]) == 0
    assert cli.main(["train", "--distributed", *common, "--max-steps", "4", "--out-dir", str(tmp_path / "c")]) == 0
    a, b = (json.loads((tmp_path / d / "distributed_mlp_sgd.json").read_text()) for d in "mc")
    a["config"].pop("out_dir"), b["config"].pop("out_dir")
    assert a["config"] == b["config"] and a["config"]["epochs"] == 5 and a["config"]["max_steps"] == 4
    with pytest.raises(SystemExit) as e:
        D.main(["--resume"])
    assert e.value.code == 2

"""No option is accepted and then ignored: every option of every command (``tangent-fwd train``,
``train --distributed``, ``compare``, ``data``, and ``python -m tangent_fwd.training.distributed``) is run
once against the same command without it, and either changes what the run records (the JSON's
configuration and settings) or is refused with a message naming it. A new option without an entry in
VALUES fails the test, so it cannot slip in unchecked."""

import json
import pathlib
import re
import shutil

import pytest
from training_support import write_idx_split

from tangent_fwd import cli
from tangent_fwd.training import distributed as D
from tangent_fwd.training import files, runner

# flag -> (the arguments that set it to a value other than its default, context both runs share)
VALUES = {
    "--model": (["--model", "mlp", "--width", "8"], []),
    "--method": (["--method", "backprop"], []),
    "--optimizer": (["--optimizer", "adam"], []),
    "--backend": (["--backend", "numpy"], []),
    "--devices": (["--devices", "0"], []),
    "--epochs": (["--epochs", "2"], []),
    "--lr": (["--lr", "0.5"], []),
    "--decay": (["--decay", "0.01"], []),
    "--batch-size": (["--batch-size", "4"], []),
    "--directions": (["--directions", "2"], []),
    "--distribution": (["--distribution", "rademacher"], []),
    "--rank": (["--rank", "1"], []),
    "--vectorized": (["--vectorized"], []),
    "--no-vectorized": (["--no-vectorized"], []),
    "--seed": (["--seed", "5"], []),
    "--data-dir": (["--data-dir", "{data2}"], []),
    "--out-dir": (["--out-dir", "{out2}"], []),
    "--width": (["--width", "8"], ["--model", "mlp", "--width", "16"]),  # the last --width given wins
    "--channels": (["--channels", "2"], ["--model", "cnn", "--hidden", "4"]),
    "--hidden": (["--hidden", "4"], ["--model", "cnn", "--channels", "2"]),
    "--max-steps": (["--max-steps", "3"], []),
    "--perturb": (["--perturb", "activations"], ["--model", "mlp", "--width", "8"]),
    "--local-losses": (["--local-losses"], ["--model", "mlp", "--width", "8", "--perturb", "activations"]),
    "--heads": (["--heads", "fg"], ["--model", "mlp", "--width", "8", "--perturb", "activations", "--local-losses"]),
    "--steps": (["--steps", "3"], []),
    "--no-progress": (["--no-progress"], []),
    "--no-malloc-tuning": (["--no-malloc-tuning"], []),
    "--distributed": (["--distributed"], []),
    "--checkpoint-dir": (["--checkpoint-dir", "{ck}"], []),
    "--checkpoint-every": (["--checkpoint-every", "1"], ["--checkpoint-dir", "{ck}"]),
    "--check-every": (["--check-every", "1"], []),
    "--resume": (["--resume"], ["--checkpoint-dir", "{ck_full}"]),
    "--overwrite": (["--overwrite"], ["--checkpoint-dir", "{ck_full}"]),
    "--timeout": (["--timeout", "5"], []),
    "--threads-per-rank": (["--threads-per-rank", "1"], []),
    "--n-train": (["--n-train", "50"], []),
    "--save-params": (["--save-params", "{params}"], []),
    "--no-eval": (["--no-eval"], []),
    "--fail-at-step": (["--fail-at-step", "5"], []),
    "--fail-rank": (["--fail-rank", "0"], []),
    "--fail-mode": (["--fail-mode", "hang"], []),
}
RECORDED = ("config", "progress", "malloc_tuning", "threads_per_rank", "vectorized", "batch_size")


def _flags(parser):
    return [s for a in parser._actions if a.option_strings and a.dest != "help" for s in a.option_strings]


def _commands():
    p = cli.build_parser()
    train, compare = p.commands["train"], p.commands["compare"]
    return {
        "train": (cli.main, ["train"], _flags(train)),
        "train --distributed": (
            cli.main,
            ["train", "--distributed"],
            [f for f in _flags(train) if f != "--distributed"],
        ),
        "compare": (cli.main, ["compare"], _flags(compare)),
        "python -m tangent_fwd.training.distributed": (D.main, [], _flags(D.build_parser())),
    }


@pytest.fixture(scope="module")
def walk_env(tmp_path_factory, tiny_mnist):
    root = tmp_path_factory.mktemp("walk")
    data2 = write_idx_split(root / "data2", seed=1)
    return root, tiny_mnist, data2


class Runner:
    """Runs one command line with fresh folders (named by placeholders) and returns what it recorded,
    with those folders' paths put back as placeholders so that two runs compare."""

    def __init__(self, root, data, data2, capsys):
        self.root, self.data, self.data2, self.capsys, self.n = root, data, data2, capsys, 0

    def __call__(self, main, prefix, args):
        self.n += 1
        d = self.root / f"run{self.n}"
        dirs = {
            "out": d / "out",
            "out2": d / "out2",
            "ck": d / "ck",
            "ck_full": d / "ck_full",
            "params": d / "params.npz",
            "data2": self.data2,
        }
        shutil.copytree(self.root / "checkpoint", dirs["ck_full"])
        base = ["--data-dir", str(self.data), "--max-steps", "2", "--batch-size", "8", "--out-dir", "{out}"]
        full = [a.format(**{k: str(v) for k, v in dirs.items()}) for a in prefix + base + args]
        self.capsys.readouterr()
        try:
            rc = main(full)
        except SystemExit as e:
            rc = e.code
        err = self.capsys.readouterr().err
        if rc != 0:
            return rc, None, err
        out = pathlib.Path(full[len(full) - 1 - full[::-1].index("--out-dir") + 1])
        (js,) = out.glob("*.json")
        data = json.loads(js.read_text())
        rec = {k: data.get(k) for k in RECORDED}
        rec["file"] = js.name
        text = json.dumps(rec, sort_keys=True)
        for name, path in sorted(dirs.items(), key=lambda kv: -len(str(kv[1]))):
            text = text.replace(str(path), "{" + name + "}")
        return rc, json.loads(text), err


def test_every_option_of_every_command_changes_the_record_or_is_refused(walk_env, monkeypatch, capsys):
    root, data, data2 = walk_env
    monkeypatch.setattr(D, "_mpi_comm", lambda: None)  # the single-process path of the MPI trainer
    monkeypatch.setattr(runner, "plot", lambda runs, path, title: runner.atomic_write_bytes(path, b"png"))
    monkeypatch.setattr(files.os, "fsync", lambda fd: None)  # durability is tested elsewhere; ~130 runs here
    # a checkpoint of the baseline run (the --resume / --overwrite cases start from a copy of it)
    assert (
        D.main(
            ["--data-dir", str(data), "--max-steps", "2", "--out-dir", str(root / "x")]
            + ["--checkpoint-dir", str(root / "checkpoint")]
        )
        == 0
    )
    run = Runner(root, data, data2, capsys)
    commands = _commands()
    missing = sorted({f for _, _, flags in commands.values() for f in flags} - set(VALUES))
    assert not missing, f"options without an entry in VALUES (add one): {missing}"
    baselines, checked, problems = {}, 0, []
    for name, (main, prefix, flags) in commands.items():
        for flag in flags:
            value, context = VALUES[flag]
            key = (name, tuple(context))
            if key not in baselines:
                baselines[key] = run(main, prefix, context)
            base_rc, base_rec, _ = baselines[key]
            rc, rec, err = run(main, prefix, context + value)
            checked += 1
            if rc != 0:
                if rc != 2 or not re.search(re.escape(flag.lstrip("-").split("-")[0]), err):
                    problems.append(f"{name} {flag}: exit status {rc} without a message naming it: {err[-300:]}")
                continue
            if (rc, rec) == (base_rc, base_rec):
                problems.append(f"{name} {flag}: accepted, and the run records the same as without it")
    assert not problems, "\n".join(problems)
    assert checked >= 100


def test_data_command_options(tmp_path, capsys):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    url = mirror.as_uri() + "/"
    assert cli.main(["data", "mnist"]) == 0  # the bundled subset
    with pytest.raises(SystemExit) as e:  # --base-url alone would be ignored: refused
        cli.main(["data", "mnist", "--base-url", url])
    assert e.value.code == 2
    assert cli.main(["data", "mnist", "--download", str(tmp_path / "d"), "--base-url", url]) == 1  # empty mirror
    assert f"{url}train-images-idx3-ubyte.gz: download failed" in capsys.readouterr().err
    flags = _flags(cli.build_parser().commands["data"])
    assert sorted(flags) == ["--base-url", "--download"]  # both checked above

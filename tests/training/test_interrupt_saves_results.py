"""Ctrl-C (SIGINT) and SIGTERM during a run: the CLI stops after the current step, writes the JSON with
"status": "interrupted", the plot of what ran and (distributed, with --checkpoint-dir) a checkpoint, and
exits with 128 + the signal's number; a second Ctrl-C exits at once. Each run is a real subprocess on a
tiny dataset (the first one a real subprocess signalled once it is training; the others run the CLI in
this process and signal it from inside the run, at a known step)."""

import json
import os
import select
import signal
import time

import numpy as np
import pytest
from training_support import start_cli

from tangent_fwd import cli
from tangent_fwd.training import distributed as D
from tangent_fwd.training.interrupt import STOP


def _wait_for_line(stream, needle, timeout=60):
    """Read ``stream`` until a line containing ``needle``; returns the lines read."""
    seen = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([stream], [], [], 0.2)
        if ready:
            line = stream.readline()
            if not line:
                break
            seen.append(line)
            if needle in line:
                return seen
    raise AssertionError(f"no line with {needle!r} within {timeout} s; got {seen}")


def _long_run(tiny_mnist, out, command="train"):
    # 400 epochs x 12 steps: far longer than the tests wait; a stdout line every 20 epochs
    return [command, "--data-dir", str(tiny_mnist), "--batch-size", "8", "--epochs", "400", "--out-dir", str(out)]


def test_sigint_saves_json_and_plot_and_exits_130(tiny_mnist, tmp_path):
    p = start_cli(_long_run(tiny_mnist, tmp_path / "out"), tmp_path)
    _wait_for_line(p.stdout, "epoch 20/400")
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "Traceback" not in err and "SIGINT: stopping after this step" in err
    data = json.loads((tmp_path / "out" / "logreg_forward_sgd.json").read_text())
    assert data["status"] == "interrupted"
    assert data["message"] == f"interrupted by SIGINT after step {data['steps']}"
    assert 240 <= data["steps"] < 4800 and data["iterations"][-1] == data["steps"]
    assert data["epochs"][-1]["step"] == data["steps"]  # the partial epoch is evaluated too
    assert (tmp_path / "out" / "logreg_forward_sgd.png").stat().st_size > 1000
    assert "results so far are saved" in err
    assert "\r" not in err  # stderr is a pipe: plain progress lines, no carriage-return redraws


@pytest.fixture
def signal_at(monkeypatch):
    """``signal_at(module, name, *signals)``: wrap ``module.name`` so that its first call sends the signals
    to this process (each one handled before the next is sent), as a user would from a terminal."""

    def install(module, name, *signals):
        orig = getattr(module, name)
        sent = []

        def wrapper(*a, **kw):
            if not sent:
                for s in signals:
                    sent.append(s)
                    os.kill(os.getpid(), s)
                    for _ in range(1000):  # let the handler run
                        if STOP.signal is not None:
                            break
                        time.sleep(0.001)
            return orig(*a, **kw)

        monkeypatch.setattr(module, name, wrapper)
        return sent

    return install


def test_sigterm_during_compare_saves_what_ran(tiny_mnist, tmp_path, signal_at, capsys):
    from tangent_fwd.training import models

    signal_at(models, "accuracy", signal.SIGTERM)  # at the end of the first epoch
    rc = cli.main(_long_run(tiny_mnist, tmp_path / "out", "compare") + ["--no-progress"])
    assert rc == 128 + signal.SIGTERM
    data = json.loads((tmp_path / "out" / "compare_logreg.json").read_text())
    assert data["status"] == "interrupted" and "SIGTERM" in data["message"]
    assert list(data["runs"]) == ["forward"]  # backprop never started
    assert data["runs"]["forward"]["status"] == "interrupted" and data["runs"]["forward"]["steps"] == 12
    assert (tmp_path / "out" / "compare_logreg.png").exists()
    assert "results so far are saved" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handlers are put back


def test_second_sigint_exits_at_once(tiny_mnist, tmp_path, signal_at, monkeypatch, capfd):
    from tangent_fwd.training import interrupt, models

    def exit_now(code):  # os._exit, without ending the test process
        raise SystemExit(code)

    monkeypatch.setattr(interrupt.os, "_exit", exit_now)
    signal_at(models, "accuracy", signal.SIGINT, signal.SIGINT)
    with pytest.raises(SystemExit) as e:
        cli.main(_long_run(tiny_mnist, tmp_path / "out") + ["--no-progress"])
    assert e.value.code == 130
    assert "second SIGINT: exiting now" in capfd.readouterr().err
    assert not (tmp_path / "out" / "logreg_forward_sgd.json").exists()


def test_distributed_sigint_writes_a_checkpoint(tiny_mnist, tmp_path, signal_at, monkeypatch):
    monkeypatch.setattr(D, "_mpi_comm", lambda: None)  # the single-process path of the MPI trainer
    signal_at(D, "save_checkpoint", signal.SIGINT)  # sent during the step-50 checkpoint
    ck = tmp_path / "ck"
    args = _long_run(tiny_mnist, tmp_path / "out") + ["--distributed", "--checkpoint-dir", str(ck)]
    rc = cli.main(args + ["--checkpoint-every", "50", "--no-eval", "--no-progress"])
    assert rc == 130
    data = json.loads((tmp_path / "out" / "distributed_logreg_sgd.json").read_text())
    assert data["status"] == "interrupted" and data["steps"] == 51  # the step after the checkpoint ended it
    meta, params, _ = D.load_checkpoint(ck)
    assert meta["step"] == 51  # the checkpoint written at exit holds the last step that ran
    assert np.isclose(sum(float(p.sum()) for p in params), data["param_checksum"][0])

"""Progress output: on a terminal a bar redrawn at most every ``mininterval`` seconds, elsewhere (a log
file, a pipe) plain lines at most every few seconds instead of carriage-return redraws."""

import io
import sys
import time

from tangent_fwd.training import progress as P
from tangent_fwd.training.runner import TrainConfig, train


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _run(tiny_mnist, steps):
    from tangent_fwd.data import load_mnist

    cfg = TrainConfig(model="logreg", batch_size=8, epochs=1000, max_steps=steps, lr=0.01)
    t0 = time.monotonic()
    r = train(cfg, data=load_mnist(tiny_mnist), progress=True, log=None)
    assert r["steps"] == steps
    return time.monotonic() - t0


def test_terminal_bar_respects_mininterval(tiny_mnist, monkeypatch):
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    elapsed = _run(tiny_mnist, 240)
    redraws = term.getvalue().count("\r")
    # at most one redraw per mininterval, plus the first and the closing ones and the clear-and-redraw
    # around the one epoch line (the loss / examples/s figures used to force one every 10 steps: 24 more)
    assert redraws <= 6 + elapsed / P.MININTERVAL, (redraws, elapsed)
    assert "240/240" in term.getvalue()


def test_log_file_gets_plain_lines_at_most_every_interval(tiny_mnist, monkeypatch, capsys):
    monkeypatch.setattr(P, "PLAIN_INTERVAL", 0.05)
    elapsed = _run(tiny_mnist, 240)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("logreg/forward/sgd: step ")]
    assert 1 <= len(lines) <= 2 + elapsed / 0.05, (len(lines), elapsed)
    assert lines[-1].startswith("logreg/forward/sgd: step 240/240 (100%)") and "loss " in lines[-1]


def test_progress_off_writes_nothing(tiny_mnist, capsys):
    from tangent_fwd.data import load_mnist

    cfg = TrainConfig(model="logreg", batch_size=8, max_steps=30, lr=0.01)
    train(cfg, data=load_mnist(tiny_mnist), progress=False, log=None)
    assert capsys.readouterr().err == ""

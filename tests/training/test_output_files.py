"""Where results go: output folders are checked before any work, result files are written atomically with
a normal file mode, an existing checkpoint is not overwritten by accident, and a missing matplotlib costs
the plot (said in the JSON), not the run."""

import json
import os
import stat
import sys

import pytest

from tangent_fwd import cli
from tangent_fwd.training import distributed as D
from tangent_fwd.training import files, runner


def _tiny(tiny_mnist, out, *extra):
    return ["train", "--data-dir", str(tiny_mnist), "--max-steps", "3", "--no-progress", "--out-dir", str(out), *extra]


@pytest.fixture
def no_data(monkeypatch):
    """Fail the test if the run loads data: the checks must come first."""

    def load(*a, **kw):
        raise AssertionError("data was loaded before the output folder was checked")

    monkeypatch.setattr(runner, "_load", load)
    monkeypatch.setattr(D, "_load", load)


@pytest.mark.parametrize("distributed", [False, True])
def test_out_dir_that_is_a_file_is_refused_before_work(tiny_mnist, tmp_path, capsys, no_data, monkeypatch, distributed):
    monkeypatch.setattr(D, "_mpi_comm", lambda: None)
    afile = tmp_path / "afile"
    afile.write_text("hi\n")
    rc = cli.main(_tiny(tiny_mnist, afile, *(["--distributed"] if distributed else [])))
    assert rc == 2
    assert f"--out-dir {afile}: is a file, not a folder" in capsys.readouterr().err
    assert afile.read_text() == "hi\n"


def test_out_dir_below_a_file_and_unwritable(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("")
    with pytest.raises(files.OutputError, match="a part of this path is a file"):
        files.check_writable_dir(tmp_path / "afile" / "runs", "--out-dir")

    def refuse(*a, **kw):  # what a read-only folder does (root may write anywhere, so simulate it)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(files.OutputError, match=r"--out-dir .*: cannot write there \(Permission denied\)"):
        files.check_writable_dir(tmp_path / "ro", "--out-dir")


def test_results_are_written_atomically_with_a_normal_mode(tiny_mnist, tmp_path, monkeypatch):
    """JSON, PNG and checkpoint all go through files.atomic_write_bytes: temp file, fsync, rename. A
    write that fails half-way leaves the old file, and no temporary file, behind."""
    writes = []
    orig = files.atomic_write_bytes

    def spy(path, data):
        writes.append(os.path.basename(path))
        return orig(path, data)

    monkeypatch.setattr(runner, "atomic_write_bytes", spy)
    monkeypatch.setattr(D, "atomic_write_bytes", spy)
    monkeypatch.setattr(D, "_mpi_comm", lambda: None)
    old = os.umask(0o022)
    try:
        assert cli.main(_tiny(tiny_mnist, tmp_path / "a")) == 0
        assert (
            cli.main(_tiny(tiny_mnist, tmp_path / "b", "--distributed", "--checkpoint-dir", str(tmp_path / "ck"))) == 0
        )
    finally:
        os.umask(old)
    assert set(writes) >= {"logreg_forward_sgd.json", "logreg_forward_sgd.png", "checkpoint.npz", "checkpoint.json"}
    assert "distributed_logreg_sgd.json" in writes
    for p in (tmp_path / "a" / "logreg_forward_sgd.json", tmp_path / "ck" / "checkpoint.npz"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
    target = tmp_path / "a" / "logreg_forward_sgd.json"
    before = target.read_bytes()

    class Boom(Exception):
        pass

    def fail_fsync(fd):
        raise Boom

    monkeypatch.setattr(files.os, "fsync", fail_fsync)
    with pytest.raises(Boom):
        files.atomic_write_bytes(target, b"{}")
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["logreg_forward_sgd.json", "logreg_forward_sgd.png"]


def test_existing_checkpoint_is_not_overwritten(tiny_mnist, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(D, "_mpi_comm", lambda: None)
    ck = tmp_path / "ck"
    base = _tiny(tiny_mnist, tmp_path / "out", "--distributed", "--checkpoint-dir", str(ck))
    assert cli.main(base) == 0
    saved = (ck / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    rc = cli.main([*base, "--model", "mlp", "--width", "8"])  # another model, the same folder
    assert rc == 2
    err = capsys.readouterr().err
    assert "already holds a checkpoint (model logreg, step 3 of 3)" in err
    assert "--resume" in err and "--overwrite" in err
    assert (ck / "checkpoint.npz").read_bytes() == saved
    assert cli.main([*base, "--model", "mlp", "--width", "8", "--overwrite"]) == 0
    assert json.loads((ck / "checkpoint.json").read_text())["config"]["model"] == "mlp"
    with pytest.raises(SystemExit) as e:
        cli.main([*base, "--resume", "--overwrite"])
    assert e.value.code == 2


def test_missing_matplotlib_skips_the_plot_and_says_so(tiny_mnist, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    assert cli.main(_tiny(tiny_mnist, tmp_path)) == 0
    err = capsys.readouterr().err
    assert "matplotlib is not installed" in err and "tangent_fwd[train]" in err
    data = json.loads((tmp_path / "logreg_forward_sgd.json").read_text())
    assert data["plot"] is None and "no plot: matplotlib is not installed" in data["warnings"][0]
    assert data["status"] == "ok" and data["steps"] == 3
    assert not (tmp_path / "logreg_forward_sgd.png").exists()

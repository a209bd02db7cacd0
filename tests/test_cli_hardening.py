"""The command line against hostile or unlucky surroundings: output paths that are not plain
files, killed and concurrent runs, resuming with other options, Ctrl-C during L-BFGS, odd CSV
files, formula injection, a closed pipe, malformed model files.

Calls go through ``vectorlearn.cli.main`` in this process (a subprocess only for the closed
pipe), on small data, so the whole file runs in seconds.
"""

import fcntl
import io
import json
import os
import signal
import stat
import subprocess
import sys
import uuid
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import refused, run

import vectorlearn.persist
from vectorlearn._files import atomic_write
from vectorlearn.cli import _plain_model
from vectorlearn.cli._progress import Progress
from vectorlearn.tabular import read_table

ROOT = os.geteuid() == 0


def succeeded(result):
    code, out, err = result
    assert code == 0, err
    return out


def small_frame(n=80, seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "y": np.where(a + b > 0, "yes", "no")})


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data.csv"
    small_frame().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    """A trained run folder and its data file."""
    folder = tmp_path_factory.mktemp("trained")
    small_frame().to_csv(folder / "data.csv", index=False)
    succeeded(
        run("train", folder / "data.csv", "--target", "y", "--out", folder / "run", "--quiet")
    )
    return folder / "run", folder / "data.csv"


def predict_to(model_run, output, *options):
    run_folder, data_file = model_run
    return run("predict", run_folder, data_file, "-o", output, *options)


# ---- 1. output paths: links are followed, special files refused, modes kept --------------------
def test_predict_refuses_to_replace_a_fifo(model_run, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    refused(predict_to(model_run, fifo), f"cannot write {fifo}: it is a FIFO (named pipe)")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["fifo"]  # no temporary file left


def _a_character_device(tmp_path):
    """/dev/null's twin made in tmp_path (root may), or /dev/null itself, which a user cannot
    replace anyway: a test must never replace the real /dev/null."""
    if not ROOT:
        return Path(os.devnull)
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        pytest.skip("cannot make a device node here")
    return node


def test_predict_refuses_to_replace_a_device_directly_or_through_a_link(model_run, tmp_path):
    device = _a_character_device(tmp_path)
    refused(predict_to(model_run, device), "it is a character device, not a regular file")
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    link = tmp_path / "to-null"
    link.symlink_to(os.devnull)
    refused(predict_to(model_run, link), f"{link} (a link to /dev/null)", "character device")
    assert link.is_symlink() and stat.S_ISCHR(os.lstat(os.devnull).st_mode)


def test_predict_writes_through_a_symlink_and_keeps_it(model_run, tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "predictions.csv"
    target.write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(Path("real") / "predictions.csv")  # a relative link
    succeeded(predict_to(model_run, link))
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "predictions.csv")
    assert target.read_text().startswith("y\n")
    dangling = tmp_path / "new.csv"
    dangling.symlink_to(tmp_path / "real" / "not-yet.csv")  # a link to a file not there yet
    succeeded(predict_to(model_run, dangling))
    assert dangling.is_symlink() and (tmp_path / "real" / "not-yet.csv").read_text()
    assert sorted(os.listdir(tmp_path / "real")) == ["not-yet.csv", "predictions.csv"]


def test_predict_keeps_an_existing_file_s_permissions_and_owner(model_run, tmp_path):
    output = tmp_path / "predictions.csv"
    output.write_text("old\n")
    output.chmod(0o600)
    if ROOT:
        os.chown(output, 4321, 4322)
    succeeded(predict_to(model_run, output))
    info = os.stat(output)
    assert stat.S_IMODE(info.st_mode) == 0o600
    if ROOT:
        assert (info.st_uid, info.st_gid) == (4321, 4322)
    assert output.read_text().startswith("y\n")


def test_predict_refuses_a_file_with_other_hard_links(model_run, tmp_path):
    output, other = tmp_path / "predictions.csv", tmp_path / "backup.csv"
    output.write_text("old\n")
    os.link(output, other)
    refused(predict_to(model_run, output), "it has 2 hard links")
    assert output.read_text() == other.read_text() == "old\n"
    assert os.stat(output).st_ino == os.stat(other).st_ino


def test_model_files_keep_their_mode_and_links_too(model_run, tmp_path):
    model = vectorlearn.load(model_run[0] / "model.npz")
    (tmp_path / "store").mkdir()
    link = tmp_path / "model.npz"
    link.symlink_to(tmp_path / "store" / "model.npz")
    vectorlearn.save(model, link)
    os.chmod(link, 0o640)
    vectorlearn.save(model, link)
    assert link.is_symlink() and stat.S_IMODE(os.stat(link).st_mode) == 0o640
    vectorlearn.load(link)
    os.remove(tmp_path / "store" / "model.npz")
    (tmp_path / "store" / "model.npz").mkdir()
    with pytest.raises(ValueError, match="it is a folder"):
        vectorlearn.save(model, link)


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    previous = os.umask(0o027)
    try:
        with atomic_write(tmp_path / "new.txt", "w") as f:
            f.write("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o640


def test_check_writable_names_a_missing_folder(tmp_path):
    from vectorlearn._files import check_writable

    with pytest.raises(ValueError, match="no/such/file.npz: No such file or directory"):
        check_writable(tmp_path / "no" / "such" / "file.npz")
    check_writable(tmp_path / "fine.npz")
    assert os.listdir(tmp_path) == []  # the probe is gone


# ---- 2, 3. the run folder: stale temporary files, the lock, earlier runs -----------------------
def _stale(folder, name):
    path = Path(folder) / f".{name}.{uuid.uuid4().hex}.tmp"
    path.write_bytes(b"half a file")
    return path


def test_resume_removes_the_temporary_files_a_killed_run_left(data, tmp_path):
    from vectorlearn._files import remove_stale_temporaries

    out = tmp_path / "run"
    succeeded(run("train", data, "--target", "y", "--out", out, "--epochs", "30",
                  "--checkpoint-every", "2", "--quiet"))  # fmt: skip
    stale = [_stale(out, "model.npz"), _stale(out, "checkpoint.npz")]
    kept = [_stale(out, "notes.txt"), out / "notes.txt"]  # not the run's: left alone
    kept[1].write_text("mine")
    succeeded(run("train", "--resume", out, "--quiet"))
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)
    assert remove_stale_temporaries(out, ["notes.txt"]) == [str(kept[0])]


def test_a_second_run_into_a_locked_folder_is_refused(data, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a run in progress holds it
        refused(
            run("train", data, "--target", "y", "--out", out, "--quiet"),
            f"another vectorlearn run is using the folder {out}",
        )
        refused(run("train", "--resume", out), "another vectorlearn run is using the folder")
    finally:
        os.close(fd)
    assert os.listdir(out) == [".lock"]  # the refused runs wrote nothing
    succeeded(run("train", data, "--target", "y", "--out", out, "--quiet", "--epochs", "5"))
    assert ".lock" not in os.listdir(out)  # a run that ends removes its lock file


def test_an_earlier_run_in_the_out_folder_is_refused_unless_overwrite(data, tmp_path):
    out = tmp_path / "run"
    train = ["train", data, "--target", "y", "--out", out, "--quiet", "--epochs", "20"]
    succeeded(run(*train, "--checkpoint-every", "1"))
    before = {p: p.read_bytes() for p in out.iterdir()}
    refused(run(*train), f"the folder {out} holds an earlier run (model.npz, checkpoint.npz",
            f"--resume {out}", "--overwrite")  # fmt: skip
    assert {p: p.read_bytes() for p in out.iterdir()} == before
    succeeded(run(*train, "--overwrite", "--checkpoint-every", "0", "--seed", "1"))
    assert not (out / "checkpoint.npz").exists()  # no checkpoint of the earlier run beside it
    assert json.loads((out / "run.json").read_text())["options"]["seed"] == 1


# ---- 4. --resume checks the options against the run's -------------------------------------------
def test_resume_with_other_options_is_refused_naming_each(data, tmp_path):
    out = tmp_path / "run"
    mlp = ["--model", "mlp", "--hidden", "4", "--epochs", "4", "--checkpoint-every", "2"]
    succeeded(run("train", data, "--target", "y", "--out", out, *mlp, "--seed", "3", "--quiet"))
    before = (out / "model.npz").read_bytes()
    line = refused(run("train", "--resume", out, "--seed", "1", "--alpha", "0.01", "--epochs", "4"))
    assert line == (
        "vectorlearn: error: --resume: this run was started with --alpha 0.0001 --seed 3; you "
        "gave --alpha 0.01 --seed 1; resume with the same options, or leave them out to use "
        "the run's"
    )
    refused(run("train", "--resume", out, "--hidden", "5,5"), "--hidden 4; you gave --hidden 5,5")
    refused(run("train", "--resume", out, "--model", "logreg"), "--model mlp")
    assert (out / "model.npz").read_bytes() == before  # a refused resume changes nothing

    other = tmp_path / "other.csv"
    small_frame(seed=1).to_csv(other, index=False)
    refused(run("train", other, "--resume", out), "is not the data this run was started on")
    # Left out, DATA and options are the run's; given, equal ones are fine.
    succeeded(run("train", data, "--resume", out, "--seed", "3", "--quiet"))
    model = vectorlearn.load(out / "model.npz").steps[-1][1]
    assert (model.random_state, model.hidden_layer_sizes, model.max_iter) == (3, (4,), 4)
    small_frame(seed=2).to_csv(data, index=False)  # the run's file, changed since
    refused(run("train", "--resume", out), f"{data} is not the data this run was started on")


def test_resume_of_a_missing_run_or_without_a_checkpoint_is_refused(data, tmp_path):
    refused(run("train", "--resume", tmp_path / "nope"), "no such run folder")
    assert not (tmp_path / "nope").exists()
    out = tmp_path / "run"
    succeeded(run("train", data, "--target", "y", "--out", out, "--quiet", "--epochs", "5",
                  "--checkpoint-every", "0"))  # fmt: skip
    refused(run("train", "--resume", out), "holds no checkpoint.npz to continue from")


# ---- 5. the run folder is checked before training -----------------------------------------------
def test_a_checkpoint_path_in_a_missing_folder_fails_before_training(data, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.npz").symlink_to(tmp_path / "gone" / "checkpoint.npz")
    code, _, err = run("train", data, "--target", "y", "--out", out, "--checkpoint-every", "1")
    assert code == 2
    assert "epoch" not in err  # refused before the first epoch, not after it
    assert err.splitlines()[-1].startswith(f"vectorlearn: error: cannot write {out}/checkpoint.npz")
    assert "gone/checkpoint.npz): No such file or directory" in err
    (out / "checkpoint.npz").unlink()
    (out / "checkpoint.npz").mkdir()
    code, _, err = run("train", data, "--target", "y", "--out", out, "--checkpoint-every", "1")
    assert code == 2 and "epoch" not in err and "it is a folder" in err


def test_a_run_folder_without_write_permission_fails_before_training(data, tmp_path):
    if ROOT:  # root writes into any mode-0500 folder; /proc/self is one nobody can write
        code, _, err = run("train", data, "--target", "y", "--out", "/proc/self")
    else:
        out = tmp_path / "run"
        out.mkdir(mode=0o500)
        try:
            code, _, err = run("train", data, "--target", "y", "--out", out)
        finally:
            out.chmod(0o700)
    assert code == 2 and "epoch" not in err, err
    assert err.splitlines()[-1].startswith("vectorlearn: error: cannot write"), err


# ---- 6. Ctrl-C during L-BFGS saves the model so far -------------------------------------------
@pytest.mark.parametrize("model", ["logreg", "mlp"])
def test_ctrl_c_during_lbfgs_saves_the_model_so_far_and_exits_130(monkeypatch, tmp_path, model):
    progress = Progress.__call__

    def press_ctrl_c_at_iteration_2(self, info):
        progress(self, info)
        if info["epoch"] == 2:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(Progress, "__call__", press_ctrl_c_at_iteration_2)
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when started in the background (nohup)
    out = tmp_path / "run"
    code, _, err = run("train", "--model", model, "--solver", "lbfgs", "--hidden", "8",
                       "--epochs", "200", "--out", out, "--quiet")  # fmt: skip
    assert code == 130, err
    assert err.startswith("vectorlearn: interrupted: ") and len(err.splitlines()) == 1
    assert "L-BFGS stopped by Ctrl-C after iteration 2" in err
    assert f"Saved it to {out}/model.npz" in err and "train again" in err
    estimator = vectorlearn.load(out / "model.npz").steps[-1][1]
    assert estimator.n_iter_ == 2
    assert signal.getsignal(signal.SIGINT) is before  # put back


# ---- 7. CSV files --------------------------------------------------------------------------------
def test_a_repeated_column_name_is_refused_naming_it(tmp_path):
    path = tmp_path / "data.csv"
    frame = small_frame()
    frame.insert(1, "b ", frame["a"])  # " b" and "b" are one name once stripped
    frame.to_csv(path, index=False)
    refused(run("train", path, "--target", "y", "--quiet"), "repeated column names: 'b' (2 times)")
    frame.columns = ["a", "a", "a.1", "y"]  # pandas would read these as a, a.1, a.1.1
    frame.to_csv(path, index=False)
    refused(run("train", path, "--target", "y", "--quiet"), "'a' (2 times)")
    assert not (tmp_path / "runs").exists()
    frame.columns = ["a", "a.1", "b", "y"]  # distinct names that look mangled are fine
    frame.to_csv(path, index=False)
    assert list(read_table(path).columns) == ["a", "a.1", "b", "y"]


def test_one_row_of_a_class_is_a_clear_error(tmp_path):
    path = tmp_path / "data.csv"
    frame = small_frame(40)
    frame.loc[7, "y"] = "maybe"
    frame.to_csv(path, index=False)
    refused(
        run("train", path, "--target", "y", "--quiet"),
        "the target 'y' has a single row of class 'maybe'; each class needs at least 2 rows",
    )
    pd.DataFrame({"a": [1, 2, 3, 4], "y": ["p", "q", "r", "s"]}).to_csv(path, index=False)
    refused(run("train", path, "--target", "y", "--quiet"), "classes 'p', 'q', 'r', 's'")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1e200, "column 'a' holds values too large to standardize (up to "),
        (np.inf, "column 'a' holds infinite values"),
    ],
)
def test_huge_values_give_one_line_naming_the_column(tmp_path, value, message):
    path = tmp_path / "data.csv"
    frame = small_frame()
    frame["a"] *= value if np.isfinite(value) else 1
    frame.loc[3, "a"] = frame.loc[3, "a"] if np.isfinite(value) else value
    frame.to_csv(path, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        refused(run("train", path, "--target", "y", "--quiet"), message)
    assert [str(w.message) for w in caught] == []


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "@SUM(1)", "\tx", "-x"]


def test_predictions_escape_formulas_but_not_numbers(tmp_path):
    n = 40
    frame = small_frame(n)
    frame.insert(0, "id", [FORMULAS[i % 5] + str(i) for i in range(n)])  # text ids, all distinct
    frame["y"] = np.where(frame["y"] == "yes", FORMULAS[0], "-1.5")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "run"
    succeeded(run("train", path, "--target", "y", "--out", out, "--quiet"))
    stdout = succeeded(run("predict", out, path, "--proba"))
    written = pd.read_csv(io.StringIO(stdout), dtype=str, keep_default_na=False)
    assert list(written.columns) == ["id", "y", "proba_-1.5", f"proba_{FORMULAS[0]}"]
    assert list(written["id"]) == ["'" + text for text in frame["id"]]
    assert set(written["y"]) <= {"'" + FORMULAS[0], "-1.5"}  # a number stays a number
    assert all(not cell.startswith("'") for cell in written["proba_-1.5"])
    plain = tmp_path / "plain.csv"
    succeeded(run("predict", out, path, "--proba", "--no-escape-formulas", "-o", plain))
    written = pd.read_csv(plain, dtype=str, keep_default_na=False)
    assert list(written["id"]) == list(frame["id"])


def test_negative_numbers_are_not_escaped():
    from vectorlearn.tabular import escape_formulas

    frame = pd.DataFrame(
        {"id": [-3, -2], "label": [-1, 1], "p": [-1.5, 0.5], "text": ["-1e5", "-e5"], "=h": 1}
    )
    escaped = escape_formulas(frame)
    assert list(escaped.columns) == ["id", "label", "p", "text", "'=h"]
    assert escaped["id"].tolist() == [-3, -2] and escaped["p"].tolist() == [-1.5, 0.5]
    assert escaped["text"].tolist() == ["-1e5", "'-e5"]


# ---- 8. a closed pipe ----------------------------------------------------------------------------
def test_predict_into_head_exits_quietly(tmp_path):
    rng = np.random.default_rng(0)
    big = pd.DataFrame({"a": rng.normal(size=20000), "b": rng.normal(size=20000)})
    big["y"] = np.where(big["a"] > 0, "yes", "no")  # about 1 MB of predictions: beyond a pipe
    big.to_csv(tmp_path / "big.csv", index=False)
    succeeded(run("train", tmp_path / "big.csv", "--target", "y", "--out", tmp_path / "run",
                  "--epochs", "3", "--quiet"))  # fmt: skip
    command = (
        f"{sys.executable} -m vectorlearn predict run big.csv --proba 2>stderr.txt | head -1; "
        'echo "status ${PIPESTATUS[0]}"'
    )
    result = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["y,proba_no,proba_yes", "status 141"]
    assert (tmp_path / "stderr.txt").read_text() == ""  # no "Broken pipe", no "Exception ignored"


# ---- 9. malformed model files --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "message"),
    [
        (RecursionError("maximum recursion depth exceeded"), "it is nested too deeply"),
        (MemoryError(), "reading it needs more memory than there is"),
        (zipfile.BadZipFile("Bad CRC-32"), "model file (BadZipFile: Bad CRC-32)"),
        (AttributeError("'NoneType' has no attribute 'shape'"), "(AttributeError: 'NoneType'"),
        (ValueError("x.npz: layer 1 weights have the wrong shape"), "layer 1 weights"),
    ],
)
def test_whatever_loading_a_model_raises_is_one_line(monkeypatch, model_run, tmp_path, error,
                                                     message):  # fmt: skip
    def load(path):
        raise error

    monkeypatch.setattr(vectorlearn.persist, "load", load)
    monkeypatch.setattr(_plain_model, "read", load)  # predict's reader declines, then load raises
    run_folder, data_file = model_run
    for args in (
        ["summary", run_folder],
        ["predict", run_folder, data_file, "-o", tmp_path / "out.csv"],
        ["evaluate", run_folder, data_file],
    ):
        refused(run(*args), message)
    assert os.listdir(tmp_path) == []


def test_a_deeply_nested_model_file_is_one_line(tmp_path):
    nested = "[" * 100_000 + "]" * 100_000
    np.savez(tmp_path / "model.npz", __metadata__=np.array(nested))
    refused(run("summary", tmp_path / "model.npz"), "model.npz")


def test_malformed_column_roles_are_one_line(model_run, tmp_path):
    model = vectorlearn.load(model_run[0] / "model.npz")
    vectorlearn.save(model, tmp_path / "model.npz", info={"roles": {"target": 1}, "task": "x"})
    refused(run("summary", tmp_path / "model.npz"), "column roles are malformed")

"""``vectorlearn train``: a new run, or ``--resume`` of one; Ctrl-C saves the model so far."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading

from .. import report
from .._files import atomic_write
from ..persist import save
from ._arguments import Interrupted
from ._data import prepare
from ._fit import assemble, fit, iterations, refit, scaled
from ._options import fill_defaults
from ._progress import note
from ._run_file import read_run_file, take_stored_options, write_run_file
from ._run_folder import (
    CHECKPOINT_FILE,
    LOCK_FILE,
    METRICS_FILE,
    MODEL_FILE,
    RUN_FILE,
    check_run_folder,
    make_run_folder,
    remove,
    run_lock,
)


def run_train(args) -> dict:
    """Train as ``args`` say, in a new run folder, or continue an earlier run (``--resume``).

    The run folder is locked for the whole training (one run per folder), checked for
    writability before training starts, and gets ``run.json`` (the run's data and options,
    which ``--resume`` checks) before the first epoch.
    """
    if args.resume is not None:
        return _resume(args)
    fill_defaults(args)
    prepared = prepare(args)
    out, created = make_run_folder(args.out)
    try:
        with run_lock(out):
            try:
                check_run_folder(out, args, prepared.model, resume=False)
                write_run_file(out, args, prepared)
                return _train_in(out, args, prepared)
            except BaseException:
                if created and set(os.listdir(out)) <= {RUN_FILE, LOCK_FILE}:
                    remove(os.path.join(out, RUN_FILE))  # nothing was trained: leave no trace
                raise
    except BaseException:
        if created and not os.listdir(out):
            os.rmdir(out)  # an error before anything was written leaves no empty run folder
        raise


def _resume(args) -> dict:
    run = args.resume
    if args.out is not None and os.path.abspath(args.out) != os.path.abspath(run):
        raise ValueError("--out starts a new run and --resume continues one: give only one")
    if args.overwrite:
        raise ValueError("--overwrite starts a new run; it does not go with --resume")
    if not os.path.isdir(run):
        raise ValueError(f"--resume {run}: no such run folder")
    with run_lock(run):
        stored = read_run_file(run)
        if stored is None:
            note(
                f"{run} has no {RUN_FILE} (an older vectorlearn made it), so the options cannot "
                "be checked against the run's: give the same data and options",
                args.quiet,
            )
        else:
            take_stored_options(args, stored)
        fill_defaults(args)
        if args.solver == "lbfgs":
            raise ValueError(
                "--resume needs an epoch-based solver (gd, momentum, adam); lbfgs keeps no "
                "checkpoints"
            )
        if not os.path.isfile(os.path.join(run, CHECKPOINT_FILE)):
            raise ValueError(
                f"--resume {run}: the folder holds no {CHECKPOINT_FILE} to continue from (the "
                "run stopped before its first checkpoint, or ran with --checkpoint-every 0); "
                "train it again"
            )
        prepared = prepare(args)
        check_run_folder(run, args, prepared.model, resume=True)
        if stored is None:
            write_run_file(run, args, prepared)
        return _train_in(run, args, prepared)


def _train_in(out, args, prepared) -> dict:
    """The held-out fit, then (unless ``--no-refit``) the refit on all rows (see ``_fit``)."""
    model, roles, task = prepared.model, prepared.roles, prepared.task
    X_train, X_val, y_train, y_val = prepared.split
    preprocessor, scaler = prepared.preprocessor, prepared.target_scaler
    checkpoint = os.path.join(out, CHECKPOINT_FILE)
    options = {}
    if model.solver != "lbfgs":
        if args.checkpoint_every:
            options.update(checkpoint=checkpoint, checkpoint_every=args.checkpoint_every)
        if args.resume:
            options["resume"] = checkpoint
    ctrl_c = _StopOnCtrlC()
    validation = (preprocessor.transform(X_val), scaled(scaler, y_val))
    interrupted, said = fit(
        model,
        preprocessor.transform(X_train),
        scaled(scaler, y_train),
        args,
        ctrl_c,
        validation=validation,
        options=options,
    )
    for line in said:
        note(line, args.quiet)
    held_out = assemble(preprocessor, model, scaler)
    info = {"roles": roles.to_dict(), "task": task, "source": prepared.source}
    model_file = os.path.join(out, MODEL_FILE)
    if interrupted is not None:
        save(held_out, model_file, info=info)
        raise Interrupted(f"{interrupted}. Saved it to {model_file}{_again(out, model)}.")
    result = {
        "model": type(model).__name__,
        "dataset": prepared.source,
        "task": task,
        "target": prepared.target,
        "roles": {
            "numeric": roles.numeric,
            "categorical": roles.categorical,
            "dates": roles.dates,
            **({"text": roles.text} if roles.text else {}),
            "dropped": roles.dropped,
            "id_column": roles.id_column,
        },
        "n_train": int(X_train.shape[0]),
        "n_validation": int(X_val.shape[0]),
        "n_iter": iterations(model),
        "train": report.metrics(held_out, X_train, y_train, task),
        "validation": report.metrics(held_out, X_val, y_val, task),
        "saved_model": "held-out fit",
        "refit": None,
        "run_folder": out,
    }
    saved = held_out
    if not args.no_refit:
        ctrl_c = _StopOnCtrlC()
        saved, interrupted, (X_all, y_all, refit_info) = refit(prepared, args, ctrl_c)
        if interrupted is not None:
            save(held_out, model_file, info=info)
            resumable = model.solver != "lbfgs" and os.path.exists(checkpoint)
            then = f"--resume {out} refits" if resumable else "train again to refit"
            raise Interrupted(
                f"the refit on all rows was stopped ({interrupted}). Saved the model fitted on "
                f"the training split to {model_file}; {then}"
            )
        refit_info["train"] = report.metrics(saved, X_all, y_all, task)
        result.update(saved_model="refit on all rows", refit=refit_info)
    save(saved, model_file, info=info)
    with atomic_write(os.path.join(out, METRICS_FILE), "w") as f:
        json.dump(result, f, indent=2)
    pictures = report.save_pictures(model, held_out, roles, task, X_val, y_val, out)
    if pictures is None:
        note('pictures need matplotlib: pip install "vectorlearn[plot]"', args.quiet)
    return result


def _again(out, model) -> str:
    again = "train again to go further (--overwrite reuses this folder)"
    if model.solver == "lbfgs":
        return f"; L-BFGS keeps no checkpoints to resume from: {again}"
    if os.path.exists(os.path.join(out, CHECKPOINT_FILE)):
        return f"; resume from the checkpoint with --resume {out}"
    return f"; no checkpoint was written yet (see --checkpoint-every): {again}"


class _StopOnCtrlC:
    """Ctrl-C for L-BFGS, which SciPy runs and the estimator cannot stop between mini-batches.

    While ``active``, a first Ctrl-C makes this callback return True, so L-BFGS stops after the
    current iteration and the model keeps that iteration's weights; a second Ctrl-C interrupts
    at once. (The epoch-based solvers handle Ctrl-C inside ``fit``; this callback then never
    fires.)
    """

    def __init__(self):
        self.requested = False

    def __call__(self, info) -> bool:
        return self.requested

    @contextlib.contextmanager
    def active(self, enabled: bool):
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield self
            return

        def handler(signum, frame):
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

"""A training run's folder: refusing to overwrite, resuming, callbacks and the files at the end.

Every `keras-mmgan train` run writes into its `--out` folder:

- `run.json`: the family and the settings, which `--resume` checks;
- `samples/samples_epoch_NNNN.png`: a grid of fixed-seed samples every `--every` epochs,
  and `samples.png`, the last one;
- `history.csv` and `losses.png`: the losses per epoch (of every session of a resumed run);
- `metrics.json`: the final losses, the training time and the protocol;
- `FAMILY.keras`: the trained model;
- `backup/`: the state that `--resume` continues from (`callbacks.BackupAndRestore`);
- `logs/`: TensorBoard logs, with `--tensorboard`.
"""

import csv
import importlib.util
import json
import os
import shutil

import keras

from keras_mmgan import callbacks as callbacks_module
from keras_mmgan.cli.errors import DataError
from keras_mmgan.cli.errors import UsageError

RUN_FILE = "run.json"

# Flags that do not change what a run trains, so --resume may change them.
_FREE_FLAGS = ("epochs", "out", "resume", "overwrite", "tensorboard", "verbose", "debug", "every")


def run_settings(args):
    """The settings that define a run: every flag but those `--resume` may change.

    Args:
        args: the parsed `train` arguments.

    Returns:
        A dict of flag name -> value.

    Example:

    ```python
    run_settings(parser.parse_args(["train", "dcgan", "--epochs", "3"]))
    ```
    """
    return {
        key: value
        for key, value in sorted(vars(args).items())
        if key not in _FREE_FLAGS and key not in ("command", "handler")
    }


def prepare_output(out, family, settings, resume=False, overwrite=False):
    """Checks and creates the `--out` folder of a run; writes `run.json`.

    A folder that already holds a run (a `run.json`) is refused unless `resume` (the
    family and settings must match: `--epochs` is the total to reach) or `overwrite` (the
    folder is emptied). A non-empty folder that holds no run is always refused, so that
    nothing of the user's is deleted.

    Args:
        out: the `--out` folder.
        family: the family being trained.
        settings: `run_settings(args)`.
        resume: `--resume`.
        overwrite: `--overwrite`.

    Returns:
        Whether a previous run is resumed.

    Raises:
        UsageError: for the refusals above.

    Example:

    ```python
    resuming = prepare_output("runs/dcgan", "dcgan", run_settings(args))
    ```
    """
    if resume and overwrite:
        raise UsageError("--resume and --overwrite exclude each other; pass one")
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out} is a file; expected a folder for the run's outputs")
    run_file = os.path.join(out, RUN_FILE)
    has_run = os.path.isfile(run_file)
    resuming = False
    if os.path.isdir(out) and os.listdir(out):
        if not has_run:
            raise UsageError(
                f"--out {out} is not empty and holds no keras-mmgan run (no {RUN_FILE}); "
                "choose a new or empty folder"
            )
        with open(run_file) as f:
            previous = json.load(f)
        if resume:
            _check_same_run(out, previous, family, settings)
            resuming = True
        elif overwrite:
            shutil.rmtree(out)
        else:
            raise UsageError(
                f"--out {out} already holds a {previous.get('family', '?')} run; pass --resume "
                "to continue it (--epochs is the total to reach) or --overwrite to replace it"
            )
    elif resume:
        raise UsageError(f"--resume: {out} holds no run to continue; drop --resume to start one")
    os.makedirs(out, exist_ok=True)
    with open(run_file, "w") as f:
        json.dump({"family": family, "settings": settings}, f, indent=2)
    return resuming


def abandon(out):
    """Forgets a run that failed before its first epoch ended, so that its command runs again.

    Removes `run.json` (and `history.csv`, `samples/`, `backup/` when no epoch was recorded),
    then the folder if it is left empty. A run with a trained epoch is kept, for `--resume`.

    Args:
        out: the run's folder.

    Returns:
        Whether the run was forgotten.

    Example:

    ```python
    abandon("runs/dcgan")
    ```
    """
    if read_history(out):
        return False
    for name in (RUN_FILE, "history.csv"):
        path = os.path.join(out, name)
        if os.path.isfile(path):
            os.remove(path)
    for name in ("samples", "backup", "logs"):
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    if os.path.isdir(out) and not os.listdir(out):
        os.rmdir(out)
    return True


def _check_same_run(out, previous, family, settings):
    if previous.get("family") != family:
        raise UsageError(
            f"--resume: {out} holds a {previous.get('family')} run, not a {family} run"
        )
    before = previous.get("settings", {})
    changed = [
        f"--{key.replace('_', '-')} {before.get(key)!r} (now {value!r})"
        for key, value in settings.items()
        if before.get(key) != value
    ]
    if changed:
        raise UsageError(
            f"--resume: {out} was trained with other settings: {', '.join(changed)}; pass "
            "them as before (only --epochs, --every and --tensorboard may change)"
        )


def check_tensorboard():
    """Raises a `DataError` naming the extra to install when TensorBoard is missing.

    Example:

    ```python
    check_tensorboard()
    ```
    """
    if importlib.util.find_spec("tensorboard") is None:
        raise DataError(
            "--tensorboard needs the tensorboard package: pip install 'keras-mmgan[tensorboard]'"
        )


def training_callbacks(out, grid, every=1, seed=0, tensorboard=False, resume=False):
    """The callbacks of a command-line run.

    Args:
        out: the run's folder.
        grid: keyword arguments of `SampleGrid` saying what to sample (`num_samples`,
            `captions`, `labels` or `images`).
        every: epochs between sample grids.
        seed: the grids' sampling seed.
        tensorboard: whether to log to `out/logs` for TensorBoard (lazy import).
        resume: whether the run continues an earlier one (the history is appended to).

    Returns:
        A list of callbacks: `BackupAndRestore` into `out/backup`, a `CSVLogger` into
        `out/history.csv`, a `SampleGrid` into `out/samples`, and `TensorBoard`.

    Example:

    ```python
    model.fit(dataset, epochs=10, callbacks=training_callbacks("runs/dcgan", {"num_samples": 36}))
    ```
    """
    logs = os.path.join(out, "logs") if tensorboard else None
    callbacks = [
        callbacks_module.BackupAndRestore(os.path.join(out, "backup"), delete_checkpoint=False),
        keras.callbacks.CSVLogger(os.path.join(out, "history.csv"), append=resume),
        callbacks_module.SampleGrid(
            os.path.join(out, "samples"), every=every, seed=seed, tensorboard_dir=logs, **grid
        ),
    ]
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(logs, write_graph=False))
    return callbacks


def read_history(out):
    """Reads `out/history.csv`: every epoch of every session of the run.

    Args:
        out: the run's folder.

    Returns:
        A dict of log name -> list of floats per epoch (no `epoch` entry); empty if no epoch
        has been trained.

    Example:

    ```python
    read_history("runs/dcgan")["g_loss"][-1]
    ```
    """
    path = os.path.join(out, "history.csv")
    history = {}
    if not os.path.exists(path):
        return history
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                if key != "epoch" and value not in (None, "", "NA"):
                    history.setdefault(key, []).append(float(value))
    return history


def write_losses(out, history):
    """Saves `losses.png` (the losses per epoch) into the run's folder.

    Args:
        out: the run's folder.
        history: `read_history(out)`.

    Returns:
        The path, or `None` when no epoch was trained.

    Example:

    ```python
    write_losses("runs/dcgan", read_history("runs/dcgan"))
    ```
    """
    if not history:
        return None
    path = os.path.join(out, "losses.png")
    callbacks_module.plot_losses(history).savefig(path)
    return path


def write_metrics(out, metrics):
    """Writes `metrics.json` into the run's folder.

    Args:
        out: the run's folder.
        metrics: a JSON-serialisable dict.

    Returns:
        The path.

    Example:

    ```python
    write_metrics("runs/dcgan", {"losses": {"g_loss": 1.2}})
    ```
    """
    path = os.path.join(out, "metrics.json")
    with open(path, "w") as f:
        json.dump(metrics, f, indent=2)
    return path

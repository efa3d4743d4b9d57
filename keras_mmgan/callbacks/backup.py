"""Backups of a training run: `BackupAndRestore` that resumes exactly, and `restore_backup`."""

import contextlib
import json
import os
import shutil
import warnings

import h5py
import keras

from keras_mmgan.saving import write_atomically

# What Keras warns when saved variables do not fit the model.
_SKIPPED = "Skipping variable loading"
# The attribute of a backup's weights file that holds its training metadata.
_STAMP = "keras_mmgan_training_metadata"


def _write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


@contextlib.contextmanager
def _strict_loading(backup_dir):
    """Makes Keras's warning that it skips variables which do not fit a `ValueError`.

    Keras only warns when saved variables do not fit the model (an optimizer built otherwise,
    say) and goes on without them: a silently different run.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=_SKIPPED)
        try:
            yield
        except (UserWarning, ValueError) as error:  # Keras gathers the warnings in one
            if _SKIPPED not in str(error):
                raise
            raise ValueError(
                f"the backup in {backup_dir!r} does not fit this model; build and compile the "
                f"model as when the backup was made, or pass another backup_dir. Keras says: "
                f"{error}"
            ) from None


def restore_backup(model, backup_dir):
    """Loads the state a `BackupAndRestore` backup holds into a model, to use or score it.

    The model must be built and compiled as when the backup was made (the same
    networks and the same kind of optimizers, a schedule where there was one):
    the backup also holds the optimizers' variables, the generator's EMA
    weights among them.

    Args:
        model: the model, built and compiled.
        backup_dir: the `backup_dir` of the `BackupAndRestore` that wrote the backup.

    Returns:
        `model`, with the backup's state.

    Raises:
        FileNotFoundError: if `backup_dir` holds no backup.
        ValueError: if the backup does not fit the model (where Keras only
            warns and skips the variables).

    Example:

    ```python
    gan = build_and_compile()        # as for the run that was backed up
    mm.callbacks.restore_backup(gan, "backup")
    gan.generate(16)
    ```
    """
    path = os.path.join(backup_dir, "latest.weights.h5")
    if not os.path.exists(path):
        raise FileNotFoundError(f"backup_dir {backup_dir!r} holds no backup (no {path})")
    with _strict_loading(backup_dir):
        model.load_weights(path)
    return model


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` that also resumes in the middle of an epoch.

    Keras's callback restores the weights and the epoch, then replays the
    interrupted epoch from its first batch. This one also records how many
    batches of that epoch were trained and, on restore, passes over them
    (reading them from the data without a training step), so an interrupted
    and resumed run trains on the same batches, with the same weights, as an
    uninterrupted one. Everything a GAN carries is in the backup: both
    optimizers (with their moving averages), the noise streams and the
    history pools. A backup that does not fit the model (an optimizer compiled
    otherwise, say) raises a `ValueError` instead of Keras's warning;
    `restore_backup` loads a backup the same way outside `fit`.

    The run is exactly the same when the data yields the same batches in
    each epoch whichever process trains it: no shuffling, or the library's
    pipelines (`datasets.make_dataset`, `unpaired_dataset`, `shapes_dataset`),
    whose epoch k order is a function of their seed and k alone. A process
    killed at any moment, even while it writes a backup, leaves a whole
    backup behind: each is written to a temporary file and moved into place
    by one atomic `os.replace`. The logs of the resumed epoch average only
    its resumed part.

    Args:
        backup_dir: directory of the backup (deleted when training ends,
            unless `delete_checkpoint=False`).
        save_freq: `"epoch"`, or save every `save_freq` batches.
        double_checkpoint: also keep the previous backup.
        delete_checkpoint: delete the backup when training ends.

    Example:

    ```python
    backup = mm.callbacks.BackupAndRestore("backup", save_freq=50)
    gan.fit(dataset, epochs=20, callbacks=[backup])   # interrupted? run the same line again
    ```
    """

    _KEY = "keras_mmgan_batches_in_epoch"

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__(backup_dir, save_freq, double_checkpoint, delete_checkpoint)
        self._batches_in_epoch = 0
        self._to_skip = 0

    def on_train_begin(self, logs=None):
        if os.path.isdir(self.backup_dir):  # left by a process killed while it wrote
            for name in os.listdir(self.backup_dir):
                if name.startswith("partial-"):
                    os.remove(os.path.join(self.backup_dir, name))
        super().on_train_begin(logs)
        self._batches_in_epoch = 0
        metadata = self._restored_metadata() or {}
        self._to_skip = int(metadata.get(self._KEY, 0))

    def on_train_batch_begin(self, batch, logs=None):
        if self._to_skip > 0:
            self._skip_batches()

    def on_train_batch_end(self, batch, logs=None):
        self._batches_in_epoch = batch + 1
        super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._batches_in_epoch = 0
        super().on_epoch_end(epoch, logs)

    def _load_model(self):
        with _strict_loading(self.backup_dir):
            super()._load_model()
        metadata = self._restored_metadata()
        if metadata is not None:
            self.model._initial_epoch = int(metadata["epoch"])

    def _restored_metadata(self):
        """The metadata of the backup on disk: the weights file's stamp, else Keras's JSON."""
        if os.path.exists(self._weights_path):
            with h5py.File(self._weights_path, "r") as f:
                if _STAMP in f.attrs:
                    return json.loads(f.attrs[_STAMP])
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path) as f:
                return json.load(f)
        return None

    def _save_model(self):
        """Writes the backup so that a kill at any moment leaves a usable one.

        The weights go to a temporary file, stamped with the training metadata,
        flushed to disk, then moved over the previous backup by one atomic
        `os.replace`: the backup on disk is always the old one or the new one,
        whole. The JSON metadata beside it (Keras's) is replaced the same way;
        the stamp inside the weights file is what a restore trusts.
        """
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:  # keep the backup on disk as the previous one
            pairs = ((self._weights_path, self._prev_weights_path),
                     (self._training_metadata_path, self._prev_training_metadata_path))
            for path, previous in pairs:
                if os.path.exists(path):
                    write_atomically(
                        previous, lambda partial, path=path: shutil.copyfile(path, partial)
                    )
        metadata = {
            "epoch": self._current_epoch,
            "batch": self._last_batch_seen,
            self._KEY: self._batches_in_epoch,
        }

        def write_weights(partial):
            self.model.save_weights(partial, overwrite=True)
            with h5py.File(partial, "a") as f:
                f.attrs[_STAMP] = json.dumps(metadata)

        write_atomically(self._weights_path, write_weights, suffix=".weights.h5")
        write_atomically(
            self._training_metadata_path,
            lambda partial: _write_text(partial, json.dumps(metadata)),
        )

    def _skip_batches(self):
        """Makes the next call of the train function read its batches and not train."""
        model, train_function = self.model, self.model.train_function

        def skip(*args):  # (iterator), or (state, iterator) -> (logs, state) on JAX
            for _ in range(min(model.steps_per_execution, self._to_skip)):
                next(args[-1])
                self._to_skip -= 1
            model.train_function = train_function
            logs = model.get_metrics_result()
            return logs if len(args) == 1 else (logs, args[0])

        model.train_function = skip

"""Saving and loading that survive a crash: atomic writes, and loads that name the bad file.

A file the library writes (a model's `.keras` file, a `BackupAndRestore`
backup) goes to a temporary name in the same folder and takes its final name
by one atomic `os.replace`, so a process killed or a disk that fills while it
writes leaves the previous file whole. `load_model` is `keras.saving.load_model`
with errors that say which file is bad and why (Keras reports a truncated or
corrupted `.keras` file as "File not found").
"""

import os
import zipfile

import keras


def write_atomically(path, write, suffix=""):
    """Writes `path` through `write(partial_path)` and one atomic `os.replace`.

    A failure or a kill while writing leaves `path` as it was (a failure also
    removes the partial file); the new file is flushed to disk before it takes
    `path`'s place, and the folder after it.

    Args:
        path: the file to write (local).
        write: a function that writes the whole file at the path it is given.
        suffix: an ending the partial file's name must keep (Keras wants
            `.keras` or `.weights.h5`).

    Returns:
        `path`.

    Example:

    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> write_atomically(path, lambda p: open(p, "w").write("kept")) == path
    True
    >>> open(path).read()
    'kept'
    """
    directory, name = os.path.split(os.fspath(path))
    partial = os.path.join(directory, f"partial-{os.getpid()}-{name}")
    if suffix and not partial.endswith(suffix):
        partial += suffix
    try:
        write(partial)
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename itself durable
        fd = os.open(directory or ".", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return path


def is_local_keras_file(filepath):
    """Whether `filepath` names a local `.keras` file (not a URL such as `gs://`).

    Args:
        filepath: a path (str or `os.PathLike`), or anything else.

    Returns:
        `True` for a local path ending in `.keras`.

    Example:

    >>> is_local_keras_file("runs/gan.keras"), is_local_keras_file("gs://bucket/gan.keras")
    (True, False)
    """
    if not isinstance(filepath, (str, os.PathLike)):
        return False
    filepath = os.fspath(filepath)
    return filepath.endswith(".keras") and "://" not in filepath


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """`keras.saving.load_model`, with an error that names the file when it cannot be read.

    Args:
        filepath: path of a `.keras` file (or anything `keras.saving.load_model` takes).
        custom_objects: as for `keras.saving.load_model` (the library's classes
            are registered and need none).
        compile: whether to compile the model as it was saved.
        safe_mode: whether to refuse unsafe lambda deserialization.

    Returns:
        The model.

    Raises:
        FileNotFoundError: if `filepath` does not exist.
        ValueError: if it is not a whole `.keras` file (truncated, corrupted,
            another format) or Keras cannot rebuild the model from it; the
            message names the file and gives Keras's reason.

    Example:

    ```python
    gan = mm.saving.load_model("runs/dcgan/dcgan.keras")
    ```
    """
    if is_local_keras_file(filepath):
        filepath = os.fspath(filepath)
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"filepath {filepath!r} does not exist")
        if not zipfile.is_zipfile(filepath):
            raise ValueError(
                f"{filepath!r} is not a readable .keras file: it is not a whole zip archive "
                f"({os.path.getsize(filepath)} bytes; truncated by a crash, or corrupted?). "
                "Save the model again, or load a backup"
            )
    try:
        return keras.saving.load_model(
            filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
        )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        if isinstance(error, FileNotFoundError) and not os.path.exists(os.fspath(filepath)):
            raise
        raise ValueError(
            f"could not load the model in {os.fspath(filepath)!r}: "
            f"{type(error).__name__}: {error}"
        ) from error

"""Loading a user's `.keras` file, with errors that say what is wrong with it."""

import os
import zipfile

from keras_mmgan import saving
from keras_mmgan.cli.errors import DataError


def load_model_file(path):
    """Loads a keras_mmgan model saved with `model.save(path)`.

    Args:
        path: a `.keras` file.

    Returns:
        The model.

    Raises:
        DataError: if `path` does not exist, is not a `.keras` archive (the zip file that
            `model.save` writes), or Keras cannot rebuild a model from it.

    Example:

    ```python
    gan = load_model_file("runs/dcgan/dcgan.keras")
    ```
    """
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file; expected a .keras file written by model.save")
    if os.path.isdir(path):
        raise DataError(f"{path} is a folder; expected a .keras file written by model.save")
    if not zipfile.is_zipfile(path):
        raise DataError(
            f"{path} is not a .keras archive (the zip file that model.save writes; "
            "a SavedModel folder or an .h5 file cannot be loaded here)"
        )
    try:
        return saving.load_model(path)
    except Exception as error:  # Keras raises many kinds for a broken archive
        text = str(error).strip()
        first_line = text.splitlines()[0] if text else type(error).__name__
        raise DataError(
            f"{path} could not be loaded as a keras_mmgan model: {first_line}"
        ) from None

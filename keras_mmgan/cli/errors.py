"""The command's errors: a user's mistake is one or two lines and an exit status, no trace."""


class CommandError(ValueError):
    """A mistake in how the command was called or in the user's files.

    `keras_mmgan.cli.main` prints its message after `keras-mmgan: error:` and exits with
    `status`; with `--debug` it shows the trace instead. Python callers of the CLI's
    functions (`evaluate_model`, ...) see a `ValueError`.

    Args:
        message: what is wrong, naming the flag or file and what was expected.
        status: the exit status: 2 for a usage mistake, 1 for a data mistake.

    Example:

    ```python
    raise CommandError("--caption is for text-to-image models; model.keras holds a GAN", 2)
    ```
    """

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


class UsageError(CommandError):
    """A bad flag or combination of flags: exit status 2, as argparse's own errors.

    Args:
        message: what is wrong, naming the flag and what was expected.

    Example:

    ```python
    raise UsageError("--resume and --overwrite exclude each other; pass one")
    ```
    """

    def __init__(self, message):
        super().__init__(message, status=2)


class DataError(CommandError):
    """A missing, empty or unreadable file or folder: exit status 1.

    Args:
        message: what is wrong, naming the path and what was expected.

    Example:

    ```python
    raise DataError("bad.keras is not a .keras archive (the zip file model.save writes)")
    ```
    """

    def __init__(self, message):
        super().__init__(message, status=1)

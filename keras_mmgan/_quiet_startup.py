"""Silences TensorFlow's start-up messages when the `keras-mmgan` command runs.

TensorFlow (2.16 and later) prints its C++ start-up lines (oneDNN, CUDA
drivers, CPU instructions) while it is imported, before its logging reads
`TF_CPP_MIN_LOG_LEVEL`. The command line is meant to be quiet, so, and only when
Python runs the `keras-mmgan` command (`keras-mmgan ...` or
`python -m keras_mmgan.cli ...`) without `--verbose`, this module sets
`TF_CPP_MIN_LOG_LEVEL=3` and imports TensorFlow with the process's stderr
pointed at a temporary file; if the import fails, what TensorFlow printed is
replayed. It must run before anything imports TensorFlow, so
`keras_mmgan/__init__.py` imports it first. In a notebook or a script it does
nothing.
"""

import os
import sys
import tempfile


def invoked_as_command(argv=None, orig_argv=None):
    """Whether this Python process runs the `keras-mmgan` command.

    Args:
        argv: `sys.argv` by default.
        orig_argv: `sys.orig_argv` by default (the interpreter's own arguments).

    Returns:
        True for `keras-mmgan ...` and `python -m keras_mmgan.cli ...`.

    Example:

    >>> invoked_as_command(["/usr/bin/keras-mmgan", "train"], [])
    True
    >>> invoked_as_command(["-m"], ["python", "-m", "keras_mmgan.cli", "train"])
    True
    >>> invoked_as_command(["script.py"], ["python", "script.py"])
    False
    """
    argv = sys.argv if argv is None else argv
    orig_argv = getattr(sys, "orig_argv", []) if orig_argv is None else orig_argv
    if argv and os.path.basename(argv[0]) in ("keras-mmgan", "keras-mmgan.exe"):
        return True
    return any(
        flag == "-m" and module in ("keras_mmgan.cli", "keras_mmgan.cli.__main__")
        for flag, module in zip(orig_argv, orig_argv[1:])
    )


def silence_tensorflow_startup():
    """Imports TensorFlow with its C++ start-up messages silenced (see the module docstring)."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded interpreters)
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


if invoked_as_command() and "--verbose" not in sys.argv:
    silence_tensorflow_startup()

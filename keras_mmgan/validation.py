"""Argument checks shared across the package: errors name the argument and what was expected."""

import numpy as np


def check_positive_int(name, value):
    """Returns `value` as an int; raises if it is not a positive int.

    Args:
        name: the argument's name, for the message.
        value: the value to check (bools are rejected).

    Returns:
        `int(value)`.

    Example:

    >>> check_positive_int("batch_size", 64)
    64
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int; got {value}")
    return int(value)

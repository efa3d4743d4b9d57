"""Argument checks shared across the package: errors name the argument and what was expected."""

import numbers

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


def check_positive_number(name, value):
    """Returns `value` as a float; raises if it is not a finite positive real number.

    Args:
        name: the argument's name, for the message.
        value: the value to check (bools are rejected).

    Returns:
        `float(value)`.

    Example:

    >>> check_positive_number("std", 0.05)
    0.05
    """
    return _check_real(name, value, "a positive number", lambda v: v > 0)


def check_weight(name, value):
    """Returns `value` as a float; raises if it is not a finite real number >= 0.

    For the weights of loss terms: 0 turns a term off, a negative weight would reward it.

    Args:
        name: the argument's name, for the message.
        value: the value to check (bools are rejected).

    Returns:
        `float(value)`.

    Example:

    >>> check_weight("l1_weight", 100)
    100.0
    """
    return _check_real(name, value, "a number >= 0", lambda v: v >= 0)


def _check_real(name, value, expected, valid):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}; got {value!r}")
    if not (np.isfinite(value) and valid(value)):
        raise ValueError(f"{name} must be {expected}; got {value}")
    return float(value)


def as_numpy(name, values):
    """Returns `values` (array, tensor or nested list) as a NumPy array.

    Args:
        name: the argument's name, for the message.
        values: the values to convert.

    Returns:
        A NumPy array.

    Example:

    >>> as_numpy("images", [[1, 2]]).shape
    (1, 2)
    """
    if isinstance(values, np.ndarray):
        return values
    try:
        import keras

        return np.asarray(keras.ops.convert_to_numpy(values))
    except Exception:
        try:
            return np.asarray(values)
        except Exception as error:
            raise TypeError(
                f"{name} must be an array or a tensor; got {type(values).__name__} ({error})"
            ) from None

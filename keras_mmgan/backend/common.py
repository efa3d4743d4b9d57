"""What every backend shares: the messages of a failed check, and the defaults of the seam
for backends whose trainers call `train_step(data)` statefully (TensorFlow, PyTorch)."""


def failure_message(kind, name, step):
    """The `ValueError` message for a failed check at a training step.

    Args:
        kind: `"finite"` (a float tensor held NaN or Inf) or `"valid"` (a boolean check
            failed; `name` is then the message itself).
        name: what failed: `"loss"`, `"gradients"`, a batch tensor (`"images"`) or a message.
        step: the 1-based training step.

    Returns:
        The message.

    Example:

    >>> failure_message("finite", "images", 3)[:36]
    'images contain NaN or Inf values (me'
    """
    if kind == "valid":
        return f"{name} (met at training step {step})"
    if name in ("loss", "gradients"):
        return (
            f"Training stopped at step {step}: the {name} became NaN or Inf. "
            "The failing phase applied no update, so its weights hold "
            "finite values and checkpoints already written are intact. "
            "Try a lower learning rate or a gradient penalty."
        )
    return (
        f"{name} contain NaN or Inf values (met at training step "
        f"{step}); clean the data before calling fit()."
    )


def stateful_step(model, step_fn, args):
    """Runs a model's stateful step as the backend's trainer calls it: `step_fn(data)`.

    Args:
        model: the model (unused here; the JAX backend maps its state).
        step_fn: callable taking the batch and updating the model's variables in place.
        args: the trainer's arguments: `(data,)`.

    Returns:
        What `step_fn` returns (the logs).

    Example:

    >>> stateful_step(None, lambda data: {"n": len(data)}, ([1, 2],))
    {'n': 2}
    """
    return step_fn(*args)


def symbolic_build_batch(model, iterator):
    """The batch to build a model on where the trainer cannot take it itself: `None` (it can)."""
    return None


def nonfinite_flag():
    """A metric recording a failed check inside a compiled step, or `None` where checks raise."""
    return None


def training_callbacks(model):
    """Callbacks `fit` runs first for the backend (none where failed checks raise)."""
    return []

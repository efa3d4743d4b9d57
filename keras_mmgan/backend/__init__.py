"""The only backend-specific code: how a phase takes gradients and applies them.

Everything else in keras_mmgan is written with `keras.ops` and `keras.random`.
A backend module provides:

- `apply_phase(loss_fn, variables, optimizer, checks)`: run `loss_fn()` ->
  `(loss, logs)`, differentiate `loss` w.r.t. `variables`, apply the update
  only if the loss and the `checks` tensors are finite, return `logs`.
- `guard(x, name, condition=None)`: `x`, gated so that nothing computed from it
  runs unless it is finite (or `condition` holds).
- `num_replicas()`: the number of replicas training in sync (1 without a strategy).
- `replica_share(draw, num_samples)`: this replica's slice of per-sample random
  values drawn for the global batch (identical to one device's draw).
- `input_gradients(fn, inputs)`: gradient of `sum(fn(inputs))` w.r.t. `inputs`
  (a tensor or a list of tensors; for gradient penalties).
- `nonfinite_errors(step_fn)`: a context manager turning such failures into a
  `ValueError` that names what was not finite and the training step.
- `export_archive(model, endpoints, path)`: write a SavedModel.
- `write_image_summary(log_dir, name, images, step)`: a TensorBoard image summary.
- `bfloat16_accelerator()`: a description of a GPU or TPU that computes bfloat16
  natively, or `None`.
"""

import keras

_BACKEND = keras.backend.backend()

if _BACKEND == "tensorflow":
    from keras_mmgan.backend.tensorflow import apply_phase
    from keras_mmgan.backend.tensorflow import bfloat16_accelerator
    from keras_mmgan.backend.tensorflow import export_archive
    from keras_mmgan.backend.tensorflow import guard
    from keras_mmgan.backend.tensorflow import input_gradients
    from keras_mmgan.backend.tensorflow import nonfinite_errors
    from keras_mmgan.backend.tensorflow import num_replicas
    from keras_mmgan.backend.tensorflow import replica_share
    from keras_mmgan.backend.tensorflow import write_image_summary
else:  # pragma: no cover - JAX and PyTorch come later.

    def _unsupported(*args, **kwargs):
        raise NotImplementedError(
            f"keras_mmgan does not support the {_BACKEND!r} backend yet; "
            "set KERAS_BACKEND=tensorflow."
        )

    apply_phase = export_archive = guard = _unsupported
    input_gradients = nonfinite_errors = write_image_summary = _unsupported
    num_replicas = replica_share = bfloat16_accelerator = _unsupported

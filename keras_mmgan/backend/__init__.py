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
- `stateful_step(model, step_fn, args)`: run the engine's stateful step as the
  backend's trainer calls `train_step` / `test_step` (JAX passes and returns the state).
- `nonfinite_flag()`: a metric where a compiled step records a failed check (JAX), or
  `None` where checks raise at once.
- `training_callbacks(model)`: callbacks `fit` runs first (JAX: the one that raises the
  failed check's `ValueError` after the step).
- `symbolic_build_batch(model, iterator)`: the batch Keras's TensorFlow trainer should build
  the model on before `fit` where it cannot take one itself (several workers), else `None`.
"""

import keras

_BACKEND = keras.backend.backend()
_NAMES = (
    "apply_phase", "bfloat16_accelerator", "export_archive", "guard", "input_gradients",
    "nonfinite_errors", "num_replicas", "replica_share", "write_image_summary",
)

if _BACKEND == "tensorflow":
    from keras_mmgan.backend import tensorflow as _module
    from keras_mmgan.backend.common import nonfinite_flag
    from keras_mmgan.backend.common import training_callbacks
    from keras_mmgan.backend.tensorflow import stateful_step
    from keras_mmgan.backend.tensorflow import symbolic_build_batch
elif _BACKEND == "jax":
    from keras_mmgan.backend import jax as _module
    from keras_mmgan.backend.common import symbolic_build_batch
    from keras_mmgan.backend.jax import nonfinite_flag
    from keras_mmgan.backend.jax import stateful_step
    from keras_mmgan.backend.jax import training_callbacks
else:  # pragma: no cover - PyTorch comes later.
    _module = None

if _module is not None:
    globals().update({name: getattr(_module, name) for name in _NAMES})
else:  # pragma: no cover

    def _unsupported(*args, **kwargs):
        raise NotImplementedError(
            f"keras_mmgan does not support the {_BACKEND!r} backend yet; "
            "set KERAS_BACKEND=tensorflow or jax."
        )

    for _name in _NAMES + ("stateful_step", "nonfinite_flag", "training_callbacks",
                            "symbolic_build_batch"):
        globals()[_name] = _unsupported

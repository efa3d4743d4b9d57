"""TensorFlow implementation of the backend seam (see `keras_mmgan.backend`)."""

import contextlib
import re

import keras
import tensorflow as tf

from keras_mmgan.backend import common
from keras_mmgan.backend.common import failure_message

# Tag put in `Assert` messages so that `nonfinite_errors` recognises them.
_TAG = "keras_mmgan:nonfinite:"
_INVALID_TAG = "keras_mmgan:invalid:"


def apply_phase(loss_fn, variables, optimizer, checks=None):
    """Runs one phase: loss, gradients w.r.t. `variables`, optimizer update.

    The update only runs when the loss, the gradients and every tensor in
    `checks` are finite (boolean checks: all true); otherwise the step fails
    (see `nonfinite_errors`) before this phase changes any weight.

    Args:
        loss_fn: callable with no arguments returning `(loss, logs)`.
        variables: list of the variables this phase updates.
        optimizer: the `keras.optimizers.Optimizer` that updates them.
        checks: optional dict `name -> tensor`: a float tensor must be finite
            (`name` says what, e.g. `"images"`); a boolean tensor must be all
            true (`name` is the message, e.g. `"labels must be in [0, 10)"`).

    Returns:
        The `logs` dict returned by `loss_fn`.

    Example:

    >>> w = keras.Variable(3.0)
    >>> logs = apply_phase(lambda: (w * w, {"loss": w * w}), [w], keras.optimizers.SGD(0.25))
    >>> float(logs["loss"]), float(w)  # w - 0.25 * 2w
    (9.0, 1.5)
    """
    with tf.GradientTape() as tape:
        loss, logs = loss_fn()
        # Replicas' gradients are summed: each replica's mean counts 1/n.
        scaled = optimizer.scale_loss(loss / num_replicas())
    # Dense gradients: Keras's sparse Adam update for an embedding's `IndexedSlices` adds
    # the squares of a repeated row's slices (a label drawn twice in a batch) instead of
    # squaring their sum, a different step from the one JAX and PyTorch take.
    gradients = [
        tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
        for g in tape.gradient(scaled, variables)
    ]
    # Data first: NaN data also makes the loss NaN, and data is the cause.
    asserts = [_assert_valid(x, name) for name, x in (checks or {}).items()]
    asserts.append(_assert_valid(loss, "loss"))
    # A finite loss can still have NaN gradients (e.g. NaN activations that a
    # ReLU zeroes out); applying them would silently corrupt the weights. A
    # LossScaleOptimizer already skips such steps (overflow is expected there).
    values = [g for g in gradients if g is not None]
    if values and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        finite = tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(g)) for g in values]))
        asserts.append(tf.debugging.Assert(finite, [f"{_TAG}gradients:"]))
    # An explicit control dependency: `Assert` is not ordered before variable
    # updates by tf.function's automatic control dependencies.
    with tf.control_dependencies(asserts):
        optimizer.apply_gradients(zip(gradients, variables))
    return logs


def stateful_step(model, step_fn, args):
    """Runs the engine's stateful step as Keras's TensorFlow trainer calls it: `step_fn(data)`.

    Under several workers (`MultiWorkerMirroredStrategy`), Keras 3.15 averages each log
    over the replicas with `strategy.reduce("MEAN", log, axis=0)`, which fails on a scalar
    ("Invalid reduction dimension 0 for input with 0 dimensions", tensorflow/tensorflow#72388);
    there the logs leave the step with shape `(1,)`, and Keras's reduction returns the mean of
    the replicas' scalars, as it does under `MirroredStrategy`.

    Args:
        model: the model (its strategy is the one in scope).
        step_fn: callable taking the batch and updating the model's variables in place.
        args: the trainer's arguments: `(data,)`.

    Returns:
        What `step_fn` returns (the logs).
    """
    logs = common.stateful_step(model, step_fn, args)
    if not _multi_worker(tf.distribute.get_strategy()):
        return logs
    return {name: tf.reshape(value, [1]) for name, value in logs.items()}


def symbolic_build_batch(model, iterator):
    """The batch to build a model on before `fit`, where Keras cannot take it itself.

    Keras's TensorFlow trainer builds a model on the first batch averaged over the
    replicas; under several workers (`MultiWorkerMirroredStrategy`) Keras 3.15 hands
    `strategy.reduce` the whole batch, which fails for a tuple such as `(images, labels)`
    ("Attempt to convert a value (PerReplica: ...)"). Only the batch's shapes matter, and
    this worker's own replica has them: no collective op runs.

    Args:
        model: the model being fitted or evaluated.
        iterator: Keras's epoch iterator.

    Returns:
        This worker's first batch (a structure of tensors), or `None` where Keras's own
        averaging works (one worker).
    """
    strategy = model.distribute_strategy
    if not _multi_worker(strategy):
        return None
    for _, _, batches in iterator:  # as Keras takes the first batch
        batch = next(batches)
        break
    return tf.nest.map_structure(
        lambda value: strategy.experimental_local_results(value)[0], batch
    )


def _multi_worker(strategy):
    """Whether Keras reduces across workers: `MultiWorkerMirroredStrategy` on 2+ workers."""
    return isinstance(
        strategy, tf.distribute.MultiWorkerMirroredStrategy
    ) and strategy.extended._in_multi_worker_mode()


def num_replicas():
    """The number of replicas training in sync.

    Returns:
        An int: 1 outside a distribution strategy.

    Example:

    >>> num_replicas()
    1
    """
    context = tf.distribute.get_replica_context()
    return 1 if context is None else context.num_replicas_in_sync


def replica_share(draw, num_samples):
    """This replica's share of per-sample random values drawn for the global batch.

    Under a distribution strategy every replica draws for the whole global
    batch (the replicas' seed states are equal) and keeps its own slice, so
    replicas get distinct values and training matches one device on the same
    global batch.

    Args:
        draw: callable mapping a number of samples `n` to a tensor `(n, ...)`.
        num_samples: this replica's batch size.

    Returns:
        A tensor `(num_samples, ...)`.

    Example:

    >>> keras.ops.convert_to_numpy(replica_share(keras.ops.arange, 3))  # one replica: all
    array([0, 1, 2], dtype=int32)
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return draw(num_samples)
    values = draw(num_samples * context.num_replicas_in_sync)
    start = context.replica_id_in_sync_group * num_samples
    return values[start : start + num_samples]


def _assert_valid(x, name):
    if x.dtype == tf.bool:
        return tf.debugging.Assert(tf.reduce_all(x), [f"{_INVALID_TAG}{name}|"])
    finite = tf.reduce_all(tf.math.is_finite(x))
    return tf.debugging.Assert(finite, [f"{_TAG}{name}:"])


def guard(x, name, condition=None):
    """Returns `x`, gated so that nothing computed from it runs on bad data.

    Args:
        x: a tensor of the batch.
        name: what `x` is (float check) or the error message (with `condition`).
        condition: optional boolean tensor that must be all true; by default
            `x` must be finite.

    Returns:
        `x`, with a control dependency on the check.

    Example:

    >>> with nonfinite_errors(lambda: 4):
    ...     guard(tf.constant([1.0, float("nan")]), "images")
    Traceback (most recent call last):
    ...
    ValueError: images contain NaN or Inf values (met at training step 5); clean the data before calling fit().
    """
    check = _assert_valid(x if condition is None else condition, name)
    with tf.control_dependencies([check]):
        return tf.identity(x)


def input_gradients(fn, inputs):
    """Gradient of `sum(fn(inputs))` with respect to `inputs`.

    Args:
        fn: callable mapping `inputs` to a tensor.
        inputs: the tensor to differentiate with respect to, or a list of
            tensors (then `fn` takes the list).

    Returns:
        A tensor shaped like `inputs`, or a list of them for a list.

    Example:

    >>> keras.ops.convert_to_numpy(input_gradients(lambda x: x**2, tf.constant([1.0, 2.0])))
    array([2., 4.], dtype=float32)
    """
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = tf.reduce_sum(fn(inputs))
    return tape.gradient(outputs, inputs)


@contextlib.contextmanager
def nonfinite_errors(step_fn):
    """Turns a failed finiteness check of `apply_phase` into a `ValueError`.

    Args:
        step_fn: callable returning the number of training steps completed,
            read when the error is met.

    Example:

    A phase whose loss is NaN stops with a `ValueError` and leaves its weights as they were:

    >>> w = keras.Variable(1.0)
    >>> try:
    ...     with nonfinite_errors(lambda: 0):
    ...         apply_phase(lambda: (w * float("nan"), {}), [w], keras.optimizers.SGD(0.1))
    ... except ValueError as error:
    ...     print(str(error).split(".")[0])
    Training stopped at step 1: the loss became NaN or Inf
    >>> float(w)
    1.0
    """
    try:
        yield
    except tf.errors.InvalidArgumentError as error:
        step = step_fn() + 1
        invalid = re.search(re.escape(_INVALID_TAG) + r"([^|]+)\|", error.message)
        if invalid is not None:
            raise ValueError(failure_message("valid", invalid.group(1), step)) from None
        match = re.search(re.escape(_TAG) + r"([\w ]+):", error.message)
        if match is None:
            raise
        raise ValueError(failure_message("finite", match.group(1), step)) from None


def export_archive(model, endpoints, path):
    """Writes a SavedModel with the given serving endpoints.

    Args:
        model: the Keras model whose variables the endpoints use.
        endpoints: dict `name -> (fn, input_signature)` where
            `input_signature` is a list of `keras.InputSpec`-like
            `(shape, dtype)` pairs.
        path: directory to write.

    Example:

    >>> import tempfile
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> path = tempfile.mkdtemp()
    >>> export_archive(model, {"serve": (model, [((None, 2), "float32")])}, path)
    >>> reloaded = tf.saved_model.load(path)  # kept: its functions need its variables
    >>> reloaded.serve(tf.ones((3, 2))).shape
    TensorShape([3, 1])
    """
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, (fn, signature) in endpoints.items():
        specs = [tf.TensorSpec(shape, dtype) for shape, dtype in signature]
        archive.add_endpoint(name=name, fn=fn, input_signature=specs)
    archive.write_out(str(path), verbose=False)


def write_image_summary(log_dir, name, images, step):
    """Writes images in [-1, 1] as a TensorBoard image summary.

    Args:
        log_dir: the TensorBoard log directory.
        name: the summary's tag.
        images: array `(N, H, W, C)` in [-1, 1].
        step: the step (epoch) to file it under.

    Example:

    >>> import os, tempfile
    >>> log_dir = tempfile.mkdtemp()
    >>> write_image_summary(log_dir, "samples", tf.zeros((2, 8, 8, 3)), step=0)
    >>> [name.startswith("events.out.tfevents") for name in os.listdir(log_dir)]
    [True]
    """
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        tf.summary.image(name, (tf.convert_to_tensor(images) + 1.0) / 2.0, step=step,
                         max_outputs=len(images))
    writer.flush()


def bfloat16_accelerator():
    """Names an accelerator that computes bfloat16 natively, if TensorFlow sees one.

    A TPU, or a GPU of compute capability 8.0 or more (Ampere and newer), does.

    Returns:
        A description such as `"GPU NVIDIA H100 (compute capability 9.0)"`, or `None`.

    Example:

    >>> bfloat16_accelerator() is None  # on a machine with no GPU or TPU
    True
    """
    if tf.config.list_logical_devices("TPU"):
        return "TPU"
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capability = details.get("compute_capability")
        if capability and tuple(capability) >= (8, 0):
            name = details.get("device_name", gpu.name)
            return f"GPU {name} (compute capability {capability[0]}.{capability[1]})"
    return None

"""JAX implementation of the backend seam (see `keras_mmgan.backend`).

Keras's JAX trainer calls `train_step(state, data)` under `jax.jit`, with every variable's
value passed in `state` and the model's own variables emptied meanwhile. The engine's
steps are written statefully (phases assign to variables); `stateful_step` runs them in a
`keras.StatelessScope` that holds the whole state, so every read (batch-norm statistics,
each `SeedGenerator`'s state, optimizer slots, loss trackers) sees the step's values and
every write lands in the returned state.

A phase differentiates only its own variables: `apply_phase` runs the loss under
`jax.value_and_grad` in a child scope where those variables hold the traced values, and
returns what the loss wrote (batch-norm statistics, seeds) as auxiliary outputs, so no
tracer escapes its transformation. Checks cannot raise inside `jit`: a failed one is
recorded in a flag (a metric, so it lives in the state), every later update of the step is
skipped (`where`), and a callback raises the `ValueError` after the step.
"""

import contextlib

import jax
import jax.numpy as jnp
import keras
from keras.src.backend.common.stateless_scope import get_stateless_scope

from keras_mmgan.backend.common import failure_message
from keras_mmgan.backend.tensorflow import export_archive  # noqa: F401 (jax2tf inside Keras)
from keras_mmgan.backend.tensorflow import write_image_summary  # noqa: F401

# The checks that failed, as `(kind, name)`; a failure code is an index here plus one.
_FAILURES = []


class _Scope(keras.StatelessScope):
    """A stateless scope that reads through to its parent and records what is written."""

    def __init__(self, state_mapping=None, parent=None):
        super().__init__(state_mapping=state_mapping)
        self.parent = parent
        self.written = {}

    def add_update(self, update):
        super().add_update(update)
        self.written[id(update[0])] = update[0]

    def get_current_value(self, variable):
        value = super().get_current_value(variable)
        if value is None and self.parent is not None:
            return self.parent.get_current_value(variable)
        return value

    def writes(self):
        """The variables written in this scope and their values."""
        variables = list(self.written.values())
        return variables, [self.state_mapping[id(v)] for v in variables]


class _StepScope(_Scope):
    """The scope of one training step: the model's state, its checks and its failure flag."""

    def __init__(self, state_mapping, flag=None, step=None):
        super().__init__(state_mapping)
        self.flag, self.step, self.checks = flag, step, {}

    def record(self, code):
        """Records a failure code (0: none); returns whether the step may still update.

        The first failure sticks, so later phases (and steps) change nothing either.
        """
        if self.flag is None:
            return code == 0
        previous = self.flag.code.value
        self.flag.code.assign(jnp.where(previous != 0, previous, code))
        self.flag.step.assign(jnp.where(previous != 0, self.flag.step.value, self.step))
        return self.flag.code.value == 0


def _step_scope():
    scope = get_stateless_scope()
    while scope is not None and not isinstance(scope, _StepScope):
        scope = getattr(scope, "parent", None)
    return scope


@contextlib.contextmanager
def _writes_to_variables():
    """Outside any scope (eager use), a scope whose writes are assigned on exit."""
    if get_stateless_scope() is not None:
        yield
        return
    with _Scope() as scope:
        yield
    for variable, value in zip(*scope.writes()):
        variable.assign(value)


def _capture(fn, overrides=()):
    """Runs `fn()` in a child scope (`overrides` mapped); returns its output and writes."""
    with _Scope(list(overrides), parent=get_stateless_scope()) as scope:
        output = fn()
    return (output,) + scope.writes()


def _code(kind, name):
    if (kind, name) not in _FAILURES:
        _FAILURES.append((kind, name))
    return _FAILURES.index((kind, name)) + 1


def _failure(checks, loss=None, gradients=None):
    """The code of the first failing check (data, then loss, then gradients), 0 if none."""
    tests = []
    for name, x in checks.items():
        x = jnp.asarray(x)
        if x.dtype == jnp.bool_:
            tests.append((("valid", name), jnp.all(x)))
        else:
            tests.append((("finite", name), jnp.all(jnp.isfinite(x))))
    if loss is not None:
        tests.append((("finite", "loss"), jnp.all(jnp.isfinite(loss))))
    if gradients:
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in gradients]))
        tests.append((("finite", "gradients"), finite))
    code = jnp.int32(0)
    for key, passed in reversed(tests):
        code = jnp.where(passed, code, jnp.int32(_code(*key)))
    return code


class _Failure(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.kind, self.name = _FAILURES[code - 1]


def _raise_if_failed(code):
    code = int(code)
    if code:
        raise _Failure(code)


def apply_phase(loss_fn, variables, optimizer, checks=None):
    """Runs one phase: loss, gradients w.r.t. `variables`, optimizer update.

    The update (and every state the loss wrote) is kept only when the batch's
    checks, the loss and the gradients are valid; inside a training step a
    failure is recorded for `fit` to raise, outside one it raises at once.

    Args:
        loss_fn: callable with no arguments returning `(loss, logs)`.
        variables: list of the variables this phase updates.
        optimizer: the `keras.optimizers.Optimizer` that updates them.
        checks: optional dict `name -> tensor` (float: finite; boolean: all true).

    Returns:
        The `logs` dict returned by `loss_fn`.

    Example:

    >>> w = keras.Variable(3.0)
    >>> logs = apply_phase(lambda: (w * w, {"loss": w * w}), [w], keras.optimizers.SGD(0.25))
    >>> float(logs["loss"]), float(w)  # w - 0.25 * 2w
    (9.0, 1.5)
    """
    with _writes_to_variables():
        scope, step = get_stateless_scope(), _step_scope()
        checks = {**(step.checks if step is not None else {}), **(checks or {})}
        written = []

        def compute(values):
            def run():
                loss, logs = loss_fn()
                return optimizer.scale_loss(loss / num_replicas()), loss, logs

            (scaled, loss, logs), variables_written, values = _capture(
                run, zip(variables, values)
            )
            written[:] = variables_written
            return scaled, (loss, logs, values)

        (_, (loss, logs, written_values)), gradients = jax.value_and_grad(
            compute, has_aux=True
        )([v.value for v in variables])
        # A LossScaleOptimizer skips non-finite gradients itself (overflow is expected there).
        scaled = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        code = _failure(checks, loss, None if scaled else gradients)
        if step is None:
            _raise_if_failed(code)
            valid = True
        else:
            valid = step.record(code)
        with _Scope(parent=scope) as update:
            for variable, value in zip(written, written_values):
                variable.assign(value)
            optimizer.apply(gradients, variables)
        for variable, value in zip(*update.writes()):
            variable.assign(value if valid is True else jnp.where(valid, value, variable.value))
    return logs


def stateful_step(model, step_fn, args):
    """Runs a stateful step as Keras's JAX trainer calls it: `(state, data) -> (logs, state)`.

    Args:
        model: the model whose variables `state` holds.
        step_fn: callable taking the batch and updating the model's variables.
        args: `(state, data)`; `state` is `(trainable, non_trainable, optimizer, metrics)`
            values for training, `(trainable, non_trainable, metrics)` for evaluation.

    Returns:
        `(logs, state)` with the step's new values.
    """
    state, data = args
    groups = [model.trainable_variables, model.non_trainable_variables]
    if len(state) == 4:
        groups.append(model.optimizer.variables)
    groups.append(model.metrics_variables)
    mapping = [
        (variable, value)
        for variables, values in zip(groups, state)
        for variable, value in zip(variables, values)
    ]
    flag = getattr(model, "_nonfinite_flag", None)
    with _StepScope(mapping, flag=flag) as scope:
        if len(state) == 4:
            scope.step = jnp.asarray(model.optimizer.iterations.value, "int32") + 1
        logs = step_fn(data)
    new_state = tuple([scope.get_current_value(v) for v in variables] for variables in groups)
    return logs, new_state


class _NonfiniteFlag(keras.metrics.Metric):
    """The first failed check of training (`code`, 0 if none) and its step, in the state."""

    def __init__(self, name="nonfinite_flag"):
        super().__init__(name=name)
        self.code = self.add_variable((), "zeros", dtype="int32", name="code")
        self.step = self.add_variable((), "zeros", dtype="int32", name="step")

    def update_state(self, *args, **kwargs):
        """Written by the training step itself."""

    def result(self):
        return {}


def nonfinite_flag():
    """The metric in which a compiled step records a failed check.

    Returns:
        A `keras.metrics.Metric` for the model to track (its variables join the state).
    """
    return _NonfiniteFlag()


class _StopOnFailure(keras.callbacks.Callback):
    """Raises the `ValueError` of a check that failed during the last batch."""

    def __init__(self, flag):
        super().__init__()
        self.flag = flag

    def on_train_batch_end(self, batch, logs=None):
        state = getattr(self.model, "_jax_state", None)
        if state:
            ids = [id(v) for v in self.model.metrics_variables]
            values = state["metrics_variables"]
            code = int(values[ids.index(id(self.flag.code))])
            step = int(values[ids.index(id(self.flag.step))])
        else:
            code, step = int(self.flag.code.value), int(self.flag.step.value)
        if code:
            kind, name = _FAILURES[code - 1]
            raise ValueError(failure_message(kind, name, step))


def training_callbacks(model):
    """The callback that stops `fit` on a failed check (none for a model without a flag)."""
    flag = getattr(model, "_nonfinite_flag", None)
    return [] if flag is None else [_StopOnFailure(flag)]


def num_replicas():
    """1: under `keras.distribution` a JAX step computes on the global batch (SPMD)."""
    return 1


def replica_share(draw, num_samples):
    """Per-sample random values for the batch: the global batch is the step's own."""
    return draw(num_samples)


def guard(x, name, condition=None):
    """Returns `x`; its check joins the step's (or raises at once outside a step).

    Args:
        x: a tensor of the batch.
        name: what `x` is (float check) or the error message (with `condition`).
        condition: optional boolean tensor that must be all true; by default
            `x` must be finite.

    Returns:
        `x`.
    """
    check = x if condition is None else condition
    step = _step_scope()
    if step is not None:
        step.checks[name] = check
    elif not isinstance(check, jax.core.Tracer):
        _raise_if_failed(_failure({name: check}))
    return x


def input_gradients(fn, inputs):
    """Gradient of `sum(fn(inputs))` with respect to `inputs` (a tensor or a list).

    Works inside a phase's own gradient (nested `jax.grad`); what `fn` writes
    (batch-norm statistics) is carried out of the inner transformation.

    Args:
        fn: callable mapping `inputs` to a tensor.
        inputs: the tensor to differentiate with respect to, or a list of tensors.

    Returns:
        A tensor shaped like `inputs`, or a list of them for a list.

    Example:

    >>> keras.ops.convert_to_numpy(input_gradients(lambda x: x**2, jnp.array([1.0, 2.0])))
    array([2., 4.], dtype=float32)
    """
    written = []

    def total(x):
        output, variables, values = _capture(lambda: fn(x))
        written[:] = variables
        return jnp.sum(output), values

    gradients, values = jax.grad(total, has_aux=True)(inputs)
    with _writes_to_variables():
        for variable, value in zip(written, values):
            variable.assign(value)
    return gradients


@contextlib.contextmanager
def nonfinite_errors(step_fn):
    """Turns a failed check of `apply_phase` or `guard` outside `fit` into a `ValueError`.

    Args:
        step_fn: callable returning the number of training steps completed.

    Example:

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
    except _Failure as failure:
        raise ValueError(failure_message(failure.kind, failure.name, step_fn() + 1)) from None


def bfloat16_accelerator():
    """Names a JAX device that computes bfloat16 natively (a TPU, or a GPU of compute
    capability 8.0 or more), if any.

    Returns:
        A description such as `"GPU NVIDIA H100 (compute capability 9.0)"`, or `None`.

    Example:

    >>> bfloat16_accelerator() is None  # on a machine with no GPU or TPU
    True
    """
    for device in jax.devices():
        if device.platform == "tpu":
            return "TPU"
        capability = getattr(device, "compute_capability", None)
        if device.platform == "gpu" and capability and float(capability) >= 8.0:
            return f"GPU {device.device_kind} (compute capability {capability})"
    return None

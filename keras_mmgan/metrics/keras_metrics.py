"""Streaming distribution metrics as `keras.metrics.Metric`s, for `evaluate` and custom loops.

`FrechetDistance` accumulates the count, the sum and the sum of outer products of the real and
the generated features in metric variables, batch by batch, and computes the Fréchet distance
(the FID formula, Heusel et al. 2017, equation 6) from them with `keras.ops` only, so that it
runs inside a compiled `evaluate` or `test_step` as well as eagerly. The NumPy/SciPy functions of
`keras_mmgan.metrics.fid` remain the reference for reported scores; this metric agrees with
`frechet_distance` to about 1e-6 relative in float64.

Reference:
    Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", https://arxiv.org/abs/1706.08500.
"""

import keras
import numpy as np
from keras import ops

from keras_mmgan.validation import check_positive_int


def float64_available():
    """Whether the backend computes in float64 (JAX does only with `jax_enable_x64`).

    Returns:
        A bool.

    Example:

    >>> float64_available() in (True, False)
    True
    """
    value = ops.convert_to_tensor(np.zeros(()), "float64")
    return keras.backend.standardize_dtype(value.dtype) == "float64"


@keras.saving.register_keras_serializable(package="keras_mmgan")
class FrechetDistance(keras.metrics.Metric):
    """Streaming Fréchet distance (FID) between real and generated batches.

    A Keras metric: `update_state(y_true, y_pred)` takes a batch of real samples (`y_true`) and a
    batch of generated samples (`y_pred`), maps each through `feature_extractor` when one is
    given (or takes them as features `(batch, num_features)` when it is `None`), and adds them to
    running sums held in metric variables: per side the count, the sum of the features and the
    sum of their outer products (`num_features x num_features`). `result()` fits a Gaussian to
    each side (mean and unbiased covariance, divided by `count - 1`) and returns

        ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2)),

    with `tr((S_a S_b)^(1/2))` as the sum of the square roots of the eigenvalues of the
    symmetric matrix `S_a^(1/2) S_b S_a^(1/2)` (similar to `S_a S_b`); `S_a^(1/2)` comes from
    `keras.ops.eigh`, dropping eigenvalues below the rounding level, and tiny negative eigenvalues
    are clipped at 0. Everything is `keras.ops`, so the metric works in a compiled `evaluate`.
    The two sides may get batches of different sizes. It is FID with InceptionV3 pool features
    (`metrics.inception_extractor()`); with other features, report it under the extractor's name,
    with both sample counts (the distance is biased upwards for small sets).

    Precision: the variables are float64 where the backend has it (`dtype`), where the covariance from raw sums,
    `(sum x x^T - n mu mu^T) / (n - 1)`, loses about `1e-16 |mu|^2 / variance` relative, nothing
    for real features. Raw sums (rather than the merged centered statistics of
    `metrics.FeatureStatistics`) are what Keras sums correctly across replicas of a distribution
    strategy. Where float64 is not available (JAX without `jax_enable_x64`) the default is
    float32: the loss is then about `1e-7 |mu|^2 / variance`, so center or scale the features
    first if their mean is large against their spread.

    Before two samples on each side, `result()` is NaN. Call `reset_state()` between
    evaluations (`evaluate` does so itself). Sample weights are not supported.

    Args:
        feature_extractor: a `keras.Model` (or layer) from a batch of samples to features
            `(batch, num_features)`, e.g. `metrics.digit_extractor()`, called with
            `training=False`; `None` when `y_true` and `y_pred` are features already. The config
            holds its architecture, not its weights: after loading a saved model compiled with
            this metric, compile it again with the trained extractor.
        num_features: the feature dimension `D`; `None` to take it from the extractor's output
            shape (required without an extractor).
        name: the metric's name, the key of its value in the logs.
        dtype: dtype of the accumulators and of the result, `"float64"` or `"float32"`;
            `None` (default): float64 where the backend computes it, else float32.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> metric = FrechetDistance(num_features=4)
    >>> for _ in range(4):
    ...     metric.update_state(rng.normal(size=(500, 4)), rng.normal(size=(500, 4)) + 1.0)
    >>> 3.8 < float(metric.result()) < 4.2  # the mean shift ||(1, 1, 1, 1)||^2
    True

    In `evaluate`, with a model whose predictions are the generated features and `y` the real
    ones:

    ```python
    model.compile(loss="mse", metrics=[FrechetDistance(num_features=8)])
    model.evaluate(latents, real_features, return_dict=True)["frechet_distance"]
    ```

    Reference:
        Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
        Nash Equilibrium", equation 6, https://arxiv.org/abs/1706.08500.
    """

    def __init__(
        self, feature_extractor=None, num_features=None, name="frechet_distance", dtype=None
    ):
        if dtype is None:
            dtype = "float64" if float64_available() else "float32"
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}")
        if dtype == "float64" and not float64_available():
            raise ValueError(
                "dtype='float64' is not available on this backend (JAX computes float64 only "
                "with JAX_ENABLE_X64=1): pass dtype='float32' or None"
            )
        super().__init__(name=name, dtype=dtype)
        if feature_extractor is not None and not isinstance(feature_extractor, keras.layers.Layer):
            raise TypeError(
                "feature_extractor must be a keras.Model (or layer), or None; got "
                f"{type(feature_extractor).__name__}"
            )
        extractor_dimension = _output_dimension(feature_extractor)
        if num_features is None:
            if extractor_dimension is None:
                raise ValueError(
                    "num_features is required when feature_extractor is None or has no known "
                    "output shape (batch, num_features); got num_features=None"
                )
            num_features = extractor_dimension
        num_features = check_positive_int("num_features", num_features)
        if extractor_dimension is not None and extractor_dimension != num_features:
            raise ValueError(
                f"num_features must match the feature_extractor's {extractor_dimension} "
                f"features; got {num_features}"
            )
        self.feature_extractor = feature_extractor
        self.num_features = num_features
        self._epsilon = float(np.finfo(dtype).eps)
        vector, matrix = (num_features,), (num_features, num_features)
        self.real_count = self.add_variable((), "zeros", dtype, name="real_count")
        self.real_sum = self.add_variable(vector, "zeros", dtype, name="real_sum")
        self.real_outer_sum = self.add_variable(matrix, "zeros", dtype, name="real_outer_sum")
        self.generated_count = self.add_variable((), "zeros", dtype, name="generated_count")
        self.generated_sum = self.add_variable(vector, "zeros", dtype, name="generated_sum")
        self.generated_outer_sum = self.add_variable(
            matrix, "zeros", dtype, name="generated_outer_sum"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch of real samples (`y_true`) and one of generated samples (`y_pred`).

        Args:
            y_true: real samples: inputs of `feature_extractor`, or features
                `(batch, num_features)` without one. An empty batch adds nothing.
            y_pred: generated samples, likewise; the batch size may differ from `y_true`'s.
            sample_weight: must be `None` (weights are not supported).
        """
        if sample_weight is not None:
            raise ValueError("FrechetDistance does not support sample_weight; got a value")
        for side, samples in (("real", y_true), ("generated", y_pred)):
            count, total, outer_sum = self._accumulators(side)
            features = self._features("y_true" if side == "real" else "y_pred", samples)
            count.assign_add(ops.cast(ops.shape(features)[0], self.dtype))
            total.assign_add(ops.sum(features, axis=0))
            outer_sum.assign_add(ops.matmul(ops.transpose(features), features))

    def result(self):
        """The Fréchet distance of the samples seen, a scalar `>= 0` (NaN below 2 per side)."""
        mean_a, covariance_a, count_a = self._statistics("real")
        mean_b, covariance_b, count_b = self._statistics("generated")
        root_a = self._psd_sqrt(covariance_a)
        product = ops.matmul(ops.matmul(root_a, covariance_b), root_a)
        product = (product + ops.transpose(product)) / 2.0
        eigenvalues, _ = ops.eigh(product)
        trace_sqrt = ops.sum(ops.sqrt(ops.maximum(eigenvalues, 0.0)))
        distance = (
            ops.sum(ops.square(mean_a - mean_b))
            + ops.trace(covariance_a)
            + ops.trace(covariance_b)
            - 2.0 * trace_sqrt
        )
        distance = ops.maximum(distance, 0.0)
        enough = ops.logical_and(count_a >= 2.0, count_b >= 2.0)
        return ops.where(enough, distance, ops.cast(float("nan"), self.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "feature_extractor": (
                    None
                    if self.feature_extractor is None
                    else keras.saving.serialize_keras_object(self.feature_extractor)
                ),
                "num_features": self.num_features,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("feature_extractor") is not None:
            config["feature_extractor"] = keras.saving.deserialize_keras_object(
                config["feature_extractor"]
            )
        return cls(**config)

    def _accumulators(self, side):
        """The `(count, sum, outer_sum)` variables of `"real"` or `"generated"`."""
        return tuple(getattr(self, f"{side}_{part}") for part in ("count", "sum", "outer_sum"))

    def _features(self, name, samples):
        if self.feature_extractor is not None:
            features = self.feature_extractor(samples, training=False)
        else:
            features = ops.convert_to_tensor(samples)
        shape = tuple(features.shape)
        if len(shape) != 2 or shape[1] not in (None, self.num_features):
            source = "" if self.feature_extractor is None else "the extractor's outputs for "
            raise ValueError(
                f"{source}{name} must be features (batch, {self.num_features}); got shape {shape}"
            )
        return ops.cast(features, self.dtype)

    def _statistics(self, side):
        """Mean, unbiased covariance (finite even below 2 samples) and count of one side."""
        count, total, outer_sum = self._accumulators(side)
        count = ops.convert_to_tensor(count)
        mean = total / ops.maximum(count, 1.0)
        covariance = (outer_sum - count * ops.outer(mean, mean)) / ops.maximum(count - 1.0, 1.0)
        return mean, (covariance + ops.transpose(covariance)) / 2.0, count

    def _psd_sqrt(self, matrix):
        """The symmetric square root, over the eigenvalues above the rounding level."""
        eigenvalues, eigenvectors = ops.eigh(matrix)
        tolerance = ops.max(ops.abs(eigenvalues)) * (self.num_features * self._epsilon)
        roots = ops.where(eigenvalues > tolerance, ops.sqrt(ops.maximum(eigenvalues, 0.0)), 0.0)
        return ops.matmul(eigenvectors * roots[None, :], ops.transpose(eigenvectors))


def _output_dimension(extractor):
    """The extractor's static feature dimension, or `None` where it is unknown."""
    if extractor is None:
        return None
    try:
        shape = extractor.output_shape
    except (AttributeError, ValueError, RuntimeError):
        return None
    if isinstance(shape, tuple) and len(shape) == 2 and isinstance(shape[1], int):
        return shape[1]
    return None

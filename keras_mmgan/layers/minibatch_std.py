"""Minibatch standard deviation (Karras et al. 2018, section 3).

A discriminator that sees one sample at a time cannot tell that a generator draws the same
sample over and over. This layer gives it a statistic of the batch: the standard deviation of
each feature across a small group of samples, averaged over the features, appended to every
sample of the group as an extra feature (or channel). A collapsed generator yields a near-zero
statistic that real batches do not, and the discriminator can penalise it.

Reference:
    Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR 2018, section 3, https://arxiv.org/abs/1710.10196.
    The `num_features` split follows StyleGAN2 (Karras et al. 2020, `MinibatchStdLayer`).
"""

import keras
from keras import ops

from keras_mmgan.validation import check_positive_int

_EPSILON = 1e-8


@keras.saving.register_keras_serializable(package="keras_mmgan")
class MinibatchStdDev(keras.layers.Layer):
    """Appends the within-group standard deviation of the batch as extra features.

    The batch of `N` samples is split into groups of `G` samples. As in the reference
    implementation, groups are strided: with `M = N / G`, sample `n` belongs to group
    `n mod M`. For every group and every feature the layer computes the standard deviation
    over the group's samples, `sqrt(var + 1e-8)` (the population variance), and averages it
    over the features (and over height and width for images). The features are split into
    `num_features` equal slices, each averaged separately, so the layer appends `num_features`
    values, the same for every sample of a group: `(N, F) -> (N, F + num_features)` and
    `(N, H, W, C) -> (N, H, W, C + num_features)` (the statistics broadcast over H and W).

    Group size: `G` is the largest divisor of `N` that is at most `group_size`, so that every
    sample is in a group of the same size. With the usual batch sizes (multiples of
    `group_size`) this is `group_size`, and a batch of at most `group_size` samples is one
    group. Other batch sizes fall back to smaller groups, e.g. `N = 6, group_size = 4` gives
    `G = 3`; a prime `N` larger than `group_size` gives `G = 1`, where every standard deviation
    is `sqrt(1e-8) = 1e-4` and the statistic carries no batch information. `G` is computed from
    the batch size at run time, so the layer works in a traced train step whose batch size is
    unknown when it is traced (and with a smaller last batch).

    The statistics are computed in float32, whatever the layer's compute dtype.

    Args:
        group_size: the largest number of samples per group, a positive int (4 in the paper).
        num_features: number of statistics appended, a positive int that divides the number of
            input features (channels).
        **kwargs: the arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor of rank 2 `(N, F)` or rank 4 `(N, H, W, C)`, channels last.

    Example:
        >>> import numpy as np
        >>> layer = MinibatchStdDev(group_size=4)
        >>> x = np.random.default_rng(0).normal(size=(8, 5, 5, 3)).astype("float32")
        >>> tuple(layer(x).shape)
        (8, 5, 5, 4)
        >>> identical = np.ones((4, 3), dtype="float32")
        >>> bool(np.allclose(np.asarray(layer(identical))[:, -1], 1e-4))  # sqrt(0 + 1e-8)
        True

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018, section 3.
    """

    def __init__(self, group_size=4, num_features=1, **kwargs):
        super().__init__(**kwargs)
        self.group_size = check_positive_int("group_size", group_size)
        self.num_features = check_positive_int("num_features", num_features)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) not in (2, 4):
            raise ValueError(
                "MinibatchStdDev inputs must be rank 2 (batch, features) or rank 4 (batch, "
                f"height, width, channels); got shape {input_shape}"
            )
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                "MinibatchStdDev inputs must have a known last dimension (features or "
                f"channels); got shape {input_shape}"
            )
        if features % self.num_features:
            raise ValueError(
                f"num_features must divide the number of input features; got num_features="
                f"{self.num_features} for inputs of shape {input_shape}"
            )
        self.built = True

    def call(self, inputs):
        shape = ops.shape(inputs)
        batch_size, features = shape[0], shape[-1]
        spatial = tuple(shape[1:-1])
        group = self._group(batch_size)
        x = ops.cast(inputs, "float32")
        # (N, ..., F) -> (G, M, ..., num_features, F / num_features); sample n = g * M + m.
        x = ops.reshape(x, (group, -1, *spatial, self.num_features, features // self.num_features))
        variance = ops.mean(ops.square(x - ops.mean(x, axis=0, keepdims=True)), axis=0)
        std = ops.sqrt(variance + _EPSILON)  # (M, ..., num_features, F / num_features)
        # Average over the spatial positions and the features of each slice: (M, num_features).
        std = ops.mean(std, axis=tuple(range(1, len(spatial) + 1)) + (-1,))
        std = ops.reshape(std, (1, -1, *(1,) * len(spatial), self.num_features))
        # Broadcast to every sample of each group and every position: (G, M, ..., num_features).
        std = std + ops.zeros_like(x[..., 0])
        std = ops.reshape(std, (-1, *spatial, self.num_features))
        return ops.concatenate([inputs, ops.cast(std, inputs.dtype)], axis=-1)

    def _group(self, batch_size):
        """The largest divisor of `batch_size` that is at most `group_size`."""
        if isinstance(batch_size, int):
            return max(g for g in range(1, self.group_size + 1) if batch_size % g == 0)
        candidates = ops.arange(1, self.group_size + 1, dtype="int32")
        divides = ops.equal(ops.mod(ops.cast(batch_size, "int32"), candidates), 0)
        return ops.max(ops.where(divides, candidates, ops.ones_like(candidates)))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        features = input_shape[-1]
        return (
            *input_shape[:-1],
            None if features is None else features + self.num_features,
        )

    def get_config(self):
        config = super().get_config()
        config.update({"group_size": self.group_size, "num_features": self.num_features})
        return config

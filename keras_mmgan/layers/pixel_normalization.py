"""Pixelwise feature vector normalization (Karras et al. 2018, section 4.2, eq. 2).

In the generator of a progressively grown GAN, each pixel's feature vector is scaled to unit
length after every convolution: `b = a / sqrt(mean_j a_j^2 + eps)` over the `C` channels. This
keeps the magnitudes of the generator's and the discriminator's signals from escalating in
their competition, without the learned parameters and batch dependence of batch normalization.

Reference:
    Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR 2018, section 4.2, https://arxiv.org/abs/1710.10196.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_mmgan")
class PixelNormalization(keras.layers.Layer):
    """Scales each feature vector (each pixel's channels) to unit mean square.

    `x / sqrt(mean(x^2, axis=-1) + epsilon)`: after the layer, the mean over the channels of
    the squared values is 1 at every pixel (up to `epsilon`). On rank-2 inputs `(N, F)` it
    normalizes each sample's features (the paper normalizes the latent vector this way). It
    has no weights and does not mix samples. The statistic is computed in float32.

    Args:
        epsilon: a small positive number added to the mean square (1e-8, as in the paper).
        **kwargs: the arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor whose last axis holds the features (channels last).

    Example:
        >>> import numpy as np
        >>> x = np.array([[3.0, 4.0]], "float32")
        >>> # The mean square of (3, 4) is 12.5: (3, 4) / sqrt(12.5).
        >>> np.asarray(PixelNormalization()(x)).astype("float64").round(4).tolist()
        [[0.8485, 1.1314]]

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018, section 4.2, eq. 2.
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon <= 0:
            raise ValueError(f"epsilon must be a positive number; got {epsilon!r}")
        self.epsilon = float(epsilon)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        scale = ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)
        return ops.cast(x * scale, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}

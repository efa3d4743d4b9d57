"""Feature-wise linear modulation (FiLM) of image features by a condition vector.

A condition (here `[z, sentence embedding]`) predicts one scale and one shift per channel,
`FiLM(x, c) = gamma(c) * x + beta(c)`, applied to every position of a feature map. DF-GAN's
"deep fusion" applies it in every upsampling block of the generator, so the text steers every
resolution instead of only the first layer. Each of `gamma` and `beta` is a small MLP
(`Dense(hidden_units, relu) -> Dense(channels)`, as DF-GAN's affine blocks), whose last layer
starts at zero weights with bias 1 for the scale and 0 for the shift: at initialisation the
layer is the identity.

Reference:
    Perez et al., "FiLM: Visual Reasoning with a General Conditioning Layer", AAAI 2018.
    Tao et al., "DF-GAN: A Simple and Effective Baseline for Text-to-Image Synthesis",
    CVPR 2022 (the affine transformations of the deep text-image fusion block).
"""

import keras
from keras import layers
from keras import ops

from keras_mmgan.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_mmgan")
class FiLM(keras.layers.Layer):
    """Per-channel scale and shift of image features, predicted from a condition vector.

    Used by `keras_mmgan.networks.text_to_image_generator(fusion="film")` after the
    (affine-free) batch normalization of every upsampling block. Starts as the identity
    (scale 1, shift 0), so a new generator behaves like an unconditioned one until the text
    pathway learns.

    Args:
        hidden_units: width of the hidden layer of each of the two MLPs.
        **kwargs: the arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        features: image features `(N, H, W, C)` (or any rank >= 2, channels last).
        condition: condition vectors `(N, K)`.

    Example:
        >>> import numpy as np
        >>> film = FiLM(hidden_units=8)
        >>> x = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype("float32")
        >>> c = np.ones((2, 5), "float32")
        >>> bool(np.allclose(film(x, c), x))  # the identity at initialisation
        True

    Reference:
        Perez et al., "FiLM: Visual Reasoning with a General Conditioning Layer", AAAI 2018;
        Tao et al., "DF-GAN", CVPR 2022.
    """

    def __init__(self, hidden_units=64, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = check_positive_int("hidden_units", hidden_units)

    def build(self, features_shape, condition_shape):
        features_shape, condition_shape = tuple(features_shape), tuple(condition_shape)
        if len(features_shape) < 2 or features_shape[-1] is None:
            raise ValueError(
                "FiLM features must be channels-last with a known number of channels; "
                f"got shape {features_shape}"
            )
        if len(condition_shape) != 2:
            raise ValueError(
                f"FiLM condition must be rank 2 (batch, features); got shape {condition_shape}"
            )
        channels = features_shape[-1]

        def mlp(name, bias):
            # The layer's own policy: a model reloaded under another global policy keeps its
            # compute dtype (a float32 scale times bfloat16 features fails).
            hidden = layers.Dense(
                self.hidden_units, activation="relu", name=f"{name}_hidden",
                dtype=self.dtype_policy,
            )
            output = layers.Dense(
                channels, kernel_initializer="zeros", bias_initializer=bias, name=name,
                dtype=self.dtype_policy,
            )
            hidden.build(condition_shape)
            output.build((condition_shape[0], self.hidden_units))
            return hidden, output

        self.scale_layers = mlp("scale", "ones")
        self.shift_layers = mlp("shift", "zeros")

    def call(self, features, condition):
        condition = ops.cast(condition, self.compute_dtype)
        scale = self.scale_layers[1](self.scale_layers[0](condition))
        shift = self.shift_layers[1](self.shift_layers[0](condition))
        broadcast = (ops.shape(scale)[0],) + (1,) * (len(features.shape) - 2) + (-1,)
        return features * ops.reshape(scale, broadcast) + ops.reshape(shift, broadcast)

    def compute_output_shape(self, features_shape, condition_shape):
        return tuple(features_shape)

    def get_config(self):
        return {**super().get_config(), "hidden_units": self.hidden_units}

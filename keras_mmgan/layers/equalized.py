"""Equalized learning rate (Karras et al. 2018, section 4.1).

Adaptive optimizers (Adam, RMSProp) normalize each update by a running estimate of the
gradient's scale, so a weight's effective learning rate does not depend on its scale, and
weights initialized small (as He's initializer makes those of wide layers) learn relatively
slower. The paper instead draws every weight from N(0, 1) and multiplies it at run time by
He's constant `c = gain / sqrt(fan_in)`: the layer computes what a He-initialized layer
would, while every weight learns at the same speed.

Reference:
    Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR 2018, section 4.1, https://arxiv.org/abs/1710.10196.
    He et al., "Delving Deep into Rectifiers", ICCV 2015 (the constant).
"""

import math

import keras
from keras import ops

from keras_mmgan.validation import check_positive_int, check_positive_number


class _Equalized(keras.layers.Layer):
    """Shared parts: N(0, 1) kernel and zero bias, He's constant, the activation."""

    def __init__(self, gain=math.sqrt(2.0), use_bias=True, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.gain = check_positive_number("gain", gain)
        self.use_bias = bool(use_bias)
        self.activation = keras.activations.get(activation)

    def _make_weights(self, kernel_shape, fan_in, units):
        self.kernel = self.add_weight(
            name="kernel",
            shape=kernel_shape,
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
        )
        self.bias = (
            self.add_weight(name="bias", shape=(units,), initializer="zeros")
            if self.use_bias
            else None
        )
        # He's constant: the std a He initializer would have given the kernel.
        self.scale = self.gain / math.sqrt(fan_in)

    def _finish(self, outputs):
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias, outputs.dtype)
        return self.activation(outputs)

    def get_config(self):
        return {
            **super().get_config(),
            "gain": self.gain,
            "use_bias": self.use_bias,
            "activation": keras.activations.serialize(self.activation),
        }


@keras.saving.register_keras_serializable(package="keras_mmgan")
class EqualizedDense(_Equalized):
    """A dense layer with equalized learning rate: N(0, 1) weights scaled at run time.

    It computes `activation(x @ (c * W) + b)` with `W ~ N(0, 1)`, `b = 0` at initialization
    and He's constant `c = gain / sqrt(fan_in)` (`fan_in` = input features), so its outputs
    have the scale of a He-initialized `keras.layers.Dense` while Adam moves every weight at
    the same relative speed.

    Args:
        units: output features, a positive int.
        gain: the numerator of He's constant: `sqrt(2)` before a (leaky) ReLU, 1 for a
            linear output.
        use_bias: whether to add a bias (initialized to 0, not scaled).
        activation: a Keras activation (name or callable); linear by default.
        **kwargs: the arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor `(..., fan_in)`.

    Example:
        >>> import numpy as np
        >>> layer = EqualizedDense(8, gain=1.0)
        >>> tuple(layer(np.ones((2, 16), "float32")).shape), layer.scale  # 1 / sqrt(16)
        ((2, 8), 0.25)

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018, section 4.1.
    """

    def __init__(self, units, gain=math.sqrt(2.0), use_bias=True, activation=None, **kwargs):
        super().__init__(gain=gain, use_bias=use_bias, activation=activation, **kwargs)
        self.units = check_positive_int("units", units)

    def build(self, input_shape):
        fan_in = input_shape[-1]
        if fan_in is None:
            raise ValueError(
                f"EqualizedDense needs a known last input dimension; got shape {input_shape}"
            )
        self._make_weights((fan_in, self.units), fan_in, self.units)

    def call(self, inputs):
        kernel = ops.cast(self.kernel, inputs.dtype) * self.scale
        return self._finish(ops.matmul(inputs, kernel))

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="keras_mmgan")
class EqualizedConv2D(_Equalized):
    """A 2D convolution with equalized learning rate: N(0, 1) kernel scaled at run time.

    It computes `activation(conv(x, c * K) + b)` with `K ~ N(0, 1)` of shape
    `(kernel_size, kernel_size, in_channels, filters)`, `b = 0` at initialization and He's
    constant `c = gain / sqrt(kernel_size^2 * in_channels)`. Stride 1, channels last.

    Args:
        filters: output channels, a positive int.
        kernel_size: side of the square kernel, a positive int (3 for the paper's blocks, 1
            for its toRGB and fromRGB layers).
        gain: the numerator of He's constant: `sqrt(2)` before a (leaky) ReLU, 1 for a
            linear output (toRGB).
        padding: `"same"` (default) or `"valid"`.
        use_bias: whether to add a bias (initialized to 0, not scaled).
        activation: a Keras activation (name or callable); linear by default.
        **kwargs: the arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        inputs: images `(N, H, W, in_channels)`.

    Example:
        >>> import numpy as np
        >>> layer = EqualizedConv2D(4, 3)
        >>> tuple(layer(np.ones((1, 8, 8, 2), "float32")).shape)
        (1, 8, 8, 4)

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018, section 4.1.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        gain=math.sqrt(2.0),
        padding="same",
        use_bias=True,
        activation=None,
        **kwargs,
    ):
        super().__init__(gain=gain, use_bias=use_bias, activation=activation, **kwargs)
        self.filters = check_positive_int("filters", filters)
        self.kernel_size = check_positive_int("kernel_size", kernel_size)
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid'; got {padding!r}")
        self.padding = padding

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "EqualizedConv2D inputs must be rank 4 (batch, height, width, channels) "
                f"with known channels; got shape {input_shape}"
            )
        channels = input_shape[-1]
        shape = (self.kernel_size, self.kernel_size, channels, self.filters)
        self._make_weights(shape, self.kernel_size * self.kernel_size * channels, self.filters)

    def call(self, inputs):
        kernel = ops.cast(self.kernel, inputs.dtype) * self.scale
        return self._finish(
            ops.conv(inputs, kernel, strides=1, padding=self.padding, data_format="channels_last")
        )

    def compute_output_shape(self, input_shape):
        n, height, width, _ = input_shape
        if self.padding == "valid":
            height = None if height is None else height - self.kernel_size + 1
            width = None if width is None else width - self.kernel_size + 1
        return (n, height, width, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "padding": self.padding,
        }

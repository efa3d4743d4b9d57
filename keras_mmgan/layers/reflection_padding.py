"""Reflection padding for images, as in the CycleGAN generator (Zhu et al. 2017).

Zero padding puts a dark frame around every feature map, which a generator learns to
reproduce as border artifacts. Reflection padding mirrors the image at its border instead
(without repeating the edge pixel: `[1, 2, 3]` padded by 2 is `[3, 2, 1, 2, 3, 2, 1]`), so the
padded map has the statistics of the image. Johnson et al. 2016 and CycleGAN use it in front of
the 7x7 stem and output convolutions and inside every residual block.

Reference:
    Zhu, Park, Isola and Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
    Adversarial Networks", ICCV 2017, section 4 and appendix 7.2,
    https://arxiv.org/abs/1703.10593.
"""

import keras
import numpy as np
from keras import ops


def _normalize_padding(padding):
    """Returns `padding` (an int or `(height, width)`) as a pair of non-negative ints."""
    pair = (padding, padding) if not isinstance(padding, (tuple, list)) else tuple(padding)
    if len(pair) != 2 or any(
        isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in pair
    ):
        raise TypeError(
            f"padding must be an int or a pair of ints (height, width); got {padding!r}"
        )
    if any(p < 0 for p in pair):
        raise ValueError(f"padding must be >= 0; got {padding!r}")
    return tuple(int(p) for p in pair)


@keras.saving.register_keras_serializable(package="keras_mmgan")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads the height and width of images by reflecting them at their border.

    The layer mirrors each image at its edges, without repeating the edge row or column (the
    `"reflect"` mode of `numpy.pad`, PyTorch's `nn.ReflectionPad2d`): `(N, H, W, C)` becomes
    `(N, H + 2 * pad_h, W + 2 * pad_w, C)`, where `(pad_h, pad_w)` is added on both sides. A
    reflection cannot be wider than the image minus its edge, so each padding must be smaller
    than the side it pads (`pad_h < H`, `pad_w < W`).

    Args:
        padding: an int (the same padding on height and width) or a pair of ints
            `(pad_h, pad_w)`, each `>= 0`.
        data_format: `"channels_last"` (`(N, H, W, C)`) or `"channels_first"`
            (`(N, C, H, W)`); by default `keras.config.image_data_format()`.
        **kwargs: the arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        inputs: a rank-4 tensor of images.

    Example:
        >>> import numpy as np
        >>> layer = ReflectionPadding2D(1, data_format="channels_last")
        >>> x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
        >>> np.asarray(layer(x))[0, :, :, 0]
        array([[4., 3., 4., 5., 4.],
               [1., 0., 1., 2., 1.],
               [4., 3., 4., 5., 4.],
               [7., 6., 7., 8., 7.],
               [4., 3., 4., 5., 4.]], dtype=float32)

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
        Networks", ICCV 2017, appendix 7.2.
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _normalize_padding(padding)
        data_format = data_format or keras.config.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                f"data_format must be 'channels_last' or 'channels_first'; got {data_format!r}"
            )
        self.data_format = data_format
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        for axis, pad, side in zip(self._spatial_axes(), self.padding, ("height", "width")):
            size = input_shape[axis]
            if size is not None and pad >= size:
                raise ValueError(
                    f"padding must be smaller than the image {side} for a reflection; got "
                    f"padding={self.padding} for inputs of shape {input_shape}"
                )
        self.built = True

    def call(self, inputs):
        pad_height, pad_width = self.padding
        if self.data_format == "channels_last":
            pad_width_spec = [[0, 0], [pad_height, pad_height], [pad_width, pad_width], [0, 0]]
        else:
            pad_width_spec = [[0, 0], [0, 0], [pad_height, pad_height], [pad_width, pad_width]]
        return ops.pad(inputs, pad_width_spec, mode="reflect")

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        for axis, pad in zip(self._spatial_axes(), self.padding):
            if output_shape[axis] is not None:
                output_shape[axis] += 2 * pad
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config

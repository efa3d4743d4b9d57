"""Fading a new block in (Karras et al. 2018, section 2 and figure 2).

When a progressively grown GAN doubles its resolution, the new layers are not switched on at
once: their output is blended with the output of the old, lower-resolution path (upsampled in
the generator, downsampled in the discriminator) by a weight `alpha` that rises linearly from 0
to 1, so the networks already trained are not shocked by untrained layers.

Reference:
    Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR 2018, section 2 and figure 2,
    https://arxiv.org/abs/1710.10196.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_mmgan")
class FadeIn(keras.layers.Layer):
    """Blends an old path into a new one: `(1 - alpha) * old + alpha * new`.

    The weight `alpha` is a call argument, not a weight of the layer, so that one variable
    (a model's fade-in weight) can drive every `FadeIn` of a generator and its discriminator,
    and so that a traced function reads its current value at each call instead of being traced
    again. `alpha = 0` returns `old` and `alpha = 1` returns `new`, both exactly. A tensor
    `alpha` is clipped to [0, 1]; a Python number outside [0, 1] is an error.

    Args:
        **kwargs: the arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        inputs: a list `[old, new]` of two tensors of the same shape.
        alpha: the weight of `new`, a scalar (Python number, tensor or `keras.Variable`).

    Example:
        >>> import numpy as np
        >>> old, new = np.zeros((1, 2), "float32"), np.ones((1, 2), "float32")
        >>> np.asarray(FadeIn()([old, new], alpha=0.25)).tolist()
        [[0.25, 0.25]]

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018, figure 2.
    """

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or not all(
            isinstance(shape, (list, tuple)) for shape in input_shape
        ):
            raise ValueError(
                f"FadeIn inputs must be a list [old, new] of two tensors; got shapes {input_shape}"
            )
        old, new = (tuple(shape) for shape in input_shape)
        if len(old) != len(new) or any(
            a is not None and b is not None and a != b for a, b in zip(old, new)
        ):
            raise ValueError(
                f"FadeIn inputs [old, new] must have the same shape; got {old} and {new}"
            )
        self.built = True

    def call(self, inputs, alpha):
        old, new = inputs
        if isinstance(alpha, (int, float)):
            if not 0.0 <= alpha <= 1.0:
                raise ValueError(f"alpha must be in [0, 1]; got {alpha}")
        else:
            alpha = ops.clip(ops.convert_to_tensor(alpha), 0.0, 1.0)
        alpha = ops.cast(alpha, new.dtype)
        return (1.0 - alpha) * old + alpha * new

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[1])

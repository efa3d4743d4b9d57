"""Differentiable augmentation of what the discriminator sees (DiffAugment, Zhao et al. 2020).

A GAN trained on augmented reals learns to draw the augmentations ("leaking"). DiffAugment
instead augments every image the discriminator judges, reals and fakes alike, in both phases,
with differentiable operations, so that the generator gets its gradients through them. Each op
draws its parameters per image, and is applied to each image with probability `p` (1 for
DiffAugment; adaptive augmentation, `AdaptiveAugment`, tunes it while training).

The ops (images in [-1, 1], channels last), with the paper's strengths:

- `brightness`: `x + b`, `b ~ U(-0.5, 0.5)`;
- `saturation`: `(x - mean_c) * s + mean_c` over the channels, `s ~ U(0, 2)`;
- `contrast`: `(x - mean) * c + mean` over the image, `c ~ U(0.5, 1.5)`;
- `color`: the three above, in that order;
- `translation`: an integer shift of up to 1/8 of each side, the uncovered border filled by
  the image's edge pixels (the background, for images on a plain one) or by zeros (`fill`);
- `cutout`: a square of half the side, at a random place, set to zero;
- `flip`: a horizontal flip, with probability 1/2 among the images it applies to;
- `rotation`: a rotation by 0, 90, 180 or 270 degrees (square images).

Keras's own augmentation layers apply an op to every image of a batch (or flip with a fixed
probability 1/2) and draw from their own generators; ADA needs each op applied with probability
`p` per image and the layer's random state saved with the model, so the ops are written here
with `keras.ops` (gathers as one-hot products, blends as `where`), all differentiable.

Reference:
    Zhao, Liu, Lin, Zhu and Han, "Differentiable Augmentation for Data-Efficient GAN
    Training", NeurIPS 2020 (section 3 and the official `DiffAugment_tf.py`).
"""

import keras
from keras import ops

from keras_mmgan.layers.seed_state import SavesSeedState

OPS = ("brightness", "saturation", "contrast", "translation", "cutout", "flip", "rotation")
_GROUPS = {"color": ("brightness", "saturation", "contrast")}
FILLS = ("edge", "zeros")


def parse_policy(policy):
    """The op names of a policy string, in the order they are applied.

    Args:
        policy: comma-separated names among `OPS` and `"color"` (brightness, saturation,
            contrast), e.g. `"color,translation,cutout"` (the paper's).

    Returns:
        A tuple of op names.

    Example:

    >>> parse_policy("color,translation")
    ('brightness', 'saturation', 'contrast', 'translation')
    """
    if not isinstance(policy, str):
        raise TypeError(f"policy must be a string such as 'color,translation,cutout'; got {policy!r}")
    names = []
    for name in (part.strip() for part in policy.split(",")):
        if name in _GROUPS:
            names += [op for op in _GROUPS[name] if op not in names]
        elif name in OPS:
            if name not in names:
                names.append(name)
        else:
            raise ValueError(
                f"policy names unknown op {name!r}; ops are {OPS + tuple(_GROUPS)}, "
                f"comma-separated (got policy={policy!r})"
            )
    if not names:
        raise ValueError(f"policy must name at least one op; got {policy!r}")
    return tuple(names)


def check_probability(name, value):
    """Returns `value` as a float in [0, 1]; raises a `ValueError` naming `name` otherwise.

    Example:

    >>> check_probability("p", 0.25)
    0.25
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a probability in [0, 1]; got {value!r}")
    return float(value)


def _select(indices, size, dtype, keep):
    """One-hot rows `(N, L, size)` picking `indices` `(N, L)`, zeroed where not `keep`."""
    return ops.one_hot(indices, size, dtype=dtype) * ops.cast(keep, dtype)[..., None]


@keras.saving.register_keras_serializable(package="keras_mmgan")
class DiffAugment(SavesSeedState, keras.layers.Layer):
    """Augments the images a discriminator judges, differentiably (DiffAugment).

    Give it to a GAN (`augment="color,translation,cutout"`, or an instance) and the GAN
    augments every image its discriminator sees, real and fake, in both phases; see the module
    docstring for the ops. Called on a list of images of one batch size and spatial size (a
    Pix2Pix `[source, image]` pair), it applies the same geometric transform to all of them and
    the same colour factors to each, so that a pair stays a pair. With `training=False` it
    returns its input.

    The op probability `p` is a variable saved with the model (1 here; `AdaptiveAugment`
    moves it). The layer's random state is saved with the model too, so a resumed run draws
    the same augmentations as an uninterrupted one.

    Args:
        policy: comma-separated op names, e.g. `"color,translation,cutout"` (the paper's).
        probability: the probability `p` that an op applies to an image, in [0, 1].
        translation_ratio: the largest shift, as a fraction of each side (1/8).
        cutout_ratio: the side of the cut-out square, as a fraction of the image's (1/2).
        fill: `"edge"` (the border pixels: the background) or `"zeros"` (the paper's code)
            for what a translation uncovers.
        seed: int seed of the augmentations (random if `None`).
        **kwargs: passed to `keras.layers.Layer`.

    Returns:
        Called on images `(N, H, W, C)` (or a list of them), the augmented images.

    Example:

    >>> import numpy as np
    >>> augment = DiffAugment("color,translation,cutout", seed=0)
    >>> tuple(augment(np.zeros((4, 16, 16, 3), "float32")).shape)
    (4, 16, 16, 3)

    Reference:
        Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training",
        NeurIPS 2020.
    """

    def __init__(
        self,
        policy="color,translation,cutout",
        probability=1.0,
        translation_ratio=0.125,
        cutout_ratio=0.5,
        fill="edge",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.policy = policy
        self.ops = parse_policy(policy)
        self.initial_probability = check_probability("probability", probability)
        self.translation_ratio = check_probability("translation_ratio", translation_ratio)
        self.cutout_ratio = check_probability("cutout_ratio", cutout_ratio)
        if fill not in FILLS:
            raise ValueError(f"fill must be one of {FILLS}; got {fill!r}")
        self.fill = fill
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="augment_seed")
        self.probability = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(self.initial_probability),
            trainable=False,
            name="probability",
        )
        self.built = True

    def call(self, inputs, training=True):
        single = not isinstance(inputs, (list, tuple))
        images = [inputs] if single else list(inputs)
        if not training:
            return inputs
        first = images[0]
        n = ops.shape(first)[0]
        height, width = first.shape[1], first.shape[2]
        # Per image: one draw deciding whether each op applies, and one for its parameter(s).
        draws = keras.random.uniform((n, 3 * len(self.ops)), seed=self.seed_generator)
        p = ops.cast(self.probability, draws.dtype)
        for i, name in enumerate(self.ops):
            applies = draws[:, 3 * i] < p
            u, v = draws[:, 3 * i + 1], draws[:, 3 * i + 2]
            images = [self._apply(name, x, applies, u, v, height, width) for x in images]
        return images[0] if single else images

    def _apply(self, name, x, applies, u, v, height, width):
        dtype = x.dtype
        u, v = ops.cast(u, dtype)[:, None, None, None], ops.cast(v, dtype)[:, None, None, None]
        if name == "brightness":
            out = x + (u - 0.5)
        elif name == "saturation":
            mean = ops.mean(x, axis=-1, keepdims=True)
            out = (x - mean) * (2.0 * u) + mean
        elif name == "contrast":
            mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
            out = (x - mean) * (u + 0.5) + mean
        elif name == "translation":
            out = self._translate(x, u[:, 0, 0, 0], v[:, 0, 0, 0], height, width)
        elif name == "cutout":
            out = x * self._cutout_mask(u[:, 0, 0, 0], v[:, 0, 0, 0], height, width, dtype)
        elif name == "flip":
            out = ops.where(u < 0.5, ops.flip(x, axis=2), x)
        else:  # rotation
            out = self._rotate(x, u[:, 0, 0, 0], height, width)
        return ops.where(applies[:, None, None, None], out, x)

    def _translate(self, x, u, v, height, width):
        # Shifts in [-shift, shift] pixels, as the paper's code draws them.
        def shifts(draw, side):
            shift = int(side * self.translation_ratio + 0.5)
            return ops.cast(ops.floor(draw * (2 * shift + 1)), "int32") - shift

        dy, dx = shifts(u, height), shifts(v, width)
        rows = ops.arange(height)[None, :] - dy[:, None]  # (N, H): where each row comes from
        cols = ops.arange(width)[None, :] - dx[:, None]
        zeros = self.fill == "zeros"
        row_keep = ((rows >= 0) & (rows < height)) if zeros else ops.ones_like(rows, "bool")
        col_keep = ((cols >= 0) & (cols < width)) if zeros else ops.ones_like(cols, "bool")
        select_rows = _select(ops.clip(rows, 0, height - 1), height, x.dtype, row_keep)
        select_cols = _select(ops.clip(cols, 0, width - 1), width, x.dtype, col_keep)
        x = ops.einsum("nhk,nkwc->nhwc", select_rows, x)
        return ops.einsum("nwk,nhkc->nhwc", select_cols, x)

    def _cutout_mask(self, u, v, height, width, dtype):
        # The paper's code: a square of side round(ratio * side) whose centre is uniform over
        # the image (so it may be cut by the border).
        def inside(draw, side):
            size = int(side * self.cutout_ratio + 0.5)
            offset = ops.cast(ops.floor(draw * (side + (1 - size % 2))), "int32")
            start = offset - size // 2
            position = ops.arange(side)[None, :]
            return (position >= start[:, None]) & (position < start[:, None] + size)

        cut = inside(u, height)[:, :, None] & inside(v, width)[:, None, :]
        return ops.cast(ops.logical_not(cut), dtype)[..., None]

    def _rotate(self, x, u, height, width):
        if height != width:
            return x  # a quarter turn would change the shape
        quarter = ops.flip(ops.transpose(x, (0, 2, 1, 3)), axis=1)  # 90 degrees
        half = ops.flip(ops.flip(x, axis=1), axis=2)
        three = ops.flip(ops.transpose(x, (0, 2, 1, 3)), axis=2)
        k = ops.cast(ops.floor(u * 4.0), "int32")[:, None, None, None]
        return ops.where(k == 1, quarter, ops.where(k == 2, half, ops.where(k == 3, three, x)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            policy=self.policy,
            probability=self.initial_probability,
            translation_ratio=self.translation_ratio,
            cutout_ratio=self.cutout_ratio,
            fill=self.fill,
            seed=self.seed,
        )
        return config

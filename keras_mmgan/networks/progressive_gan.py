"""The generator and discriminator of a progressively grown GAN (Karras et al. 2018, table 2).

Both networks hold the layers of every resolution from 4x4 up to a target resolution, and
run the ones of a given *stage* (stage `s` works at `4 * 2**s` pixels). While a stage's
new block fades in (section 2, figure 2), the old path is blended in with a weight `alpha`
(`layers.FadeIn`): the generator's previous output, upsampled, and the discriminator's input,
downsampled, through the previous stage's toRGB / fromRGB layer. The stage is a Python int
(it changes the shapes, so a traced function is traced again per stage); `alpha` is a tensor
(a model's variable), so changing it needs no new trace.

Generator (section 4.2, table 2): the latent (pixel-normalized) -> dense to 4x4 -> 3x3 conv;
then per stage upsample x2 (nearest) -> two 3x3 convs; leaky ReLU (0.2) and pixel
normalization after every conv; a linear 1x1 "toRGB" conv per stage. Discriminator: a 1x1
"fromRGB" conv per stage, then per stage two 3x3 convs and 2x2 average pooling; at 4x4 the
minibatch standard deviation (section 3), a 3x3 conv, a dense layer (the paper's 4x4 conv)
and a linear output. Equalized learning rate (section 4.1) in every conv and dense layer.

Reference:
    Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR 2018, https://arxiv.org/abs/1710.10196.
"""

import math

import keras
import numpy as np
from keras import layers

from keras_mmgan.layers.equalized import EqualizedConv2D
from keras_mmgan.layers.equalized import EqualizedDense
from keras_mmgan.layers.fade_in import FadeIn
from keras_mmgan.layers.minibatch_std import MinibatchStdDev
from keras_mmgan.layers.pixel_normalization import PixelNormalization
from keras_mmgan.validation import check_positive_int

_SQRT2 = math.sqrt(2.0)


def check_resolution(name, value):
    """Returns `value` as an int; raises `ValueError` unless it is a power of two >= 4.

    Args:
        name: the argument's name, for the message.
        value: the resolution to check.

    Returns:
        `int(value)`.

    Example:

    >>> check_resolution("target_resolution", 32)
    32
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < 4
        or value & (value - 1)
    ):
        raise ValueError(f"{name} must be a power of two >= 4 (4, 8, 16, 32, ...); got {value!r}")
    return int(value)


def num_stages_for(resolution):
    """The number of stages from 4x4 to `resolution`.

    Args:
        resolution: the target image side, a power of two >= 4.

    Returns:
        `log2(resolution) - 1`: 4 -> 1, 8 -> 2, 32 -> 4.

    Example:

    >>> num_stages_for(32)
    4
    """
    return int(math.log2(check_resolution("resolution", resolution))) - 1


def stage_filters(filters, num_stages):
    """Channels per stage (4x4 first) from an int or a sequence.

    An int `F` gives `F` channels up to 32x32 and halves them at each doubling above (at least
    1): the paper's `min(fmap_max, fmap_base / resolution)` with `fmap_max = F` and
    `fmap_base = 32 F` (its 512 and 16384). A sequence gives one positive int per stage.

    Args:
        filters: an int, or a sequence of `num_stages` ints.
        num_stages: the number of stages.

    Returns:
        A list of `num_stages` ints.

    Example:

    >>> stage_filters(128, 5)   # 4x4 ... 64x64
    [128, 128, 128, 128, 64]
    """
    if isinstance(filters, (list, tuple)):
        if len(filters) != num_stages:
            raise ValueError(
                f"filters must be one int per stage ({num_stages} for 4x4 to "
                f"{4 * 2 ** (num_stages - 1)}x{4 * 2 ** (num_stages - 1)}); got {list(filters)}"
            )
        return [check_positive_int("filters", f) for f in filters]
    filters = check_positive_int("filters", filters)
    return [max(1, min(filters, (32 * filters) // (4 * 2**s))) for s in range(num_stages)]


def _dense(units, gain, equalized_lr, name):
    if equalized_lr:
        return EqualizedDense(units, gain=gain, name=name)
    initializer = keras.initializers.VarianceScaling(gain**2, "fan_in", "untruncated_normal")
    return layers.Dense(units, kernel_initializer=initializer, name=name)


def _conv(filters, kernel_size, gain, equalized_lr, name):
    if equalized_lr:
        return EqualizedConv2D(filters, kernel_size, gain=gain, name=name)
    initializer = keras.initializers.VarianceScaling(gain**2, "fan_in", "untruncated_normal")
    return layers.Conv2D(
        filters, kernel_size, padding="same", kernel_initializer=initializer, name=name
    )


def _check_stage(network, stage):
    if stage is None:
        return network.num_stages - 1
    if isinstance(stage, bool) or not isinstance(stage, (int, np.integer)) or not (
        0 <= stage < network.num_stages
    ):
        raise ValueError(
            f"stage must be an int in [0, {network.num_stages}) for {network.name} "
            f"(4x4 to {network.resolution}x{network.resolution}); got {stage!r}"
        )
    return int(stage)


def _unique(variables):
    seen, unique = set(), []
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            unique.append(variable)
    return unique


class _ProgressiveNetwork(keras.Model):
    """Shared parts: argument checks, stages, config."""

    def __init__(self, resolution, channels, filters, equalized_lr, **kwargs):
        super().__init__(**kwargs)
        self.resolution = check_resolution("resolution", resolution)
        self.channels = check_positive_int("channels", channels)
        self.num_stages = num_stages_for(self.resolution)
        self.filters = list(filters) if isinstance(filters, (list, tuple)) else filters
        self.stage_filters = stage_filters(filters, self.num_stages)
        self.equalized_lr = bool(equalized_lr)

    def stage_resolution(self, stage):
        """The image side at a stage.

        Args:
            stage: an int in `[0, num_stages)`.

        Returns:
            `4 * 2**stage`.

        Example:

        ```python
        generator.stage_resolution(2)   # 16
        ```
        """
        return 4 * 2 ** _check_stage(self, stage)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "resolution": self.resolution,
            "channels": self.channels,
            "filters": self.filters,
            "equalized_lr": self.equalized_lr,
        }


@keras.saving.register_keras_serializable(package="keras_mmgan")
class ProgressiveGenerator(_ProgressiveNetwork):
    """The generator of a progressively grown GAN: latents to images at any stage.

    It holds the blocks of every stage, from 4x4 to `resolution`, and `call(latents,
    stage, alpha)` runs stages `0..stage`. With `alpha` (while the stage's block fades in) the
    output is `(1 - alpha) * upsample(toRGB_{stage-1}(h)) + alpha * toRGB_stage(block(h))`,
    where `h` are the features of the previous stage; without it, only the new path. The
    output is linear, as in the paper (a model clips it to [-1, 1] for inference). All
    weights of all stages exist from construction.

    Args:
        latent_dim: size of the latent vector z.
        resolution: the target (largest) image side, a power of two >= 4.
        channels: image channels (1 or 3, or any positive int).
        filters: channels per stage: an int (the same up to 32x32, halved per doubling
            above) or one int per stage (4x4 first); see `stage_filters`.
        pixel_norm: pixel normalization of the latent and after every conv (section 4.2).
        equalized_lr: equalized learning rate (section 4.1): `EqualizedDense` /
            `EqualizedConv2D`; otherwise Keras layers with He's initializer.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Call arguments:
        latents: `(N, latent_dim)`.
        stage: the stage to run, an int in `[0, num_stages)`; the last one by default.
        alpha: `None`, or the weight of the new block in [0, 1] (a scalar or tensor)
            while it fades in; ignored at stage 0.
        training: unused (no layer differs in training), for Keras.

    Returns:
        Images `(N, 4 * 2**stage, 4 * 2**stage, channels)`.

    Example:

    >>> generator = ProgressiveGenerator(16, resolution=16, channels=1, filters=8)
    >>> z = np.zeros((2, 16), "float32")
    >>> tuple(generator(z, stage=1, alpha=0.5).shape)
    (2, 8, 8, 1)

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018, table 2.
    """

    def __init__(
        self,
        latent_dim,
        resolution,
        channels=3,
        filters=128,
        pixel_norm=True,
        equalized_lr=True,
        **kwargs,
    ):
        kwargs.setdefault("name", "progressive_generator")
        super().__init__(resolution, channels, filters, equalized_lr, **kwargs)
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        self.pixel_norm = bool(pixel_norm)

        def activation_and_norm(tag):
            out = [layers.LeakyReLU(0.2, name=f"lrelu_{tag}")]
            if self.pixel_norm:
                out.append(PixelNormalization(name=f"pixel_norm_{tag}"))
            return out

        f = self.stage_filters
        first = [PixelNormalization(name="latent_norm")] if self.pixel_norm else []
        # The paper's gain sqrt(2) / 4 for the dense layer (its 4x4 conv on a 1x1 input).
        first += [
            _dense(16 * f[0], _SQRT2 / 4, self.equalized_lr, "dense"),
            layers.Reshape((4, 4, f[0]), name="to_4x4"),
            *activation_and_norm("dense"),
            _conv(f[0], 3, _SQRT2, self.equalized_lr, "conv"),
            *activation_and_norm("conv"),
        ]
        self.blocks = [keras.Sequential(first, name="block_4x4")]
        for s in range(1, self.num_stages):
            side = 4 * 2**s
            self.blocks.append(
                keras.Sequential(
                    [
                        layers.UpSampling2D(2, interpolation="nearest", name="upsample"),
                        _conv(f[s], 3, _SQRT2, self.equalized_lr, "conv0"),
                        *activation_and_norm("conv0"),
                        _conv(f[s], 3, _SQRT2, self.equalized_lr, "conv1"),
                        *activation_and_norm("conv1"),
                    ],
                    name=f"block_{side}x{side}",
                )
            )
        self.to_rgb = [
            _conv(self.channels, 1, 1.0, self.equalized_lr, f"to_rgb_{4 * 2**s}x{4 * 2**s}")
            for s in range(self.num_stages)
        ]
        self.upsample = layers.UpSampling2D(2, interpolation="nearest", name="upsample_rgb")
        self.fade_in = FadeIn(name="fade_in")
        self.build((None, self.latent_dim))

    def build(self, input_shape=None):
        # Runs every stage on a symbolic batch, which creates every weight.
        latents = keras.KerasTensor((None, self.latent_dim))
        for stage in range(self.num_stages):
            self._forward(latents, stage, 0.5 if stage else None)
        self.built = True

    def _forward(self, latents, stage, alpha):
        x = self.blocks[0](latents)
        for s in range(1, stage):
            x = self.blocks[s](x)
        if stage == 0:
            return self.to_rgb[0](x)
        new = self.to_rgb[stage](self.blocks[stage](x))
        if alpha is None:
            return new
        old = self.upsample(self.to_rgb[stage - 1](x))
        return self.fade_in([old, new], alpha=alpha)

    def call(self, latents, stage=None, alpha=None, training=None):
        return self._forward(latents, _check_stage(self, stage), alpha)

    def stage_variables(self, stage):
        """The trainable variables the forward pass at `stage` reads (with its fade-in).

        Args:
            stage: an int in `[0, num_stages)`.

        Returns:
            A list of variables: the blocks `0..stage` and the toRGB layers of `stage` and
            `stage - 1`.

        Example:

        ```python
        variables = generator.stage_variables(2)   # what a step at 16x16 trains
        ```
        """
        stage = _check_stage(self, stage)
        parts = self.blocks[: stage + 1] + self.to_rgb[max(stage - 1, 0) : stage + 1]
        return _unique(v for part in parts for v in part.trainable_variables)

    def get_config(self):
        return {
            **super().get_config(),
            "latent_dim": self.latent_dim,
            "pixel_norm": self.pixel_norm,
        }


@keras.saving.register_keras_serializable(package="keras_mmgan")
class ProgressiveDiscriminator(_ProgressiveNetwork):
    """The discriminator (critic) of a progressively grown GAN: images at any stage to scores.

    It holds the blocks of every stage and `call(images, stage, alpha)` reads images of side
    `4 * 2**stage`: fromRGB at that resolution, the stage's block (two 3x3 convs, 2x2 average
    pooling), then the blocks of the lower stages down to 4x4, where the minibatch standard
    deviation, a 3x3 conv, a dense layer and a linear output give one score per image. With
    `alpha` (while the stage fades in) the features after the stage's block are
    `(1 - alpha) * fromRGB_{stage-1}(avgpool(images)) + alpha * block(fromRGB_stage(images))`.

    Args:
        resolution: the target (largest) image side, a power of two >= 4.
        channels: image channels.
        filters: channels per stage: an int or one int per stage (4x4 first); see
            `stage_filters`.
        minibatch_std: append the minibatch standard deviation at 4x4 (section 3;
            `layers.MinibatchStdDev`, groups of 4).
        equalized_lr: equalized learning rate (section 4.1).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Call arguments:
        images: `(N, side, side, channels)` with `side = 4 * 2**stage`.
        stage: the stage, an int in `[0, num_stages)`; the last one by default.
        alpha: `None`, or the weight of the new block in [0, 1] while it fades in.
        training: unused, for Keras.

    Returns:
        Scores (logits) `(N, 1)`.

    Example:

    >>> discriminator = ProgressiveDiscriminator(resolution=16, channels=1, filters=8)
    >>> tuple(discriminator(np.zeros((4, 8, 8, 1), "float32"), stage=1).shape)
    (4, 1)

    Reference:
        Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and
        Variation", ICLR 2018, table 2 and section 3.
    """

    def __init__(
        self,
        resolution,
        channels=3,
        filters=128,
        minibatch_std=True,
        equalized_lr=True,
        **kwargs,
    ):
        kwargs.setdefault("name", "progressive_discriminator")
        super().__init__(resolution, channels, filters, equalized_lr, **kwargs)
        self.minibatch_std = bool(minibatch_std)
        f, eq = self.stage_filters, self.equalized_lr

        def lrelu(tag):
            return layers.LeakyReLU(0.2, name=f"lrelu_{tag}")

        self.from_rgb = [
            keras.Sequential(
                [_conv(f[s], 1, _SQRT2, eq, "conv"), lrelu("conv")],
                name=f"from_rgb_{4 * 2**s}x{4 * 2**s}",
            )
            for s in range(self.num_stages)
        ]
        last = [MinibatchStdDev(group_size=4, name="minibatch_std")] if self.minibatch_std else []
        last += [
            _conv(f[0], 3, _SQRT2, eq, "conv"),
            lrelu("conv"),
            layers.Flatten(name="flatten"),
            _dense(f[0], _SQRT2, eq, "dense"),
            lrelu("dense"),
            _dense(1, 1.0, eq, "score"),
        ]
        self.blocks = [keras.Sequential(last, name="block_4x4")]
        for s in range(1, self.num_stages):
            side = 4 * 2**s
            self.blocks.append(
                keras.Sequential(
                    [
                        _conv(f[s], 3, _SQRT2, eq, "conv0"),
                        lrelu("conv0"),
                        _conv(f[s - 1], 3, _SQRT2, eq, "conv1"),
                        lrelu("conv1"),
                        layers.AveragePooling2D(2, name="downsample"),
                    ],
                    name=f"block_{side}x{side}",
                )
            )
        self.downsample = layers.AveragePooling2D(2, name="downsample_rgb")
        self.fade_in = FadeIn(name="fade_in")
        self.build((None, self.resolution, self.resolution, self.channels))

    def build(self, input_shape=None):
        for stage in range(self.num_stages):
            side = 4 * 2**stage
            images = keras.KerasTensor((None, side, side, self.channels))
            self._forward(images, stage, 0.5 if stage else None)
        self.built = True

    def _forward(self, images, stage, alpha):
        x = self.from_rgb[stage](images)
        if stage > 0:
            x = self.blocks[stage](x)
            if alpha is not None:
                old = self.from_rgb[stage - 1](self.downsample(images))
                x = self.fade_in([old, x], alpha=alpha)
            for s in range(stage - 1, 0, -1):
                x = self.blocks[s](x)
        return self.blocks[0](x)

    def call(self, images, stage=None, alpha=None, training=None):
        stage = _check_stage(self, stage)
        side = 4 * 2**stage
        expected = (side, side, self.channels)
        if len(images.shape) != 4 or any(
            d is not None and d != e for d, e in zip(images.shape[1:], expected)
        ):
            raise ValueError(
                f"images at stage {stage} must have shape (batch, {side}, {side}, "
                f"{self.channels}); got shape {tuple(images.shape)}"
            )
        return self._forward(images, stage, alpha)

    def stage_variables(self, stage):
        """The trainable variables the forward pass at `stage` reads (with its fade-in).

        Args:
            stage: an int in `[0, num_stages)`.

        Returns:
            A list of variables: the fromRGB layers of `stage` and `stage - 1` and the blocks
            `stage..0`.

        Example:

        ```python
        variables = discriminator.stage_variables(2)   # what a step at 16x16 trains
        ```
        """
        stage = _check_stage(self, stage)
        parts = self.from_rgb[max(stage - 1, 0) : stage + 1] + self.blocks[: stage + 1]
        return _unique(v for part in parts for v in part.trainable_variables)

    def get_config(self):
        return {**super().get_config(), "minibatch_std": self.minibatch_std}

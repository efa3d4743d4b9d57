"""Networks of image-to-image translation: U-Net and ResNet generators, PatchGAN discriminator.

- `unet_generator`: the encoder-decoder with skip connections of Pix2Pix (Isola et al. 2017,
  section 3.2.1 and section 6.1.1 of the appendix, "U-Net").
- `resnet_generator`: the generator of CycleGAN (Zhu et al. 2017, appendix 7.2), after Johnson
  et al. 2016: downsample, residual blocks, upsample, with reflection padding.
- `patchgan_discriminator`: the "PatchGAN" of both (Isola et al. 2017, section 3.2.2): a fully
  convolutional D that outputs one logit per overlapping 70x70 patch of the image.

The networks only compute forward passes; `keras_mmgan.models.Pix2Pix` and `CycleGAN` own the
losses. Images are channels-last and in [-1, 1].

References:
    Isola, Zhu, Zhou and Efros, "Image-to-Image Translation with Conditional Adversarial
    Networks", CVPR 2017, https://arxiv.org/abs/1611.07004.
    Zhu, Park, Isola and Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
    Adversarial Networks", ICCV 2017, https://arxiv.org/abs/1703.10593.
    Johnson, Alahi and Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
    Super-Resolution", ECCV 2016.
"""

import keras
import numpy as np
from keras import layers

from keras_mmgan.layers.reflection_padding import ReflectionPadding2D
from keras_mmgan.validation import check_positive_int

_NORMALIZATIONS = ("batch", "instance", None)

# The papers' networks are sized for 256x256 images (128x128 for CycleGAN's 6-block variant);
# below this side the `None` defaults take smaller networks that train in minutes on a CPU.
PAPER_SIDE = 128


def _sized_default(value, image_shape, small, paper):
    """`value`, or for `None` the paper's `paper` at sides >= PAPER_SIDE and `small` below."""
    if value is not None:
        return value
    height, width = image_shape[:2]
    return paper if min(height, width) >= PAPER_SIDE else small


def _check_image_shape(image_shape, name="image_shape"):
    """Returns `image_shape` as a tuple of three positive ints, or raises naming `name`."""
    if (
        not isinstance(image_shape, (tuple, list))
        or len(image_shape) != 3
        or any(
            isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
            for d in image_shape
        )
    ):
        raise ValueError(
            f"{name} must be (height, width, channels), three positive ints; got {image_shape!r}"
        )
    return tuple(int(d) for d in image_shape)


def _check_divisible(image_shape, num_halvings, count_name, minimum_side=1):
    """Raises unless height and width divide by `2**num_halvings` into `>= minimum_side`."""
    factor = 2**num_halvings
    height, width = image_shape[:2]
    if height % factor or width % factor or min(height, width) // factor < minimum_side:
        needed = f"divisible by {factor}"
        if minimum_side > 1:
            needed += f" and at least {factor * minimum_side}"
        raise ValueError(
            f"image_shape must have height and width {needed} for {count_name}="
            f"{num_halvings}; got {image_shape!r}"
        )


def _check_non_negative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= 0; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0; got {value}")
    return int(value)


def _check_normalization(normalization):
    if normalization not in _NORMALIZATIONS:
        raise ValueError(
            f"normalization must be 'batch', 'instance' or None; got {normalization!r}"
        )
    return normalization


def _normalization_layer(normalization):
    """A new normalization layer: batch norm, instance norm (one group per channel) or None."""
    if normalization == "batch":
        return layers.BatchNormalization()
    if normalization == "instance":
        return layers.GroupNormalization(groups=-1)
    return None


def _normalize(x, normalization):
    layer = _normalization_layer(normalization)
    return x if layer is None else layer(x)


def _default_num_downsamplings(height, width):
    """The U-Net's default depth: halve down to 1x1 (`log2(min(height, width))`).

    For sides that are not powers of two, the number of halvings that keep both sides whole,
    e.g. 5 for 96x96 (down to 3x3) and 0 when a side is odd.

    Example:

    >>> _default_num_downsamplings(256, 256)
    8
    """
    num_halvings = 0
    while height % 2 ** (num_halvings + 1) == 0 and width % 2 ** (num_halvings + 1) == 0:
        num_halvings += 1
    return num_halvings


def unet_generator(
    image_shape=(256, 256, 3),
    output_channels=None,
    base_filters=None,
    num_downsamplings=None,
    dropout=0.5,
    normalization="batch",
):
    """The U-Net generator of Pix2Pix: an encoder-decoder with skip connections.

    The encoder halves the image `num_downsamplings` times with `Conv2D(4, stride 2)` +
    normalization + LeakyReLU(0.2), doubling the filters from `base_filters` up to
    `8 * base_filters`. The decoder mirrors it with `Conv2DTranspose(4, stride 2)` +
    normalization + dropout (on the first three decoder blocks, as in Pix2Pix) + ReLU, and
    concatenates each decoder output with the encoder output of the same size, so that the
    low-level structure shared by input and output (edges, layout) skips the bottleneck. A last
    `Conv2DTranspose(output_channels, 4, stride 2)` with tanh returns to the input size.
    There are `num_downsamplings - 1` skip connections. For `256x256` images the defaults give
    the paper's `unet_256`: encoder C64-C128-C256-C512-C512-C512-C512-C512, decoder
    CD512-CD512-CD512-C512-C256-C128-C64 (with the skips) and the output layer.

    Normalization is not applied to the first encoder block (as in the paper) nor to the
    innermost one (the bottleneck), as in the authors' Torch and PyTorch code: at the 1x1
    bottleneck, instance norm (and batch norm with one image per batch, the paper's setting)
    would replace every feature by its offset and erase the bottleneck.

    Args:
        image_shape: input `(height, width, channels)`; height and width divisible by
            `2**num_downsamplings`.
        output_channels: channels of the output images; by default those of the input.
        base_filters: filters of the first encoder convolution, a positive int; by default
            the paper's 64 for sides of 128 or more, 32 for smaller images (about 4x fewer
            FLOPs, minutes instead of an hour on a CPU at 32x32).
        num_downsamplings: number of stride-2 encoder convolutions, a positive int; by default
            as many as halve the image down to 1x1, `log2(min(height, width))` (8 for 256x256).
        dropout: dropout rate of the first three decoder blocks, in [0, 1); `0` or `None` turns
            it off. In Pix2Pix dropout is the generator's only noise, at training and test time
            (call the model with `training=True` for that).
        normalization: `"batch"` (`BatchNormalization`), `"instance"` (instance normalization,
            `GroupNormalization(groups=-1)`) or `None`.

    Returns:
        A functional `keras.Model` named `"unet_generator"` with input `"images"`:
        `(N, height, width, channels) -> (N, height, width, output_channels)` in [-1, 1].

    Example:

    >>> unet_generator((64, 64, 3), base_filters=8).output_shape
    (None, 64, 64, 3)

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks",
        CVPR 2017, section 3.2.1 and appendix 6.1.1; Ronneberger et al., "U-Net", MICCAI 2015.
    """
    height, width, channels = _check_image_shape(image_shape)
    if output_channels is None:
        output_channels = channels
    output_channels = check_positive_int("output_channels", output_channels)
    base_filters = check_positive_int(
        "base_filters", _sized_default(base_filters, image_shape, small=32, paper=64)
    )
    if num_downsamplings is None:
        num_downsamplings = _default_num_downsamplings(height, width)
        if num_downsamplings == 0:
            raise ValueError(
                f"image_shape must have even height and width for a U-Net; got {image_shape!r}"
            )
    num_downsamplings = check_positive_int("num_downsamplings", num_downsamplings)
    _check_divisible(image_shape, num_downsamplings, "num_downsamplings")
    dropout = 0.0 if dropout is None else dropout
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a rate in [0, 1) or None; got {dropout!r}")
    normalization = _check_normalization(normalization)

    def filters_at(level):
        return base_filters * min(2**level, 8)

    images = keras.Input(image_shape, name="images")
    x = images
    skips = []
    for level in range(num_downsamplings):
        # No normalization on the first block (the paper) nor on the bottleneck (see above).
        norm = None if level in (0, num_downsamplings - 1) else normalization
        x = layers.Conv2D(filters_at(level), 4, strides=2, padding="same", use_bias=norm is None)(x)
        x = _normalize(x, norm)
        x = layers.LeakyReLU(0.2)(x)
        skips.append(x)
    # Decoder block i returns to the size of encoder level `num_downsamplings - 2 - i`.
    for i, level in enumerate(range(num_downsamplings - 2, -1, -1)):
        x = layers.Conv2DTranspose(
            filters_at(level), 4, strides=2, padding="same", use_bias=normalization is None
        )(x)
        x = _normalize(x, normalization)
        if i < 3 and dropout > 0:
            x = layers.Dropout(dropout)(x)
        x = layers.ReLU()(x)
        x = layers.Concatenate()([x, skips[level]])
    outputs = layers.Conv2DTranspose(
        output_channels, 4, strides=2, padding="same", activation="tanh"
    )(x)
    return keras.Model(images, outputs, name="unet_generator")


def _residual_block(x, filters, normalization):
    """CycleGAN's residual block: (reflect pad, 3x3 conv, norm, ReLU) twice less the last ReLU."""
    use_bias = normalization is None
    y = ReflectionPadding2D(1)(x)
    y = layers.Conv2D(filters, 3, padding="valid", use_bias=use_bias)(y)
    y = _normalize(y, normalization)
    y = layers.ReLU()(y)
    y = ReflectionPadding2D(1)(y)
    y = layers.Conv2D(filters, 3, padding="valid", use_bias=use_bias)(y)
    y = _normalize(y, normalization)
    return layers.Add()([x, y])


def resnet_generator(
    image_shape=(256, 256, 3),
    output_channels=None,
    base_filters=None,
    num_blocks=None,
    num_downsamplings=2,
    normalization="instance",
):
    """The ResNet generator of CycleGAN: downsample, residual blocks, upsample.

    A 7x7 stem (`ReflectionPadding2D(3)` + `Conv2D(base_filters, 7)` + norm + ReLU), then
    `num_downsamplings` times `Conv2D(3, stride 2)` + norm + ReLU, doubling the filters; then
    `num_blocks` residual blocks `x + F(x)` with `F` = reflection pad, 3x3 conv, norm, ReLU,
    reflection pad, 3x3 conv, norm; then `num_downsamplings` times
    `Conv2DTranspose(3, stride 2)` + norm + ReLU, halving the filters; and a 7x7 output
    convolution (`ReflectionPadding2D(3)` + `Conv2D(output_channels, 7)` + tanh). With the
    defaults at 256x256 this is the paper's c7s1-64, d128, d256, R256 x 9, u128, u64, c7s1-3;
    the paper uses 6 residual blocks for 128x128 images and 9 for 256x256 and larger, and the
    defaults follow it there (smaller images get 32 filters and 4 blocks). The skips through
    the residual blocks let the generator keep the input's layout and change its appearance.

    Args:
        image_shape: input `(height, width, channels)`; height and width divisible by
            `2**num_downsamplings`, and at least twice that when `num_blocks > 0` (the
            reflection padding of the residual blocks needs sides of 2 or more).
        output_channels: channels of the output images; by default those of the input.
        base_filters: filters of the stem, a positive int; by default the paper's 64 for sides
            of 128 or more, 32 for smaller images.
        num_blocks: number of residual blocks, an int >= 0; by default the paper's 9 for sides
            of 256 or more and 6 for 128 or more, and 4 for smaller images.
        num_downsamplings: number of stride-2 convolutions (and of transposed convolutions
            back), an int >= 0.
        normalization: `"instance"` (instance normalization, `GroupNormalization(groups=-1)`,
            the paper's), `"batch"` or `None`.

    Returns:
        A functional `keras.Model` named `"resnet_generator"` with input `"images"`:
        `(N, height, width, channels) -> (N, height, width, output_channels)` in [-1, 1].

    Example:

    >>> resnet_generator((32, 32, 3), base_filters=8, num_blocks=2).output_shape
    (None, 32, 32, 3)

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
        Networks", ICCV 2017, appendix 7.2; Johnson et al., ECCV 2016.
    """
    height, width, channels = _check_image_shape(image_shape)
    if output_channels is None:
        output_channels = channels
    output_channels = check_positive_int("output_channels", output_channels)
    base_filters = check_positive_int(
        "base_filters", _sized_default(base_filters, image_shape, small=32, paper=64)
    )
    if num_blocks is None:
        num_blocks = 9 if min(height, width) >= 256 else _sized_default(None, image_shape, 4, 6)
    num_blocks = _check_non_negative_int("num_blocks", num_blocks)
    num_downsamplings = _check_non_negative_int("num_downsamplings", num_downsamplings)
    _check_divisible(
        image_shape, num_downsamplings, "num_downsamplings", minimum_side=2 if num_blocks else 1
    )
    if min(height, width) < 4:
        raise ValueError(
            "image_shape must have height and width of at least 4 (the 7x7 convolutions pad "
            f"by 3 by reflection); got {image_shape!r}"
        )
    normalization = _check_normalization(normalization)
    use_bias = normalization is None

    images = keras.Input(image_shape, name="images")
    x = ReflectionPadding2D(3)(images)
    x = layers.Conv2D(base_filters, 7, padding="valid", use_bias=use_bias)(x)
    x = _normalize(x, normalization)
    x = layers.ReLU()(x)
    filters = base_filters
    for _ in range(num_downsamplings):
        filters *= 2
        x = layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=use_bias)(x)
        x = _normalize(x, normalization)
        x = layers.ReLU()(x)
    for _ in range(num_blocks):
        x = _residual_block(x, filters, normalization)
    for _ in range(num_downsamplings):
        filters //= 2
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", use_bias=use_bias)(x)
        x = _normalize(x, normalization)
        x = layers.ReLU()(x)
    x = ReflectionPadding2D(3)(x)
    outputs = layers.Conv2D(output_channels, 7, padding="valid", activation="tanh")(x)
    return keras.Model(images, outputs, name="resnet_generator")


def patchgan_discriminator(
    image_shape=(256, 256, 3),
    source_shape=None,
    base_filters=None,
    n_layers=None,
    normalization="batch",
    spectral_normalization=False,
):
    """The PatchGAN discriminator of Pix2Pix and CycleGAN: one logit per image patch.

    `n_layers` stride-2 convolutions `Conv2D(4, stride 2, "same")` + norm (none on the first) +
    LeakyReLU(0.2), with `base_filters * min(2**i, 8)` filters, then one stride-1 4x4
    convolution with `base_filters * min(2**n_layers, 8)` filters + norm + LeakyReLU(0.2), and
    a stride-1 4x4 convolution to one channel with no activation: a map of logits, each judging
    whether one patch of the image is real. The stride-1 convolutions pad the input by 1 with
    zeros, as in the authors' code, so a `256x256` image gives the paper's `30x30` map; in
    general the map is `(height / 2**n_layers - 2, width / 2**n_layers - 2)`. With the
    defaults at 128x128 or more this is the paper's C64-C128-C256-C512 70x70 PatchGAN; smaller
    images get C32-C64-C128, a 34x34 PatchGAN.

    Receptive field: a logit sees an `r x r` patch of the input, computed from the output back
    through the convolutions of kernel `k_l` and stride `s_l`: `r = 1`, then
    `r = s_l * r + (k_l - s_l)` for each layer from the last to the first, i.e.
    `r = 1 + sum_l (k_l - 1) * prod_{i < l} s_i`. With `k = 4`: 70 for `n_layers=3`, 34 for
    `n_layers=2` and 16 for `n_layers=1` (the paper's 70x70, 34x34 and 16x16 PatchGANs).

    With `source_shape` it is the conditional D of Pix2Pix: it takes `[source, images]` and
    concatenates them along the channels, so that it judges whether the image is a real
    translation of the source, not merely a real image.

    Args:
        image_shape: `(height, width, channels)` of the images judged; height and width
            divisible by `2**n_layers`, and at least `3 * 2**n_layers` so that the map is not
            empty.
        source_shape: `(height, width, channels)` of the source images, with the same height
            and width; if given, the model takes `[source, images]` (Pix2Pix); if `None`,
            images only (CycleGAN).
        base_filters: filters of the first convolution, a positive int; by default the
            paper's 64 for sides of 128 or more, 32 for smaller images.
        n_layers: number of stride-2 convolutions, a positive int; by default the paper's 3
            (70x70 patches) for sides of 128 or more, 2 (34x34 patches) for smaller images.
        normalization: `"batch"` (`BatchNormalization`, Pix2Pix), `"instance"` (instance
            normalization, `GroupNormalization(groups=-1)`, CycleGAN) or `None`.
        spectral_normalization: wrap every convolution in `keras.layers.SpectralNormalization`
            (Miyato et al. 2018).

    Returns:
        A functional `keras.Model` named `"patchgan_discriminator"`: `images (input "images")
        -> (N, h, w, 1)` logits, or `[source (input "source"), images] -> (N, h, w, 1)`.

    Example:

    >>> patchgan_discriminator((64, 64, 3), base_filters=8).output_shape  # n_layers=2 below 128
    (None, 14, 14, 1)
    >>> patchgan_discriminator((256, 256, 3), base_filters=8).output_shape  # the paper's 30x30
    (None, 30, 30, 1)
    >>> patchgan_discriminator((64, 64, 3), source_shape=(64, 64, 1)).input_shape
    [(None, 64, 64, 1), (None, 64, 64, 3)]

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks",
        CVPR 2017, section 3.2.2 and appendix 6.1.2; Zhu et al., ICCV 2017, appendix 7.2.
    """
    image_shape = _check_image_shape(image_shape)
    n_layers = check_positive_int("n_layers", _sized_default(n_layers, image_shape, 2, 3))
    _check_divisible(image_shape, n_layers, "n_layers", minimum_side=3)
    if source_shape is not None:
        source_shape = _check_image_shape(source_shape, name="source_shape")
        if source_shape[:2] != image_shape[:2]:
            raise ValueError(
                "source_shape must have the height and width of image_shape; got "
                f"source_shape={source_shape!r} and image_shape={image_shape!r}"
            )
    base_filters = check_positive_int(
        "base_filters", _sized_default(base_filters, image_shape, small=32, paper=64)
    )
    normalization = _check_normalization(normalization)

    def convolution(filters, strides, use_bias):
        layer = layers.Conv2D(
            filters,
            4,
            strides=strides,
            padding="same" if strides == 2 else "valid",
            use_bias=use_bias,
        )
        return layers.SpectralNormalization(layer) if spectral_normalization else layer

    images = keras.Input(image_shape, name="images")
    if source_shape is not None:
        source = keras.Input(source_shape, name="source")
        inputs = [source, images]
        x = layers.Concatenate()([source, images])
    else:
        inputs = images
        x = images
    for level in range(n_layers):
        norm = None if level == 0 else normalization
        x = convolution(base_filters * min(2**level, 8), 2, norm is None)(x)
        x = _normalize(x, norm)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D(1)(x)
    x = convolution(base_filters * min(2**n_layers, 8), 1, normalization is None)(x)
    x = _normalize(x, normalization)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D(1)(x)
    outputs = convolution(1, 1, True)(x)
    return keras.Model(inputs, outputs, name="patchgan_discriminator")

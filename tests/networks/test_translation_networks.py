"""Tests of the image-to-image translation networks (U-Net, ResNet generator, PatchGAN)."""

import os

import keras
import numpy as np
import pytest

from keras_mmgan.layers import ReflectionPadding2D
from keras_mmgan.networks import patchgan_discriminator
from keras_mmgan.networks import resnet_generator
from keras_mmgan.networks import unet_generator
from keras_mmgan.networks.translation import _default_num_downsamplings


def images(shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).uniform(-scale, scale, shape).astype("float32")


def count(model, layer_type):
    return sum(isinstance(layer, layer_type) for layer in model.layers)


def convolutions(model):
    """The model's convolutions in order, unwrapping SpectralNormalization."""
    found = []
    for layer in model.layers:
        layer = getattr(layer, "layer", layer)
        if isinstance(layer, keras.layers.Conv2D):
            found.append(layer)
    return found


def receptive_field(model):
    """Side of the input patch one output sees: r = s * r + (k - s), from the last layer back.

    Padding layers do not change the receptive field, only where it lies.
    """
    field = 1
    for layer in reversed(convolutions(model)):
        (kernel, _), (stride, _) = layer.kernel_size, layer.strides
        field = stride * field + (kernel - stride)
    return field


def assert_in_tanh_range(outputs, expected_shape):
    outputs = np.asarray(outputs)
    assert outputs.shape == expected_shape
    assert np.all(np.isfinite(outputs))
    assert outputs.min() >= -1.0 and outputs.max() <= 1.0
    assert outputs.std() > 0


# U-Net ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image_shape, num_downsamplings", [((64, 64, 3), 6), ((32, 32, 1), 5), ((32, 64, 3), 5)]
)
def test_unet_shapes_skips_and_range(image_shape, num_downsamplings):
    generator = unet_generator(image_shape, base_filters=8)
    assert generator.name == "unet_generator"
    assert generator.input.name == "images"
    assert generator.output_shape == (None, *image_shape)
    # The default depth halves the image down to 1x1 on its shorter side.
    assert count(generator, keras.layers.Conv2D) == num_downsamplings  # the encoder
    assert count(generator, keras.layers.Conv2DTranspose) == num_downsamplings
    assert count(generator, keras.layers.Concatenate) == num_downsamplings - 1
    assert count(generator, keras.layers.Dropout) == min(3, num_downsamplings - 1)
    # Each skip joins a decoder output with the encoder output of the same size.
    for layer in generator.layers:
        if isinstance(layer, keras.layers.Concatenate):
            decoded, skipped = (tuple(t.shape) for t in layer.input)
            assert decoded[:3] == skipped[:3]
    x = images((2, *image_shape), scale=20.0)  # large inputs saturate the tanh
    for training in (False, True):
        assert_in_tanh_range(generator(x, training=training), (2, *image_shape))


def test_unet_filters_double_up_to_eight_times():
    generator = unet_generator((64, 64, 3), base_filters=4, normalization=None)
    encoder = [
        layer.filters for layer in generator.layers if isinstance(layer, keras.layers.Conv2D)
    ]
    decoder = [
        layer.filters
        for layer in generator.layers
        if isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    assert encoder == [4, 8, 16, 32, 32, 32]
    assert decoder == [32, 32, 16, 8, 4, 3]  # the mirror, then the output channels


def test_unet_output_channels_and_depth():
    generator = unet_generator(
        (32, 32, 1), output_channels=3, base_filters=4, num_downsamplings=3, dropout=None
    )
    assert generator.output_shape == (None, 32, 32, 3)
    assert count(generator, keras.layers.Concatenate) == 2
    assert count(generator, keras.layers.Dropout) == 0


def test_unet_default_depth_for_256_is_8():
    assert _default_num_downsamplings(256, 256) == 8
    assert _default_num_downsamplings(128, 256) == 7
    assert _default_num_downsamplings(96, 96) == 5  # down to 3x3
    generator = unet_generator((256, 256, 3), base_filters=4)  # built, never called
    assert count(generator, keras.layers.Conv2DTranspose) == 8
    assert count(generator, keras.layers.Concatenate) == 7
    bottleneck = [layer for layer in generator.layers if isinstance(layer, keras.layers.LeakyReLU)][
        -1
    ]
    assert tuple(bottleneck.output.shape) == (None, 1, 1, 32)


@pytest.mark.parametrize("normalization", ["batch", "instance"])
def test_unet_bottleneck_is_not_normalized(normalization):
    """At 1x1, instance norm (or batch norm of one image) would make the bottleneck constant."""
    generator = unet_generator((16, 16, 3), base_filters=4, normalization=normalization)
    bottleneck = [layer for layer in generator.layers if isinstance(layer, keras.layers.LeakyReLU)][
        -1
    ]
    assert tuple(bottleneck.output.shape) == (None, 1, 1, 32)
    probe = keras.Model(generator.input, bottleneck.output)
    outputs = [np.asarray(probe(images((1, 16, 16, 3), seed), training=True)) for seed in (0, 1)]
    assert not np.allclose(outputs[0], outputs[1])
    norm_type = (
        keras.layers.BatchNormalization
        if normalization == "batch"
        else keras.layers.GroupNormalization
    )
    # Encoder: all but the first and the innermost; decoder: every block but the output.
    assert count(generator, norm_type) == (4 - 2) + (4 - 1)


def test_unet_instance_normalization_is_per_channel():
    generator = unet_generator((16, 16, 3), base_filters=4, normalization="instance")
    norms = [l for l in generator.layers if isinstance(l, keras.layers.GroupNormalization)]
    assert norms and all(layer.groups in (-1, layer.input.shape[-1]) for layer in norms)
    assert count(generator, keras.layers.BatchNormalization) == 0


# ResNet generator ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image_shape, num_blocks, num_downsamplings",
    [((64, 64, 3), 2, 2), ((32, 32, 1), 1, 2), ((32, 32, 3), 0, 1)],
)
def test_resnet_shapes_blocks_and_range(image_shape, num_blocks, num_downsamplings):
    generator = resnet_generator(
        image_shape, base_filters=8, num_blocks=num_blocks, num_downsamplings=num_downsamplings
    )
    assert generator.name == "resnet_generator"
    assert generator.input.name == "images"
    assert generator.output_shape == (None, *image_shape)
    assert count(generator, keras.layers.Add) == num_blocks
    assert count(generator, ReflectionPadding2D) == 2 + 2 * num_blocks
    assert count(generator, keras.layers.GroupNormalization) == (
        1 + 2 * num_downsamplings + 2 * num_blocks
    )
    strided = [layer for layer in convolutions(generator) if layer.strides == (2, 2)]
    assert [layer.filters for layer in strided] == [
        8 * 2 ** (i + 1) for i in range(num_downsamplings)
    ]
    assert_in_tanh_range(generator(images((2, *image_shape), scale=20.0)), (2, *image_shape))


def test_resnet_output_channels_and_batch_norm():
    generator = resnet_generator(
        (32, 32, 1), output_channels=3, base_filters=4, num_blocks=1, normalization="batch"
    )
    assert generator.output_shape == (None, 32, 32, 3)
    assert count(generator, keras.layers.BatchNormalization) == 1 + 2 * 2 + 2
    assert count(generator, keras.layers.GroupNormalization) == 0


def test_resnet_save_load_round_trip(tmp_path):
    generator = resnet_generator((32, 32, 3), base_filters=4, num_blocks=1)
    x = images((2, 32, 32, 3))
    path = os.path.join(tmp_path, "generator.keras")
    generator.save(path)
    loaded = keras.saving.load_model(path)  # safe_mode, no custom_objects
    assert count(loaded, ReflectionPadding2D) == 4
    np.testing.assert_allclose(
        np.asarray(loaded(x)), np.asarray(generator(x)), rtol=1e-6, atol=1e-6
    )


# PatchGAN -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_layers, field, image_side, map_side",
    [(3, 70, 64, 6), (2, 34, 32, 6), (1, 16, 32, 14)],
)
def test_patchgan_receptive_field_and_map(n_layers, field, image_side, map_side):
    discriminator = patchgan_discriminator(
        (image_side, image_side, 3), base_filters=4, n_layers=n_layers
    )
    assert receptive_field(discriminator) == field
    kernels = {layer.kernel_size for layer in convolutions(discriminator)}
    assert kernels == {(4, 4)}
    assert discriminator.output_shape == (None, map_side, map_side, 1)
    logits = np.asarray(discriminator(images((2, image_side, image_side, 3))))
    assert logits.shape == (2, map_side, map_side, 1) and np.all(np.isfinite(logits))


def test_patchgan_is_the_70x70_c64_c128_c256_c512():
    discriminator = patchgan_discriminator((32, 32, 3), base_filters=8, n_layers=3)
    assert discriminator.name == "patchgan_discriminator"
    assert discriminator.input.name == "images"
    assert [(l.filters, l.strides) for l in convolutions(discriminator)] == [
        (8, (2, 2)),
        (16, (2, 2)),
        (32, (2, 2)),
        (64, (1, 1)),
        (1, (1, 1)),
    ]
    assert discriminator.output_shape == (None, 2, 2, 1)
    assert count(discriminator, keras.layers.BatchNormalization) == 3  # none on C64
    last = convolutions(discriminator)[-1]
    assert keras.activations.serialize(last.activation) in ("linear", {"class_name": "linear"})
    assert count(discriminator, keras.layers.LeakyReLU) == 4


def test_patchgan_filters_are_capped_at_eight_times():
    discriminator = patchgan_discriminator((64, 64, 3), base_filters=2, n_layers=4)
    assert [l.filters for l in convolutions(discriminator)] == [2, 4, 8, 16, 16, 1]


def test_pix2pix_discriminator_takes_source_and_images():
    discriminator = patchgan_discriminator(
        (32, 32, 3), source_shape=(32, 32, 1), base_filters=4, n_layers=2
    )
    assert [tensor.name for tensor in discriminator.inputs] == ["source", "images"]
    assert discriminator.input_shape == [(None, 32, 32, 1), (None, 32, 32, 3)]
    concatenate = next(l for l in discriminator.layers if isinstance(l, keras.layers.Concatenate))
    assert tuple(concatenate.output.shape) == (None, 32, 32, 4)
    source, target = images((2, 32, 32, 1), 0), images((2, 32, 32, 3), 1)
    logits = np.asarray(discriminator([source, target]))
    assert logits.shape == (2, 6, 6, 1)
    # The same image judged against another source gets other logits.
    other = np.asarray(discriminator([images((2, 32, 32, 1), 2), target]))
    assert not np.allclose(logits, other)


@pytest.mark.parametrize(
    "normalization, layer_type, expected",
    [
        ("instance", keras.layers.GroupNormalization, 3),
        (None, keras.layers.BatchNormalization, 0),
    ],
)
def test_patchgan_normalization(normalization, layer_type, expected):
    discriminator = patchgan_discriminator(
        (32, 32, 3), base_filters=4, n_layers=3, normalization=normalization
    )
    assert count(discriminator, layer_type) == expected
    assert discriminator(images((1, 32, 32, 3))).shape == (1, 2, 2, 1)


def test_patchgan_spectral_normalization_wraps_every_convolution():
    discriminator = patchgan_discriminator(
        (32, 32, 3), base_filters=4, n_layers=2, spectral_normalization=True
    )
    wrapped = [l for l in discriminator.layers if isinstance(l, keras.layers.SpectralNormalization)]
    assert len(wrapped) == len(convolutions(discriminator)) == 4
    assert all(isinstance(layer.layer, keras.layers.Conv2D) for layer in wrapped)
    assert receptive_field(discriminator) == 34
    logits = np.asarray(discriminator(images((2, 32, 32, 3)), training=True))
    assert logits.shape == (2, 6, 6, 1) and np.all(np.isfinite(logits))


# Argument checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image_shape", [(32, 32), (30, 30, 3), (32, 36, 3), (0, 32, 3), "32x32", [32, 32, 3, 1]]
)
def test_bad_image_shape(image_shape):
    with pytest.raises(ValueError, match="image_shape"):
        unet_generator(image_shape, base_filters=4, num_downsamplings=3)
    with pytest.raises(ValueError, match="image_shape"):
        resnet_generator(image_shape, base_filters=4, num_blocks=1, num_downsamplings=3)
    with pytest.raises(ValueError, match="image_shape"):
        patchgan_discriminator(image_shape, base_filters=4, n_layers=3)


def test_odd_image_shape_has_no_default_depth():
    with pytest.raises(ValueError, match="image_shape"):
        unet_generator((31, 32, 3), base_filters=4)


def test_image_too_small_for_the_depth():
    with pytest.raises(ValueError, match="image_shape.*num_downsamplings=6"):
        unet_generator((32, 32, 3), base_filters=4, num_downsamplings=6)
    # The residual blocks' reflection padding needs a bottleneck of at least 2x2.
    with pytest.raises(ValueError, match="image_shape.*at least 8"):
        resnet_generator((4, 4, 3), base_filters=4, num_blocks=1, num_downsamplings=2)
    # An 8x8 image halved 3 times leaves 1x1, too small for the two 4x4 stride-1 convolutions.
    with pytest.raises(ValueError, match="image_shape.*n_layers=3"):
        patchgan_discriminator((8, 8, 3), base_filters=4, n_layers=3)


@pytest.mark.parametrize("normalization", ["layer", "Batch", "", 1])
def test_bad_normalization(normalization):
    with pytest.raises(ValueError, match="normalization"):
        unet_generator((16, 16, 3), base_filters=4, normalization=normalization)
    with pytest.raises(ValueError, match="normalization"):
        resnet_generator((16, 16, 3), base_filters=4, num_blocks=1, normalization=normalization)
    with pytest.raises(ValueError, match="normalization"):
        patchgan_discriminator((32, 32, 3), base_filters=4, normalization=normalization)


@pytest.mark.parametrize("n_layers", [0, -1])
def test_bad_n_layers(n_layers):
    with pytest.raises(ValueError, match="n_layers"):
        patchgan_discriminator((32, 32, 3), base_filters=4, n_layers=n_layers)


def test_bad_n_layers_type():
    with pytest.raises(TypeError, match="n_layers"):
        patchgan_discriminator((32, 32, 3), base_filters=4, n_layers=2.0)


def test_bad_source_shape():
    with pytest.raises(ValueError, match="source_shape"):
        patchgan_discriminator((32, 32, 3), source_shape=(16, 16, 3), base_filters=4)
    with pytest.raises(ValueError, match="source_shape"):
        patchgan_discriminator((32, 32, 3), source_shape=(32, 32), base_filters=4)


@pytest.mark.parametrize(
    "kwargs, name, error",
    [
        ({"num_downsamplings": 0}, "num_downsamplings", ValueError),
        ({"dropout": 1.0}, "dropout", ValueError),
        ({"dropout": -0.1}, "dropout", ValueError),
        ({"base_filters": 0}, "base_filters", ValueError),
        ({"output_channels": 2.5}, "output_channels", TypeError),
    ],
)
def test_bad_unet_arguments(kwargs, name, error):
    with pytest.raises(error, match=name):
        unet_generator((16, 16, 3), **{"base_filters": 4, **kwargs})


@pytest.mark.parametrize(
    "kwargs, name, error",
    [
        ({"num_blocks": -1}, "num_blocks", ValueError),
        ({"num_downsamplings": -1}, "num_downsamplings", ValueError),
        ({"num_blocks": 1.5}, "num_blocks", TypeError),
    ],
)
def test_bad_resnet_arguments(kwargs, name, error):
    with pytest.raises(error, match=name):
        resnet_generator((16, 16, 3), **{"base_filters": 4, **kwargs})


def _convolutions(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


@pytest.mark.parametrize(
    "side, filters, n_layers, num_blocks",
    [(32, 32, 2, 4), (64, 32, 2, 4), (128, 64, 3, 6), (256, 64, 3, 9)],
)
def test_default_sizes_follow_the_image(side, filters, n_layers, num_blocks):
    # The papers' networks (64 filters, 70x70 PatchGAN, 9 blocks) are for 256x256 images (6
    # blocks at 128x128); small images get smaller networks that train in minutes on a CPU.
    shape = (side, side, 3)
    discriminator = patchgan_discriminator(shape)
    strided = [c for c in _convolutions(discriminator) if c.strides == (2, 2)]
    assert len(strided) == n_layers and strided[0].filters == filters
    # Narrow generators for the block count: the 256x256 ones are slow to build in a test.
    assert count(resnet_generator(shape, base_filters=2), ReflectionPadding2D) == 2 + 2 * num_blocks
    if side <= 128:
        assert _convolutions(unet_generator(shape))[0].filters == filters
        assert _convolutions(resnet_generator(shape, num_blocks=1))[0].filters == filters


def test_the_papers_configuration_is_one_argument_away():
    small = (32, 32, 3)
    assert _convolutions(unet_generator(small, base_filters=64))[0].filters == 64
    strided = [
        c for c in _convolutions(patchgan_discriminator(small, n_layers=3, base_filters=64))
        if c.strides == (2, 2)
    ]
    assert [c.filters for c in strided] == [64, 128, 256]
    generator = resnet_generator(small, base_filters=8, num_blocks=9)
    assert count(generator, ReflectionPadding2D) == 2 + 2 * 9

"""Tests of the progressive generator and discriminator: shapes per stage, fade-in, options."""

import keras
import numpy as np
import pytest

from keras_mmgan import layers as mm_layers
from keras_mmgan.networks import ProgressiveDiscriminator
from keras_mmgan.networks import ProgressiveGenerator
from keras_mmgan.networks.progressive_gan import stage_filters

LATENT_DIM = 8


def latents(n=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, LATENT_DIM)).astype("float32")


def images(n, side, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, side, side, 1)).astype("float32")


def upsample(x):
    return np.repeat(np.repeat(np.asarray(x), 2, axis=1), 2, axis=2)


def avg_pool(x):
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


@pytest.fixture(scope="module")
def networks():
    keras.utils.set_random_seed(0)
    generator = ProgressiveGenerator(LATENT_DIM, resolution=16, channels=1, filters=8)
    discriminator = ProgressiveDiscriminator(resolution=16, channels=1, filters=8)
    return generator, discriminator


def test_shapes_at_every_stage(networks):
    generator, discriminator = networks
    assert generator.num_stages == discriminator.num_stages == 3
    z = latents()
    for stage, side in enumerate((4, 8, 16)):
        for alpha in (None, 0.5):
            fake = generator(z, stage=stage, alpha=alpha)
            assert tuple(fake.shape) == (4, side, side, 1)
            assert tuple(discriminator(fake, stage=stage, alpha=alpha).shape) == (4, 1)
    # The last stage by default.
    assert tuple(generator(z).shape) == (4, 16, 16, 1)


def test_generator_fade_in_goes_from_the_upsampled_old_output_to_the_new_one(networks):
    generator, _ = networks
    z = latents()
    for stage in (1, 2):
        previous = np.asarray(generator(z, stage=stage - 1))
        new = np.asarray(generator(z, stage=stage))
        np.testing.assert_allclose(
            np.asarray(generator(z, stage=stage, alpha=0.0)), upsample(previous), rtol=1e-6
        )
        np.testing.assert_array_equal(np.asarray(generator(z, stage=stage, alpha=1.0)), new)
        np.testing.assert_allclose(
            np.asarray(generator(z, stage=stage, alpha=0.3)),
            0.7 * upsample(previous) + 0.3 * new,
            rtol=1e-5,
            atol=1e-6,
        )


def test_discriminator_fade_in_goes_from_the_downsampled_input_to_the_new_block(networks):
    _, discriminator = networks
    for stage, side in ((1, 8), (2, 16)):
        x = images(8, side)
        old = np.asarray(discriminator(avg_pool(x), stage=stage - 1))
        np.testing.assert_allclose(
            np.asarray(discriminator(x, stage=stage, alpha=0.0)), old, rtol=1e-5, atol=1e-6
        )
        np.testing.assert_array_equal(
            np.asarray(discriminator(x, stage=stage, alpha=1.0)),
            np.asarray(discriminator(x, stage=stage)),
        )


def test_stage_variables_grow_with_the_stage(networks):
    for network in networks:
        ids = [{id(v) for v in network.stage_variables(s)} for s in range(3)]
        every = {id(v) for v in network.trainable_variables}
        assert ids[0] < ids[1] < every
        # Stage 2 runs everything but the 4x4 toRGB / fromRGB, used up to stage 1's fade.
        rgb = network.to_rgb[0] if hasattr(network, "to_rgb") else network.from_rgb[0]
        assert ids[2] == every - {id(v) for v in rgb.trainable_variables}


def test_filters_per_stage():
    assert stage_filters(512, 9) == [512, 512, 512, 512, 256, 128, 64, 32, 16]  # the paper
    assert stage_filters([16, 8, 4], 3) == [16, 8, 4]
    with pytest.raises(ValueError, match="filters"):
        stage_filters([16, 8], 3)
    with pytest.raises(ValueError, match="filters"):
        ProgressiveGenerator(LATENT_DIM, resolution=8, filters=0)


@pytest.mark.parametrize("resolution", [2, 6, 12, 0, 16.0])
def test_resolution_must_be_a_power_of_two_of_at_least_4(resolution):
    with pytest.raises(ValueError, match="resolution"):
        ProgressiveGenerator(LATENT_DIM, resolution=resolution)
    with pytest.raises(ValueError, match="resolution"):
        ProgressiveDiscriminator(resolution=resolution)


def test_bad_stage_and_image_size_name_the_argument(networks):
    generator, discriminator = networks
    with pytest.raises(ValueError, match="stage"):
        generator(latents(), stage=3)
    with pytest.raises(ValueError, match=r"\(batch, 8, 8, 1\)"):
        discriminator(images(2, 16), stage=1)


def test_options_off_give_plain_keras_layers():
    generator = ProgressiveGenerator(
        LATENT_DIM, resolution=8, channels=3, filters=4, pixel_norm=False, equalized_lr=False
    )
    discriminator = ProgressiveDiscriminator(
        resolution=8, channels=3, filters=4, minibatch_std=False, equalized_lr=False
    )
    kinds = {
        type(layer)
        for network in (generator, discriminator)
        for part in network.layers
        for layer in getattr(part, "layers", [part])
    }
    assert not kinds & {
        mm_layers.PixelNormalization,
        mm_layers.MinibatchStdDev,
        mm_layers.EqualizedConv2D,
        mm_layers.EqualizedDense,
    }
    assert {keras.layers.Conv2D, keras.layers.Dense} <= kinds
    assert tuple(discriminator(generator(latents(2), stage=1), stage=1).shape) == (2, 1)


def test_networks_round_trip_through_their_config(networks, tmp_path):
    generator, _ = networks
    path = str(tmp_path / "generator.keras")
    generator.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, ProgressiveGenerator)
    z = latents()
    np.testing.assert_allclose(
        np.asarray(loaded(z, stage=1, alpha=0.5)),
        np.asarray(generator(z, stage=1, alpha=0.5)),
        rtol=1e-6,
    )

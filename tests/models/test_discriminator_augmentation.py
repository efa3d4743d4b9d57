"""`augment=` on every GAN family: D sees augmented reals and fakes, G learns through it."""

import os

import keras
import numpy as np
import pytest
import test_conditional_gan
import test_cycle_gan
import test_gan
import test_pix2pix
import test_progressive_gan
import test_text_to_image_gan
from conftest import run_gan_step_test

import keras_mmgan as mm
from keras_mmgan.regularizers import R1Penalty

POLICY = "color,translation,cutout"


def text_gan(augment):
    gan = mm.build_gan(
        mm.build_encoder((8, 8, 3), latent_dim=16),
        mm.build_text_encoder(50),
        mm.build_generator(16, 128, image_shape=(8, 8, 3)),
        mm.build_discriminator((8, 8, 3), 50),
        vectorizer=mm.datasets.text_vectorizer(test_text_to_image_gan.CAPTIONS, vocab_size=50),
        seed=1,
        augment=augment,
    )
    return test_text_to_image_gan.compile_gan(gan)


def family(name, augment):
    """A compiled tiny model of a family with `augment`, and one batch for it."""
    if name == "gan":
        gan = test_gan.compile_gan(
            mm.models.GAN(
                test_gan.mlp_generator((8, 8, 1)), test_gan.mlp_discriminator((8, 8, 1)),
                test_gan.LATENT_DIM, seed=1, augment=augment,
            )
        )
        return gan, test_gan.data((8, 8, 1))
    if name in ("conditional", "acgan"):
        gan = test_conditional_gan.make_gan(
            "projection", auxiliary_classifier=name == "acgan", augment=augment
        )
        return gan, test_conditional_gan.batch()
    if name == "text":
        gan = text_gan(augment)
        return gan, test_text_to_image_gan.batch(gan=gan)
    if name == "pix2pix":
        return test_pix2pix.make_model(augment=augment), test_pix2pix.pairs()
    if name == "cyclegan":
        return test_cycle_gan.make_model(augment=augment), test_cycle_gan.domains()
    if name == "progressive":
        gan = test_progressive_gan.compile_gan(test_progressive_gan.make_gan(augment=augment))
        return gan, test_progressive_gan.images()
    raise ValueError(name)


FAMILIES = ["gan", "conditional", "acgan", "text", "pix2pix", "cyclegan", "progressive"]


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_trains_with_diffaugment_and_keeps_it_when_saved(name, tmp_path):
    model, batch = family(name, POLICY)
    loaded = run_gan_step_test(model, batch, tmp_path)  # each phase trains, through the ops
    assert isinstance(loaded.augment, mm.layers.DiffAugment)
    assert loaded.augment.ops == model.augment.ops


@pytest.mark.parametrize("name", ["gan", "pix2pix", "cyclegan"])
def test_adaptive_augmentation_logs_p_and_r_t(name, tmp_path):
    augment = mm.layers.AdaptiveAugment(speed_images=64, interval=1, seed=0)
    model, batch = family(name, augment)
    history = model.fit(*(batch if isinstance(batch, tuple) else (batch,)), batch_size=8,
                        epochs=2, verbose=0)
    assert {"aug_p", "r_t"} <= set(history.history)
    p = float(model.augment.probability)
    assert 0.0 <= p <= 1.0
    # p moves by 8 images / 64 per step, from 0: a multiple of 1/8.
    np.testing.assert_allclose(p * 8, round(p * 8), atol=1e-5)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.augment, mm.layers.AdaptiveAugment)
    assert float(loaded.augment.probability) == p
    assert loaded.augment.speed_images == 64


def test_the_discriminator_sees_augmented_images_only_while_training():
    gan, images = family("gan", "brightness")
    batch = {"images": keras.ops.convert_to_tensor(images)}
    plain = np.asarray(gan.discriminator(images))
    assert not np.allclose(np.asarray(gan.discriminate(batch["images"], batch)), plain)
    evaluating = dict(batch, training=False)
    np.testing.assert_allclose(
        np.asarray(gan.discriminate(batch["images"], evaluating)), plain, atol=1e-6
    )


def test_r1_is_taken_on_the_real_images_through_the_augmentation():
    # A linear D: its gradient w.r.t. the image it reads is 1 everywhere. Through a cutout the
    # gradient w.r.t. the un-augmented real is 0 inside the cut square, so R1 is smaller than
    # the 0.5 * pixels that R1 on the augmented image (or without augmentation) gives.
    shape = (8, 8, 1)
    inputs = keras.Input(shape)
    linear = keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")
    discriminator = keras.Model(inputs, linear(keras.layers.Flatten()(inputs)))

    def r1(augment):
        gan = mm.models.GAN(
            test_gan.mlp_generator(shape), discriminator, test_gan.LATENT_DIM, augment=augment
        )
        test_gan.compile_gan(gan)
        images = keras.ops.convert_to_tensor(test_gan.data(shape))
        return float(R1Penalty(1.0)(gan, {"images": images}))

    pixels = np.prod(shape)
    np.testing.assert_allclose(r1(None), 0.5 * pixels, rtol=1e-5)
    with_cutout = r1("cutout")
    assert 0.5 * (pixels - 16) - 1e-4 <= with_cutout < 0.5 * pixels  # a 4x4 square at most


@pytest.mark.parametrize("augment", ["colour", 3, ["color"]])
def test_a_bad_augment_is_named(augment):
    with pytest.raises((ValueError, TypeError), match="augment|policy"):
        mm.models.GAN(
            test_gan.mlp_generator(), test_gan.mlp_discriminator(), test_gan.LATENT_DIM,
            augment=augment,
        )

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import run_gan_step_test

from keras_mmgan import models

SOURCE, TARGET = (8, 8, 1), (8, 8, 3)


def tiny_generator():
    source = keras.Input(SOURCE)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(source)
    return keras.Model(source, keras.layers.Conv2D(3, 3, padding="same", activation="tanh")(x))


def tiny_discriminator():
    source, image = keras.Input(SOURCE), keras.Input(TARGET)
    x = keras.layers.Concatenate()([source, image])
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same")(x)
    return keras.Model([source, image], keras.layers.Conv2D(1, 3, padding="same")(x))


def make_model(**kwargs):
    model = models.Pix2Pix(tiny_generator(), tiny_discriminator(), seed=0, **kwargs)
    model.compile(
        d_optimizer=keras.optimizers.Adam(2e-3), g_optimizer=keras.optimizers.Adam(2e-3)
    )
    return model


def pairs(n=8, seed=0):
    """Gray sources and their tinted colour targets: target = (s, s / 2, -s)."""
    source = np.random.default_rng(seed).uniform(-1, 1, (n, *SOURCE)).astype("float32")
    return source, np.concatenate([source, source / 2, -source], axis=-1)


def test_step_phases_and_save(tmp_path):
    loaded = run_gan_step_test(
        make_model(), pairs(), tmp_path, expected_logs=("d_loss", "g_loss", "l1_loss")
    )
    assert isinstance(loaded, models.Pix2Pix)
    assert loaded.l1_weight == 100.0
    assert loaded.latent_dim is None


def test_generator_loss_adds_weighted_l1():
    model = make_model(l1_weight=10.0)
    batch = model.prepare_batch(pairs())
    phase = model.phases()[1]
    total, logs = model._phase_loss(phase, batch)
    fakes = np.array(model.generator(pairs()[0]))
    np.testing.assert_allclose(float(logs["l1_loss"]), np.abs(fakes - pairs()[1]).mean(), rtol=1e-5)
    np.testing.assert_allclose(
        float(total), float(logs["g_loss"]) + 10.0 * float(logs["l1_loss"]), rtol=1e-5
    )


@pytest.mark.slow
def test_learns_the_mapping():
    keras.utils.set_random_seed(0)
    model = make_model()
    source, target = pairs(64)
    history = model.fit(source, target, batch_size=16, epochs=15, verbose=0)
    l1 = history.history["l1_loss"]
    assert l1[-1] < 0.5 * l1[0], l1


def test_generate_translates_the_given_images():
    model = make_model()
    source, _ = pairs(5)
    np.testing.assert_allclose(
        model.generate(images=source), np.array(model.generator(source)), rtol=1e-6
    )
    with pytest.raises(ValueError, match="images are required"):
        model.generate(4)
    with pytest.raises(ValueError, match=r"images must have shape \(batch, 8, 8, 1\)"):
        model.generate(images=np.zeros((2, 8, 8, 3), "float32"))
    with pytest.raises(ValueError, match="latents must be None"):
        model.generate(images=source, latents=np.zeros((5, 2)))


@pytest.mark.parametrize(
    "data, message",
    [
        (lambda s, t: s, "pairs"),
        (lambda s, t: (t, t), r"source images must have shape \(batch, 8, 8, 1\)"),
        (lambda s, t: (s, s), r"targets must have shape \(batch, 8, 8, 3\)"),
        (lambda s, t: (s, t[:4]), "differ in size"),
    ],
)
def test_bad_batches_are_named_before_training(data, message):
    model = make_model()
    source, target = pairs()
    with pytest.raises(ValueError, match=message):
        model.fit(tf.data.Dataset.from_tensors(data(source, target)), epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations) == 0


def test_discriminator_must_take_source_and_image():
    image = keras.Input(TARGET)
    plain = keras.Model(image, keras.layers.Conv2D(1, 3)(image))
    with pytest.raises(ValueError, match=r"\[source, image\]"):
        models.Pix2Pix(tiny_generator(), plain)


def test_export_serves_source_images(tmp_path):
    model = make_model()
    path = os.path.join(tmp_path, "pix2pix")
    model.export(path)
    served = tf.saved_model.load(path)
    source, _ = pairs(3)
    np.testing.assert_allclose(
        served.serve(tf.constant(source)).numpy(), model.generate(images=source), rtol=1e-5
    )
    assert not hasattr(served, "serve_with_noise")


@pytest.mark.parametrize("l1_weight, error", [
    (-1.0, ValueError), (float("inf"), ValueError), (None, TypeError),
])
def test_l1_weight_must_be_a_finite_number_at_least_zero(l1_weight, error):
    with pytest.raises(error, match="l1_weight must be a number >= 0"):
        make_model(l1_weight=l1_weight)

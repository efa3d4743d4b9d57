import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import run_gan_step_test
from test_pix2pix import SOURCE, TARGET, pairs, tiny_discriminator

from keras_mmgan import models

LATENT = 2


def tiny_generator():
    inputs = keras.Input(SOURCE[:-1] + (SOURCE[-1] + LATENT,))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Conv2D(3, 3, padding="same", activation="tanh")(x))


def make_model(**kwargs):
    model = models.MultimodalPix2Pix(tiny_generator(), tiny_discriminator(), LATENT, seed=0, **kwargs)
    model.compile(
        d_optimizer=keras.optimizers.Adam(2e-3), g_optimizer=keras.optimizers.Adam(2e-3)
    )
    return model


def test_step_phases_and_save(tmp_path):
    model = make_model()
    loaded = run_gan_step_test(
        model, pairs(), tmp_path, expected_logs=("d_loss", "g_loss", "l1_loss", "mode_seeking")
    )
    assert isinstance(loaded, models.MultimodalPix2Pix)
    assert (loaded.latent_dim, loaded.l1_weight, loaded.mode_seeking_weight) == (LATENT, 10.0, 1.0)
    source, _ = pairs(3)
    np.testing.assert_allclose(
        loaded.generate(images=source, num_samples=2, seed=4),
        model.generate(images=source, num_samples=2, seed=4),
        rtol=1e-5,
    )


def test_k_outputs_per_input_follow_their_codes():
    model = make_model()
    source, _ = pairs(3)
    outputs = model.generate(images=source, num_samples=4, seed=1)
    assert outputs.shape == (12, *TARGET)
    grouped = outputs.reshape(3, 4, *TARGET)
    # Different codes, different outputs; the same seed, the same outputs.
    assert np.abs(grouped[:, 0] - grouped[:, 1]).mean() > 1e-4
    np.testing.assert_array_equal(outputs, model.generate(images=source, num_samples=4, seed=1))
    # Explicit codes: one per output.
    codes = np.zeros((6, LATENT), "float32")
    same = model.generate(images=source, num_samples=2, latents=codes).reshape(3, 2, *TARGET)
    np.testing.assert_allclose(same[:, 0], same[:, 1])
    with pytest.raises(ValueError, match="latents"):
        model.generate(images=source, num_samples=2, latents=np.zeros((5, LATENT)))


@pytest.mark.slow
def test_mode_seeking_makes_outputs_depend_on_the_code():
    """With L1 alone the outputs converge to one per input; mode seeking keeps them apart."""

    def spread(mode_seeking_weight):
        keras.utils.set_random_seed(0)
        model = make_model(mode_seeking_weight=mode_seeking_weight)
        source, target = pairs(64)
        model.fit(source, target, batch_size=16, epochs=15, verbose=0)
        outputs = model.generate(images=source[:8], num_samples=4, seed=2).reshape(8, 4, *TARGET)
        return np.abs(outputs[:, :, None] - outputs[:, None]).mean()

    assert spread(1.0) > 3 * spread(0.0)


def test_generator_must_take_the_code_channels():
    with pytest.raises(ValueError, match="latent_dim=4"):
        models.MultimodalPix2Pix(tiny_generator(), tiny_discriminator(), 4)


def test_export_draws_codes_or_takes_them(tmp_path):
    model = make_model()
    path = os.path.join(tmp_path, "multimodal")
    model.export(path)
    served = tf.saved_model.load(path)
    source, _ = pairs(3)
    assert served.serve(tf.constant(source)).shape == (3, *TARGET)
    codes = np.ones((3, LATENT), "float32")
    np.testing.assert_allclose(
        served.serve_with_noise(tf.constant(source), tf.constant(codes)).numpy(),
        model.generate(images=source, latents=codes),
        rtol=1e-5,
    )


def test_mode_seeking_bound_is_passed_on_and_saved(tmp_path):
    model = make_model(mode_seeking_max_ratio=0.5)
    assert model._mode_seeking.max_ratio == 0.5
    model.fit(*pairs(), batch_size=4, epochs=1, verbose=0)
    path = str(tmp_path / "bounded.keras")
    model.save(path)
    assert keras.saving.load_model(path)._mode_seeking.max_ratio == 0.5


def test_mode_seeking_weight_must_be_a_finite_number_at_least_zero():
    with pytest.raises(ValueError, match="mode_seeking_weight must be a number >= 0; got -1"):
        make_model(mode_seeking_weight=-1.0)
    assert make_model(mode_seeking_weight=0).mode_seeking_weight == 0.0  # off

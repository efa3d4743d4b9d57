"""Tests of ProgressiveGAN and the ProgressiveGrowing callback."""

import os
import types

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import run_gan_step_test

from keras_mmgan import callbacks
from keras_mmgan import losses
from keras_mmgan import models
from keras_mmgan import regularizers

LATENT_DIM = 8


def make_gan(target_resolution=16, **kwargs):
    return models.ProgressiveGAN(
        LATENT_DIM, target_resolution, channels=1, filters=8, seed=1, **kwargs
    )


def paper_adam(learning_rate=1e-3):
    return keras.optimizers.Adam(learning_rate, beta_1=0.0, beta_2=0.99, epsilon=1e-8)


def compile_gan(gan, learning_rate=1e-3, **kwargs):
    gan.compile(
        d_optimizer=paper_adam(learning_rate), g_optimizer=paper_adam(learning_rate), **kwargs
    )
    return gan


def images(n=16, side=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, side, side, 1)).astype("float32")


def latents(n=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, LATENT_DIM)).astype("float32")


def pool(x, factor):
    n, h, w, c = x.shape
    return x.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def upsample(x, factor):
    return np.repeat(np.repeat(x, factor, axis=1), factor, axis=2)


# --------------------------------------------------------------------------- #
# Growth through every stage inside one fit (shared by the tests below).
# --------------------------------------------------------------------------- #
IMAGES_PER_STAGE, FADE_IMAGES = 16, 32
# Batches of 8 from images_seen = 0: stage 0 at 0 and 8; stage 1 fades in at 16..40 and is
# stable at 48, 56; stage 2 fades in from 64: 10 batches end a quarter into its fade.
EXPECTED_GROWTH = [
    (0, 1.0), (0, 1.0), (1, 0.0), (1, 0.25), (1, 0.5), (1, 0.75), (1, 1.0), (1, 1.0),
    (2, 0.0), (2, 0.25),
]


@pytest.fixture(scope="module")
def grown():
    """A model grown 4 -> 8 -> 16 in one `fit`, stopped a quarter into the 16x16 fade."""
    keras.utils.set_random_seed(0)
    gan = compile_gan(make_gan(16))
    growth, traced = [], []

    class Recorder(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            growth.append((self.model.stage, self.model.alpha))

    # Python code in the step runs when it is traced: record the image size of each trace.
    real_images_at_stage = gan.real_images_at_stage

    def spy(x):
        out = real_images_at_stage(x)
        traced.append(tuple(out.shape[1:3]))
        return out

    gan.real_images_at_stage = spy
    blocks = gan.generator.blocks[2].weights + gan.discriminator.blocks[2].weights
    before = [np.array(v) for v in blocks]
    growing = callbacks.ProgressiveGrowing(IMAGES_PER_STAGE, FADE_IMAGES, verbose=0)
    history = gan.fit(
        images(16), batch_size=8, epochs=5, callbacks=[growing, Recorder()], verbose=0
    )
    del gan.real_images_at_stage
    return types.SimpleNamespace(
        gan=gan, history=history.history, growth=growth, traced=traced, before=before
    )


def test_grows_through_every_stage_within_one_fit(grown):
    gan = grown.gan
    assert grown.growth == EXPECTED_GROWTH
    # One trace per stage, none when alpha changes: 4x4, then 8x8, then 16x16.
    assert grown.traced == [(4, 4), (8, 8), (16, 16)]
    assert (gan.stage, gan.alpha, gan.images_seen) == (2, 0.25, 80)
    assert gan.current_resolution == 16
    assert int(gan.g_optimizer.iterations) == int(gan.d_optimizer.iterations) == 10
    # The 16x16 blocks trained once the model reached them.
    after = gan.generator.blocks[2].weights + gan.discriminator.blocks[2].weights
    assert all(not np.array_equal(a, np.array(b)) for a, b in zip(grown.before, after))
    # The epoch logs carry the losses, the penalties and the growth state.
    logs = grown.history
    assert {"d_loss", "g_loss", "gp", "drift"} <= set(logs)
    assert all(np.isfinite(v) for name in ("d_loss", "g_loss", "gp", "drift") for v in logs[name])
    # (The state each epoch's last batch trained at.)
    assert logs["stage"] == [0, 1, 1, 1, 2]
    assert logs["alpha"] == [1.0, 0.25, 0.75, 1.0, 0.25]


def test_save_mid_fade_and_reload_resumes_stage_alpha_count_and_optimizers(grown, tmp_path):
    gan = grown.gan
    path = os.path.join(tmp_path, "progan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, models.ProgressiveGAN)
    assert (loaded.stage, loaded.alpha, loaded.images_seen) == (2, 0.25, 80)
    np.testing.assert_array_equal(gan.generate(5, seed=3), loaded.generate(5, seed=3))
    assert loaded.generate(5, seed=3).shape == (5, 16, 16, 1)
    for optimizer in ("d_optimizer", "g_optimizer"):
        for a, b in zip(getattr(gan, optimizer).variables, getattr(loaded, optimizer).variables):
            np.testing.assert_array_equal(np.array(a), np.array(b))
    assert [r.name for r in loaded.regularizers] == ["gp", "drift"]
    np.testing.assert_array_equal(
        np.array(loaded.seed_generator.state), np.array(gan.seed_generator.state)
    )
    # It continues the schedule: the next batch trains at alpha = (80 - 64) / 32.
    growing = callbacks.ProgressiveGrowing(IMAGES_PER_STAGE, FADE_IMAGES, verbose=0)
    loaded.fit(images(8), batch_size=8, epochs=1, callbacks=[growing], verbose=0)
    assert (loaded.stage, loaded.alpha, loaded.images_seen) == (2, 0.5, 88)
    assert int(loaded.g_optimizer.iterations) == 11


def test_one_step_at_a_fading_stage_trains_each_phase_alone(tmp_path):
    gan = compile_gan(make_gan(8))
    gan.set_growth(1, alpha=0.5)
    loaded = run_gan_step_test(
        gan, images(8, 8), tmp_path, expected_logs=("d_loss", "g_loss", "gp", "drift")
    )
    assert (loaded.stage, loaded.alpha, loaded.images_seen) == (1, 0.5, 16)


# --------------------------------------------------------------------------- #
# Inference and export at each stage.
# --------------------------------------------------------------------------- #
def test_generate_returns_the_current_stage_resolution():
    gan = make_gan(16)
    for stage, side in enumerate((4, 8, 16)):
        gan.set_growth(stage, alpha=0.5)
        samples = gan.generate(3, seed=0)
        assert samples.shape == (3, side, side, 1) and samples.dtype == np.float32
        assert samples.min() >= -1.0 and samples.max() <= 1.0
        np.testing.assert_array_equal(samples, gan.generate(3, seed=0))
        full = gan.generate(3, seed=0, full_resolution=True)
        np.testing.assert_array_equal(full, upsample(samples, 16 // side))
        assert tuple(gan(latents()).shape) == (3, side, side, 1)


def test_export_serves_latents_to_images_at_the_current_stage(tmp_path):
    gan = make_gan(16)
    gan.set_growth(1, alpha=0.25)
    directory = str(tmp_path / "exported")
    gan.export(directory)
    restored = tf.saved_model.load(directory)  # kept: its variables live as long as it does
    served = np.asarray(restored.serve(latents()))
    assert served.shape == (3, 8, 8, 1)
    np.testing.assert_allclose(served, gan.generate(latents=latents()), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="format"):
        gan.export(str(tmp_path / "other"), format="onnx")


def test_real_images_are_pooled_to_the_stage_and_faded_like_the_generator():
    gan = make_gan(16)
    x = images(2, 16)
    # 16 -> 8 by 2x2 means; while fading, blended with the 4x4 version upsampled.
    fine = pool(x, 2)
    expected = 0.75 * upsample(pool(x, 4), 2) + 0.25 * fine
    for stage, alpha, reals in ((1, 0.25, expected), (1, 1.0, fine), (0, 1.0, pool(x, 4))):
        gan.set_growth(stage, alpha)
        np.testing.assert_allclose(
            np.asarray(gan.real_images_at_stage(x)), reals, rtol=1e-5, atol=1e-6
        )


# --------------------------------------------------------------------------- #
# compile defaults.
# --------------------------------------------------------------------------- #
def test_compile_defaults_to_wgan_gp_with_drift():
    gan = compile_gan(make_gan(8))
    assert isinstance(gan.adversarial_loss, losses.WGAN)
    assert [(type(r), r.weight) for r in gan.regularizers] == [
        (regularizers.GradientPenalty, 10.0),
        (regularizers.Drift, 0.001),
    ]
    assert compile_gan(make_gan(8), regularizers=[]).regularizers == []
    hinge = compile_gan(make_gan(8), loss="hinge")
    assert isinstance(hinge.adversarial_loss, losses.Hinge) and hinge.regularizers == []


# --------------------------------------------------------------------------- #
# The schedule.
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "images_seen, expected",
    [
        (0, (0, 1.0)),
        (99, (0, 1.0)),
        (100, (1, 0.0)),  # stage 1 starts fading in
        (125, (1, 0.5)),
        (150, (1, 1.0)),  # faded in: stable
        (249, (1, 1.0)),
        (250, (2, 0.0)),
        (290, (2, 0.8)),
        (400, (2, 1.0)),
        (10**9, (2, 1.0)),  # the last stage stays
    ],
)
def test_schedule_gives_stage_and_alpha_by_images_seen(images_seen, expected):
    growing = callbacks.ProgressiveGrowing(images_per_stage=100, fade_images=50, verbose=0)
    stage, alpha = growing.schedule(images_seen, num_stages=3)
    assert (stage, pytest.approx(alpha)) == expected
    assert growing.total_images(3) == 400


def test_schedule_without_fade_and_with_one_stage():
    growing = callbacks.ProgressiveGrowing(10, fade_images=0, verbose=0)
    schedule = [growing.schedule(n, 3) for n in (9, 10, 19, 20)]
    assert schedule == [(0, 1.0), (1, 1.0), (1, 1.0), (2, 1.0)]
    assert growing.schedule(1000, 1) == (0, 1.0)
    assert callbacks.ProgressiveGrowing(10, verbose=0).fade_images == 10


# --------------------------------------------------------------------------- #
# Bad arguments.
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("target_resolution", [2, 6, 24, 0, 32.0, True])
def test_target_resolution_must_be_a_power_of_two_of_at_least_4(target_resolution):
    with pytest.raises(ValueError, match="target_resolution"):
        models.ProgressiveGAN(LATENT_DIM, target_resolution)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(latent_dim=0), "latent_dim"),
        (dict(channels=0), "channels"),
        (dict(filters=[8, 8]), "filters"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name):
    arguments = dict(latent_dim=LATENT_DIM, target_resolution=16, channels=1, filters=8)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=name):
        models.ProgressiveGAN(**arguments)


def test_set_growth_and_fit_refuse_bad_values():
    gan = make_gan(16)
    with pytest.raises(ValueError, match="stage"):
        gan.set_growth(3)
    with pytest.raises(ValueError, match="alpha"):
        gan.set_growth(1, alpha=1.5)
    compile_gan(gan)
    with pytest.raises(ValueError, match=r"images must have shape \(batch, 16, 16, 1\)"):
        gan.fit(images(8, 8), batch_size=8, epochs=1, verbose=0)
    assert gan.images_seen == 0


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(images_per_stage=0), "images_per_stage"),
        (dict(images_per_stage=10, fade_images=-1), "fade_images"),
        (dict(images_per_stage=2.5), "images_per_stage"),
    ],
)
def test_progressive_growing_names_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        callbacks.ProgressiveGrowing(**kwargs)


def test_progressive_growing_needs_a_progressive_gan():
    gan = models.GAN(
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]),
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]),
        latent_dim=2,
    )
    gan.compile(d_optimizer="adam", g_optimizer="adam")
    with pytest.raises(TypeError, match="ProgressiveGAN"):
        gan.fit(np.zeros((8, 2), "float32"), callbacks=[callbacks.ProgressiveGrowing(8)], verbose=0)


# --------------------------------------------------------------------------- #
# Learning.
# --------------------------------------------------------------------------- #
@pytest.mark.slow
def test_grows_and_learns_a_two_tone_pattern():
    """Through the 8x8 fade, the mean sample moves onto the data's mean image.

    Data: 64 images of a left half at 0.6 and a right half at -0.6, plus noise of std
    0.05. With fixed seeds (and across seeds 0-2 when this was written) the mean squared
    error of the mean sample to the mean image drops from 0.35-0.53 to below 0.013 in 200
    steps; the test asks for a tenfold drop.
    """
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    pattern = np.where(np.arange(8)[None, :, None] < 4, 0.6, -0.6) * np.ones((8, 8, 1))
    data = (pattern + 0.05 * rng.normal(size=(64, 8, 8, 1))).astype("float32")
    gan = compile_gan(make_gan(8), learning_rate=3e-3)

    def error():
        samples = gan.generate(256, seed=5, full_resolution=True)
        return float(np.mean((samples.mean(axis=0) - data.mean(axis=0)) ** 2))

    before = error()
    growing = callbacks.ProgressiveGrowing(800, 800, verbose=0)
    gan.fit(data, batch_size=16, epochs=50, callbacks=[growing], verbose=0)
    assert (gan.stage, gan.alpha, gan.images_seen) == (1, 1.0, 3200)
    after = error()
    assert after < 0.1 * before, (before, after)

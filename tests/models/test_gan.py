import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import run_gan_step_test

from keras_mmgan import datasets
from keras_mmgan import losses
from keras_mmgan import models
from keras_mmgan.regularizers import R1Penalty

LATENT_DIM = 4


def mlp_generator(output_shape=(2,)):
    latents = keras.Input((LATENT_DIM,))
    x = keras.layers.Dense(16, activation="relu")(latents)
    x = keras.layers.Dense(int(np.prod(output_shape)), activation="tanh")(x)
    return keras.Model(latents, keras.layers.Reshape(output_shape)(x), name="generator")


def mlp_discriminator(input_shape=(2,), activation="relu"):
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(16, activation=activation)(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x), name="discriminator")


def make_gan(shape=(2,), seed=1):
    return models.GAN(mlp_generator(shape), mlp_discriminator(shape), LATENT_DIM, seed=seed)


def optimizers(lr=1e-3):
    return dict(d_optimizer=keras.optimizers.Adam(lr), g_optimizer=keras.optimizers.Adam(lr))


def compile_gan(gan, **kwargs):
    options = optimizers()
    options.update(kwargs)
    gan.compile(**options)
    return gan


def data(shape=(2,), n=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def weights(gan):
    return [np.array(w) for w in gan.generator.weights + gan.discriminator.weights]


# --------------------------------------------------------------------------- #
# Training steps.
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("shape", [(2,), (4, 4, 1)])
def test_step(tmp_path, shape):
    gan = compile_gan(make_gan(shape))
    loaded = run_gan_step_test(gan, data(shape), tmp_path)
    assert isinstance(loaded, models.GAN)
    assert loaded.latent_dim == LATENT_DIM and loaded.d_steps == 1


def test_step_with_two_discriminator_steps(tmp_path):
    gan = compile_gan(make_gan(), d_steps=2)
    loaded = run_gan_step_test(gan, data(), tmp_path)
    # run_gan_step_test checked 2 G and 2 * 2 D updates during fit; the
    # compile config (d_steps) survives the save.
    assert loaded.d_steps == 2


def test_step_with_a_hybrid_loss_and_r1(tmp_path):
    gan = compile_gan(
        make_gan((4, 4, 1)), loss={"minimax": 0.5, "non_saturating": 1.0}, regularizers=[R1Penalty(1.0)]
    )
    loaded = run_gan_step_test(
        gan, data((4, 4, 1)), tmp_path, expected_logs=("d_loss", "g_loss", "r1")
    )
    assert isinstance(loaded.adversarial_loss, losses.Hybrid)
    assert [r.name for r in loaded.regularizers] == ["r1"]


def test_fit_reports_finite_losses_per_epoch():
    gan = compile_gan(make_gan())
    history = gan.fit(data(n=32), batch_size=8, epochs=2, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(v) for values in history.history.values() for v in values)
    assert int(gan.g_optimizer.iterations) == 8 and int(gan.d_optimizer.iterations) == 8


# --------------------------------------------------------------------------- #
# compile and fit errors.
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("missing", ["d_optimizer", "g_optimizer"])
def test_compile_requires_both_optimizers(missing):
    options = optimizers()
    del options[missing]
    with pytest.raises(ValueError, match=missing):
        make_gan().compile(**options)


def test_compile_refuses_the_same_optimizer_twice():
    optimizer = keras.optimizers.Adam(1e-3)
    with pytest.raises(ValueError, match="same object"):
        make_gan().compile(d_optimizer=optimizer, g_optimizer=optimizer)


def test_compile_refuses_an_unknown_loss():
    with pytest.raises(ValueError, match="not_a_loss"):
        compile_gan(make_gan(), loss="not_a_loss")


def test_compile_refuses_bad_d_steps():
    with pytest.raises(ValueError, match="d_steps"):
        compile_gan(make_gan(), d_steps=0)


def test_a_generator_of_another_latent_size_is_named():
    message = f"shape \\(None, {LATENT_DIM}\\).*latent_dim={LATENT_DIM - 1}"
    with pytest.raises(ValueError, match=message):
        models.GAN(mlp_generator(), mlp_discriminator(), LATENT_DIM - 1)


def test_fit_before_compile():
    with pytest.raises(RuntimeError, match="compile"):
        make_gan().fit(data(), epochs=1, verbose=0)


@pytest.mark.parametrize(
    "shape, bad",
    [((2,), (16, 3)), ((2,), (16, 2, 1)), ((4, 4, 1), (16, 4, 4)), ((4, 4, 1), (16, 4, 4, 3))],
)
def test_fit_on_wrongly_shaped_data_fails_before_any_step(shape, bad):
    gan = compile_gan(make_gan(shape))
    before = weights(gan)
    with pytest.raises(ValueError, match="images"):
        gan.fit(np.zeros(bad, "float32"), batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="images"):
        gan.fit(tf.data.Dataset.from_tensor_slices(np.zeros(bad, "float32")).batch(8), verbose=0)
    assert int(gan.d_optimizer.iterations) == 0
    assert int(gan.g_optimizer.iterations) == 0
    for a, b in zip(before, weights(gan)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "x, message",
    [
        (np.zeros((0, 2), "float32"), r"x passed to fit\(\) holds no samples.*\(0, 2\)"),
        (tf.data.Dataset.from_tensor_slices(np.zeros((0, 2), "float32")).batch(8),
         "dataset passed to fit\\(\\) is empty"),
        (tf.data.Dataset.from_tensors(np.zeros((0, 2), "float32")),
         r"first batch of the dataset passed to fit\(\) holds no samples"),
    ],
    ids=["empty-array", "dataset-without-batches", "batch-without-samples"],
)
def test_fit_on_no_samples_fails_naming_what_is_empty(x, message):
    gan = compile_gan(make_gan())
    with pytest.raises(ValueError, match=message):
        gan.fit(x, batch_size=8, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 0


def test_fit_on_labels_without_samples_fails():
    gan = compile_gan(make_gan())
    with pytest.raises(ValueError, match=r"y passed to fit\(\) holds no samples"):
        gan.fit(data(n=8), np.zeros((0,)), batch_size=8, epochs=1, verbose=0)


def test_make_dataset_of_fewer_samples_than_a_batch_fails():
    with pytest.raises(ValueError, match=r"batch_size \(32\).*number of samples \(5\)"):
        datasets.make_dataset(data(n=5), batch_size=32)
    with pytest.raises(ValueError, match="images must hold at least one sample"):
        datasets.make_dataset(np.zeros((0, 28, 28, 1)), batch_size=32, drop_remainder=False)


@pytest.mark.parametrize(
    "activation, what",
    [
        pytest.param("tanh", ["loss"], id="tanh-loss"),  # tanh(NaN) = NaN: D's loss turns NaN
        # relu(NaN) is 0 or NaN by kernel: the loss stays finite and D's gradients turn NaN
        # (Intel, AVX-512), or the loss turns NaN (AMD EPYC, AVX2 only).
        pytest.param("relu", ["gradients", "loss"], id="relu-gradients"),
    ],
)
def test_a_nan_loss_stops_fit_and_keeps_the_finite_weights(activation, what):
    gan = models.GAN(mlp_generator(), mlp_discriminator(activation=activation), LATENT_DIM, seed=1)
    compile_gan(gan)
    gan.fit(data(n=8), batch_size=8, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 1
    # Poison the generator: fakes, D's outputs on them and D's loss turn NaN.
    for variable in gan.generator.weights:
        variable.assign(np.full(variable.shape, np.nan, "float32"))
    d_before = [np.array(w) for w in gan.discriminator.weights]
    d_optimizer_before = [np.array(v) for v in gan.d_optimizer.variables]
    with pytest.raises(ValueError, match="step 2") as info:
        gan.fit(data(n=8), batch_size=8, epochs=1, verbose=0)
    # Which check sees the NaN first depends on the CPU's kernels (AVX2-only machines
    # report the loss in the relu case); each of these messages names the real cause.
    assert any(f"the {name} became NaN" in str(info.value) for name in what), str(info.value)
    # What we check: the failing D update was not applied — the discriminator's
    # weights (finite before) are bit-for-bit unchanged and finite, and so is
    # D's optimizer state (iterations still 1, moments unchanged); G's
    # optimizer did not step either.
    for before, after in zip(d_before, gan.discriminator.weights):
        np.testing.assert_array_equal(before, np.array(after))
        assert np.all(np.isfinite(np.array(after)))
    for before, after in zip(d_optimizer_before, gan.d_optimizer.variables):
        np.testing.assert_array_equal(before, np.array(after))
    assert int(gan.d_optimizer.iterations) == 1
    assert int(gan.g_optimizer.iterations) == 1


def test_an_exploding_discriminator_stops_fit_with_finite_weights():
    # A huge D learning rate: the logits overflow within a few steps.
    gan = make_gan()
    gan.compile(d_optimizer=keras.optimizers.SGD(1e30), g_optimizer=keras.optimizers.SGD(1e-3))
    with pytest.raises(ValueError, match=r"step \d+"):
        gan.fit(data(n=64), batch_size=8, epochs=20, verbose=0)
    for w in weights(gan):
        assert np.all(np.isfinite(w))


def normalized_discriminator():
    """D with batch norm, dropout and spectral normalization: state a training call writes."""
    inputs = keras.Input((2,))
    x = keras.layers.SpectralNormalization(keras.layers.Dense(16))(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(0.3)(keras.layers.LeakyReLU(0.2)(x))
    return keras.Model(inputs, keras.layers.Dense(1)(x), name="discriminator")


def test_generator_phase_judges_with_the_training_mode_discriminator_and_leaves_it_as_it_was():
    gan = models.GAN(mlp_generator(), normalized_discriminator(), LATENT_DIM, seed=1)
    compile_gan(gan)
    gan.fit(data(), batch_size=8, epochs=1, verbose=0)  # running averages now trail D
    batch = gan.prepare_batch(data(n=8))
    generator_phase = gan.phases()[1]
    d_state = [np.array(v) for v in gan.discriminator.variables]
    seed_state = np.array(gan.seed_generator.state)

    _, logs = gan._phase_loss(generator_phase, batch)
    for before, after in zip(d_state, gan.discriminator.variables):
        np.testing.assert_array_equal(before, np.array(after))

    # The same fakes, judged by D as the discriminator phase runs it (batch statistics).
    def g_loss(training):
        for variable, value in zip(gan.discriminator.variables, d_state):
            variable.assign(value)
        gan.seed_generator.state.assign(seed_state)
        fakes = gan.generate_images(gan.sample_latents(8), batch, training=True)
        return float(gan.adversarial_loss.generator_loss(gan.discriminator(fakes, training=training)))

    assert float(logs["g_loss"]) == pytest.approx(g_loss(training=True), rel=1e-5)
    assert abs(float(logs["g_loss"]) - g_loss(training=False)) > 1e-3  # the trailing D differs


# --------------------------------------------------------------------------- #
# Inference, saving, export.
# --------------------------------------------------------------------------- #
def test_generate_is_seeded(tmp_path):
    gan = compile_gan(make_gan((4, 4, 1)))
    gan.fit(data((4, 4, 1)), batch_size=8, epochs=1, verbose=0)
    first = gan.generate(6, seed=3)
    assert first.shape == (6, 4, 4, 1) and first.dtype == np.float32
    assert first.min() >= -1 and first.max() <= 1
    np.testing.assert_array_equal(first, gan.generate(6, seed=3))
    assert not np.allclose(first, gan.generate(6, seed=4))
    # Batching does not change the samples, up to the float32 rounding of kernels that a
    # batch size may pick (1 ulp apart on AVX2-only CPUs).
    np.testing.assert_allclose(gan.generate(6, seed=3, batch_size=4), first, rtol=0, atol=1e-6)
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(first, loaded.generate(6, seed=3))


@pytest.mark.parametrize(
    "kwargs",
    [dict(num_samples=4, labels=[0, 1, 2, 3]), dict(num_samples=2, captions=["a"] * 2), dict()],
)
def test_generate_refuses_conditions_on_an_unconditional_gan(kwargs):
    with pytest.raises(ValueError):
        make_gan().generate(**kwargs)


def test_generate_with_labels_names_labels():
    with pytest.raises(ValueError, match="labels"):
        make_gan().generate(4, labels=np.arange(4))


def test_call_on_latents_is_the_generator():
    gan = make_gan((4, 4, 1))
    latents = np.random.default_rng(0).normal(size=(5, LATENT_DIM)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(gan(latents)), np.asarray(gan.generator(latents)), rtol=1e-6
    )
    # On an image batch (as Keras builds a model) it draws one latent per image.
    assert tuple(gan(data((4, 4, 1), n=3)).shape) == (3, 4, 4, 1)


def test_export_serves_the_generator(tmp_path):
    gan = compile_gan(make_gan((4, 4, 1)))
    gan.fit(data((4, 4, 1)), batch_size=8, epochs=1, verbose=0)
    directory = str(tmp_path / "exported")
    gan.export(directory)
    served = tf.saved_model.load(directory)
    latents = np.random.default_rng(0).normal(size=(3, LATENT_DIM)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(served.serve(latents)), np.asarray(gan.generator(latents)), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="format"):
        gan.export(str(tmp_path / "other"), format="onnx")


def test_reload_continues_the_unseeded_noise_stream(tmp_path):
    gan = compile_gan(make_gan((4, 4, 1), seed=7))
    initial_state = np.array(gan.seed_generator.state)
    gan.fit(data((4, 4, 1), n=24), batch_size=8, epochs=1, verbose=0)
    gan.generate(2)  # advance the stream a little more outside fit
    state = np.array(gan.seed_generator.state)
    assert not np.array_equal(state, initial_state)
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(np.array(loaded.seed_generator.state), state)
    for _ in range(2):
        expected = gan.generate(5)
        np.testing.assert_array_equal(expected, loaded.generate(5))
    # A fresh model with the same seed and weights starts the stream over:
    # the reloaded one does not.
    fresh = make_gan((4, 4, 1), seed=7)
    fresh.set_weights(gan.get_weights())
    assert not np.allclose(fresh.generate(5), loaded.generate(5))

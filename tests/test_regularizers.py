import keras
import numpy as np
import pytest

from keras_mmgan import models
from keras_mmgan import regularizers
from keras_mmgan.regularizers import R1Penalty

IMAGE_SHAPE = (4, 4, 1)
LATENT_DIM = 3


def tiny_generator():
    inputs = keras.Input((LATENT_DIM,))
    x = keras.layers.Dense(16, activation="tanh")(inputs)
    return keras.Model(inputs, keras.layers.Reshape(IMAGE_SHAPE)(x))


def linear_discriminator():
    """D(x) = w . flatten(x) + b, logits."""
    inputs = keras.Input(IMAGE_SHAPE)
    x = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def tanh_discriminator():
    """D(x) = v . tanh(W flatten(x) + c) + b, logits."""
    inputs = keras.Input(IMAGE_SHAPE)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(5, activation="tanh")(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def make_gan(discriminator, seed=1):
    return models.GAN(tiny_generator(), discriminator, latent_dim=LATENT_DIM, seed=seed)


def compile_gan(gan, regularizers=None, optimizer=keras.optimizers.Adam, lr=1e-3):
    gan.compile(d_optimizer=optimizer(lr), g_optimizer=optimizer(lr), regularizers=regularizers)
    return gan


def images(n=6, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *IMAGE_SHAPE)).astype("float32")


def test_r1_of_a_linear_discriminator_is_half_the_squared_weight_norm():
    gan = compile_gan(make_gan(linear_discriminator()))
    w, b = gan.discriminator.layers[-1].get_weights()
    w = np.random.default_rng(1).normal(size=w.shape).astype("float32")
    gan.discriminator.layers[-1].set_weights([w, np.array([0.7], "float32")])
    value = float(R1Penalty(10.0)(gan, gan.prepare_batch(images())))
    # grad_x D = w for every sample, so E ||grad||^2 / 2 = ||w||^2 / 2.
    np.testing.assert_allclose(value, 0.5 * np.sum(w.astype("float64") ** 2), rtol=1e-5)


def test_r1_matches_finite_differences_on_a_nonlinear_discriminator():
    gan = compile_gan(make_gan(tanh_discriminator()))
    x = images(4)
    value = float(R1Penalty()(gan, gan.prepare_batch(x)))

    # An independent estimate: D replicated in float64 NumPy from its weights,
    # differentiated by central differences (h = 1e-5, error ~1e-10).
    kernel, bias, v, c = (w.astype("float64") for w in gan.discriminator.get_weights())

    def d(flat):
        return np.tanh(flat @ kernel + bias) @ v + c

    flat = x.reshape(len(x), -1).astype("float64")
    np.testing.assert_allclose(
        d(flat), np.asarray(gan.discriminator(x)), rtol=1e-5, atol=1e-6
    )
    h = 1e-5
    squared_norms = []
    for sample in flat:
        gradient = [
            (d(sample + h * e)[0] - d(sample - h * e)[0]) / (2 * h) for e in np.eye(len(sample))
        ]
        squared_norms.append(np.sum(np.square(gradient)))
    estimate = 0.5 * np.mean(squared_norms)
    assert estimate > 1e-3  # a non-trivial value
    # The library computes in float32: relative tolerance 1e-4.
    np.testing.assert_allclose(value, estimate, rtol=1e-4)


def test_r1_reads_sigmoid_discriminators_through_their_logits():
    inputs = keras.Input(IMAGE_SHAPE)
    x = keras.layers.Flatten()(inputs)
    discriminator = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    gan = compile_gan(make_gan(discriminator))
    assert gan.adversarial_loss.from_logits is False
    w = discriminator.layers[-1].get_weights()[0]
    value = float(R1Penalty()(gan, gan.prepare_batch(images())))
    np.testing.assert_allclose(value, 0.5 * np.sum(w.astype("float64") ** 2), rtol=1e-5)


def test_compile_with_r1_logs_it_in_fit_history():
    gan = compile_gan(make_gan(linear_discriminator()), regularizers=[R1Penalty(10.0)])
    history = gan.fit(images(16), batch_size=8, epochs=2, verbose=0)
    assert {"d_loss", "g_loss", "r1"} <= set(history.history)
    assert len(history.history["r1"]) == 2
    assert all(np.isfinite(v) and v > 0 for v in history.history["r1"])


def test_compile_without_regularizers_has_no_r1_log():
    gan = compile_gan(make_gan(linear_discriminator()))
    history = gan.fit(images(8), batch_size=8, epochs=1, verbose=0)
    assert "r1" not in history.history


def test_regularizers_with_the_same_name_are_refused():
    gan = make_gan(linear_discriminator())
    with pytest.raises(ValueError, match="r1"):
        compile_gan(gan, regularizers=[R1Penalty(1.0), R1Penalty(10.0)])
    # Distinct names are fine.
    compile_gan(gan, regularizers=[R1Penalty(1.0), R1Penalty(10.0, name="r1_strong")])


def test_a_regularizer_may_not_take_a_loss_name():
    with pytest.raises(ValueError, match="d_loss"):
        compile_gan(make_gan(linear_discriminator()), regularizers=[R1Penalty(name="d_loss")])


@pytest.mark.parametrize("regularizer", ["r1", lambda model, batch: 0.0, 10.0])
def test_a_non_regularizer_is_a_type_error(regularizer):
    with pytest.raises(TypeError, match="Regularizer"):
        compile_gan(make_gan(linear_discriminator()), regularizers=[regularizer])


def test_regularizer_get_round_trips_a_config():
    config = keras.saving.serialize_keras_object(R1Penalty(3.0, name="r1_custom"))
    restored = regularizers.get(config)
    assert isinstance(restored, R1Penalty)
    assert (restored.weight, restored.name, restored.phase) == (3.0, "r1_custom", "discriminator")


def _discriminator_after_one_step(regularizers, weights):
    keras.utils.set_random_seed(0)
    gan = make_gan(linear_discriminator(), seed=5)
    gan.set_weights(weights)
    compile_gan(gan, regularizers=regularizers, optimizer=keras.optimizers.SGD, lr=0.1)
    gan.fit(images(8), batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert int(gan.d_optimizer.iterations) == 1
    return gan.discriminator.get_weights()


def test_r1_enters_the_discriminator_loss():
    reference = make_gan(linear_discriminator())
    weights = reference.get_weights()
    w0 = reference.discriminator.get_weights()[0]
    plain = _discriminator_after_one_step(None, weights)
    # Control: the same run repeated gives the same weights bit for bit.
    for a, b in zip(plain, _discriminator_after_one_step(None, weights)):
        np.testing.assert_array_equal(a, b)
    with_r1 = _discriminator_after_one_step([R1Penalty(10.0)], weights)
    assert not np.allclose(plain[0], with_r1[0])
    # With SGD, the R1 term adds lr * gamma * dR1/dw = lr * gamma * w0 to the
    # step of the kernel (R1 = ||w||^2 / 2), and nothing to the bias.
    np.testing.assert_allclose(plain[0] - with_r1[0], 0.1 * 10.0 * w0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(plain[1], with_r1[1], rtol=1e-6)

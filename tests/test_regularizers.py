import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import TAPE
from conftest import tensorflow_only

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


# --------------------------------------------------------------------------- #
# Gradient penalties (WGAN-GP, DRAGAN) and lazy R1.
# --------------------------------------------------------------------------- #
def _batch_with_fakes(gan, real, fakes):
    batch = gan.prepare_batch(real)
    batch["fakes"] = keras.ops.convert_to_tensor(fakes)
    return batch


def _numeric_gradient_norms(gan, x, h=1e-5):
    """Per-sample ||grad D(x)|| by central differences on D replicated in float64."""
    kernel, bias, v, c = (w.astype("float64") for w in gan.discriminator.get_weights())

    def d(flat):
        return np.tanh(flat @ kernel + bias) @ v + c

    norms = []
    for sample in x.reshape(len(x), -1).astype("float64"):
        gradient = [
            (d(sample + h * e)[0] - d(sample - h * e)[0]) / (2 * h) for e in np.eye(len(sample))
        ]
        norms.append(np.linalg.norm(gradient))
    return np.array(norms)


def test_gradient_penalty_matches_finite_differences():
    gan = compile_gan(make_gan(tanh_discriminator()))
    x = images(4)
    # Real = fake: every interpolate is x itself, whatever alpha is drawn.
    value = float(regularizers.GradientPenalty()(gan, _batch_with_fakes(gan, x, x)))
    estimate = np.mean((_numeric_gradient_norms(gan, x) - 1.0) ** 2)
    assert estimate > 1e-3
    np.testing.assert_allclose(value, estimate, rtol=1e-4)


def test_gradient_penalty_of_a_linear_critic_is_the_norm_gap():
    gan = compile_gan(make_gan(linear_discriminator()))
    w = gan.discriminator.layers[-1].get_weights()[0].astype("float64")
    value = float(regularizers.GradientPenalty()(gan, _batch_with_fakes(gan, images(), images(6, 1))))
    np.testing.assert_allclose(value, (np.linalg.norm(w) - 1.0) ** 2, rtol=1e-5)


def test_gradient_penalty_draws_one_alpha_per_sample(monkeypatch):
    gan = compile_gan(make_gan(linear_discriminator()))
    seen = []
    original = regularizers.backend.input_gradients

    def spy(fn, inputs):
        seen.append(np.array(inputs))
        return original(fn, inputs)

    monkeypatch.setattr(regularizers.backend, "input_gradients", spy)
    real = images(8)
    regularizers.GradientPenalty()(gan, _batch_with_fakes(gan, real, np.zeros_like(real)))
    # With fakes at 0 the interpolate is alpha * x: one ratio per sample.
    ratios = (seen[0] / real).reshape(len(real), -1)
    np.testing.assert_allclose(ratios, ratios[:, :1].repeat(ratios.shape[1], 1), rtol=1e-5)
    alphas = ratios[:, 0]
    assert np.all((alphas >= 0) & (alphas <= 1))
    assert len(np.unique(np.round(alphas, 5))) == len(alphas)


@tensorflow_only(TAPE)
def test_gradient_penalty_is_safe_where_the_critic_is_flat():
    gan = compile_gan(make_gan(linear_discriminator()))
    gan.discriminator.set_weights([np.zeros_like(w) for w in gan.discriminator.get_weights()])
    batch = _batch_with_fakes(gan, images(), images(6, 1))
    import tensorflow as tf

    with tf.GradientTape() as tape:
        value = regularizers.GradientPenalty()(gan, batch)
    kernel = gan.discriminator.layers[-1].kernel
    gradient = tape.gradient(value, kernel)
    np.testing.assert_allclose(float(value), 1.0, rtol=1e-5)  # (0 - 1)^2
    assert gradient is not None
    assert np.all(np.isfinite(np.array(gradient)))


def test_dragan_of_a_linear_discriminator_is_the_norm_gap():
    gan = compile_gan(make_gan(linear_discriminator()))
    w = gan.discriminator.layers[-1].get_weights()[0].astype("float64")
    value = float(regularizers.DRAGAN()(gan, gan.prepare_batch(images())))
    np.testing.assert_allclose(value, (np.linalg.norm(w) - 1.0) ** 2, rtol=1e-5)


def test_dragan_perturbs_around_the_real_images(monkeypatch):
    gan = compile_gan(make_gan(linear_discriminator()))
    seen = []
    original = regularizers.backend.input_gradients
    monkeypatch.setattr(
        regularizers.backend,
        "input_gradients",
        lambda fn, inputs: seen.append(np.array(inputs)) or original(fn, inputs),
    )
    real = images(8)
    regularizers.DRAGAN(scale=0.5)(gan, gan.prepare_batch(real))
    offset = seen[0] - real
    # x + alpha * c * std(x) * u with u, alpha in [0, 1]: 0 <= offset <= c * std(x).
    assert np.all(offset >= -1e-6)
    assert np.all(offset <= 0.5 * real.std() + 1e-6)
    assert offset.max() > 0.05


def test_lazy_r1_applies_every_interval_steps_scaled_by_the_interval():
    gan = compile_gan(make_gan(tanh_discriminator()))
    batch = gan.prepare_batch(images())
    every_step = float(R1Penalty()(gan, batch))
    lazy = R1Penalty(interval=4)
    assert float(lazy(gan, batch)) == pytest.approx(4 * every_step, rel=1e-5)  # step 0
    gan.d_optimizer.iterations.assign(3)
    assert float(lazy(gan, batch)) == 0.0
    gan.d_optimizer.iterations.assign(8)
    assert float(lazy(gan, batch)) == pytest.approx(4 * every_step, rel=1e-5)


def test_lazy_r1_trains_in_fit():
    gan = compile_gan(make_gan(tanh_discriminator()), regularizers=[R1Penalty(1.0, interval=2)])
    history = gan.fit(images(16), batch_size=4, epochs=1, verbose=0)
    # Steps 0 and 2 of 4 carry 2 * R1; the logged mean is about R1.
    assert history.history["r1"][0] > 0



def test_drift_is_the_mean_squared_score_of_real_images():
    gan = compile_gan(make_gan(linear_discriminator()))
    w = np.random.default_rng(2).normal(size=(16, 1)).astype("float32")
    gan.discriminator.layers[-1].set_weights([w, np.array([0.3], "float32")])
    x = images(6)
    value = float(regularizers.Drift()(gan, gan.prepare_batch(x)))
    scores = x.reshape(len(x), -1).astype("float64") @ w.astype("float64") + 0.3
    np.testing.assert_allclose(value, np.mean(scores**2), rtol=1e-5)
    # Only the real images count: the fakes of the batch do not enter it.
    batch = gan.prepare_batch(x)
    gan.generate_fakes(batch)
    assert float(regularizers.Drift()(gan, batch)) == pytest.approx(value, rel=1e-6)


def test_drift_defaults_to_the_papers_epsilon_on_the_discriminator():
    drift = regularizers.Drift()
    assert (drift.weight, drift.name, drift.phase) == (0.001, "drift", "discriminator")
    restored = regularizers.get(keras.saving.serialize_keras_object(regularizers.Drift(0.01)))
    assert isinstance(restored, regularizers.Drift) and restored.weight == 0.01


# --------------------------------------------------------------------------- #
# Generator-side terms.
# --------------------------------------------------------------------------- #
def named_feature_discriminator():
    inputs = keras.Input(IMAGE_SHAPE)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(5, activation="tanh", name="features")(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


@pytest.mark.parametrize("layer", [None, "features"])
def test_feature_matching_is_the_squared_distance_of_mean_features(layer):
    gan = compile_gan(make_gan(named_feature_discriminator()))
    real, fakes = images(6), images(6, 1)
    value = float(
        regularizers.FeatureMatching(layer=layer)(gan, _batch_with_fakes(gan, real, fakes))
    )
    kernel, bias = (w.astype("float64") for w in gan.discriminator.get_layer("features").get_weights())

    def mean_features(x):
        return np.tanh(x.reshape(len(x), -1) @ kernel + bias).mean(0)

    expected_value = np.sum((mean_features(real) - mean_features(fakes)) ** 2)
    assert expected_value > 1e-4
    np.testing.assert_allclose(value, expected_value, rtol=1e-5)
    same = regularizers.FeatureMatching(layer=layer)(gan, _batch_with_fakes(gan, real, real))
    assert float(same) == pytest.approx(0.0, abs=1e-10)


def test_feature_matching_names_a_missing_layer():
    gan = compile_gan(make_gan(named_feature_discriminator()))
    with pytest.raises(ValueError, match="'nope'"):
        regularizers.FeatureMatching(layer="nope")(gan, _batch_with_fakes(gan, images(), images()))


def constant_generator():
    """A generator that ignores z: the collapse mode seeking punishes."""
    inputs = keras.Input((LATENT_DIM,))
    x = keras.layers.Dense(16, kernel_initializer="zeros", bias_initializer="ones")(inputs)
    return keras.Model(inputs, keras.layers.Reshape(IMAGE_SHAPE)(x))


def test_mode_seeking_punishes_a_generator_that_ignores_z():
    def value(generator):
        gan = models.GAN(generator, linear_discriminator(), latent_dim=LATENT_DIM, seed=0)
        compile_gan(gan)
        batch = gan.prepare_batch(images(8))
        gan.generate_fakes(batch)
        return float(regularizers.ModeSeeking()(gan, batch))

    diverse, collapsed = value(tiny_generator()), value(constant_generator())
    assert 0 < diverse < 100
    assert collapsed == pytest.approx(1e5, rel=1e-3)  # 1 / (0 + eps)


@tensorflow_only(TAPE)
def test_mode_seeking_bound_stops_the_pull_above_max_ratio():
    gan = models.GAN(tiny_generator(), linear_discriminator(), latent_dim=LATENT_DIM, seed=0)
    compile_gan(gan)
    batch = gan.prepare_batch(images(8))
    start = np.array(gan.seed_generator.state)

    def value_and_gradients(regularizer):
        gan.seed_generator.state.assign(start)  # the same z1 and z2 for every term
        with tf.GradientTape() as tape:
            gan.generate_fakes(batch, training=True)
            value = regularizer(gan, batch)
        return float(value), tape.gradient(value, gan.generator.trainable_weights)

    free, free_gradients = value_and_gradients(regularizers.ModeSeeking())
    ratio = 1.0 / free  # eps is negligible here
    bounded, bounded_gradients = value_and_gradients(regularizers.ModeSeeking(max_ratio=ratio / 2))
    assert bounded == pytest.approx(1.0 / (ratio / 2 + 1e-5), rel=1e-4)
    assert all(g is None or not np.any(g) for g in bounded_gradients)
    assert any(g is not None and np.any(g) for g in free_gradients)
    loose, _ = value_and_gradients(regularizers.ModeSeeking(max_ratio=ratio * 2))
    assert loose == pytest.approx(free, rel=1e-5)


@pytest.mark.parametrize(
    "max_ratio, error",
    [(0, ValueError), (-1.0, ValueError), (float("inf"), ValueError), (True, TypeError),
     ("1", TypeError)],
)
def test_mode_seeking_rejects_a_bad_bound(max_ratio, error):
    with pytest.raises(error, match="max_ratio must be a positive number"):
        regularizers.ModeSeeking(max_ratio=max_ratio)


def test_latent_regression_needs_an_image_encoder():
    gan = compile_gan(make_gan(linear_discriminator()))
    batch = gan.prepare_batch(images())
    gan.generate_fakes(batch)
    with pytest.raises(ValueError, match="image_encoder"):
        regularizers.LatentRegression()(gan, batch)


ALL_REGULARIZERS = [
    regularizers.R1Penalty(2.0),
    regularizers.R1Penalty(2.0, interval=1, name="r1_lazy"),
    regularizers.GradientPenalty(2.0),
    regularizers.DRAGAN(2.0),
    regularizers.FeatureMatching(2.0),
    regularizers.ModeSeeking(2.0),
    regularizers.ModeSeeking(2.0, max_ratio=1e3, name="mode_seeking_bounded"),
    regularizers.Drift(2.0),
]


@pytest.mark.parametrize("regularizer", ALL_REGULARIZERS, ids=lambda r: r.name)
def test_each_regularizer_changes_only_its_phase_loss(regularizer):
    gan = compile_gan(make_gan(named_feature_discriminator()), regularizers=[regularizer])
    batch = gan.prepare_batch(images(8))
    for phase in gan.phases():
        total, logs = gan._phase_loss(phase, batch)
        adversarial = logs["d_loss" if phase.name == "discriminator" else "g_loss"]
        if phase.name == regularizer.phase:
            assert float(logs[regularizer.name]) != 0.0
            np.testing.assert_allclose(
                float(total), float(adversarial) + 2.0 * float(logs[regularizer.name]), rtol=1e-5
            )
        else:
            assert regularizer.name not in logs
            assert float(total) == float(adversarial)


@pytest.mark.parametrize("regularizer", ALL_REGULARIZERS, ids=lambda r: r.name)
def test_each_regularizer_trains_logs_and_round_trips(regularizer, tmp_path):
    gan = compile_gan(make_gan(named_feature_discriminator()), regularizers=[regularizer])
    history = gan.fit(images(16), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history[regularizer.name][0])
    # Nothing a regularizer builds becomes a layer of the model.
    assert gan.layers == [gan.generator, gan.discriminator]
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    restored = loaded.regularizers[0]
    assert type(restored) is type(regularizer)
    assert restored.get_config() == regularizer.get_config()


class LogitCentring(regularizers.Regularizer):
    """The base class's docstring example: a user-defined discriminator term."""

    default_name = "logit_centring"

    def __call__(self, model, batch):
        logits = model.adversarial_loss.logits(model.discriminate(batch["images"], batch))
        return keras.ops.square(keras.ops.mean(logits))


def test_a_user_defined_regularizer_enters_its_phase_and_is_logged():
    gan = compile_gan(make_gan(linear_discriminator()), regularizers=[LogitCentring(3.0)])
    x = images(8)
    batch = gan.prepare_batch(x)
    total, logs = gan._phase_loss(gan.phases()[0], batch)
    expected = np.mean(np.asarray(gan.discriminator(x))) ** 2
    np.testing.assert_allclose(float(logs["logit_centring"]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(total), float(logs["d_loss"]) + 3.0 * expected, rtol=1e-5)
    _, g_logs = gan._phase_loss(gan.phases()[1], batch)
    assert "logit_centring" not in g_logs
    history = gan.fit(images(16), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["logit_centring"][0])


@pytest.mark.parametrize("weight, error", [
    (-1.0, ValueError), (float("nan"), ValueError), ("a", TypeError), (True, TypeError),
])
def test_regularizer_weights_must_be_finite_numbers_at_least_zero(weight, error):
    with pytest.raises(error, match="weight must be a number >= 0"):
        regularizers.GradientPenalty(weight)
    assert LogitCentring(0).weight == 0.0  # 0 turns a term off


def test_mode_seeking_eps_must_be_positive():
    with pytest.raises(ValueError, match="eps must be a positive number; got 0"):
        regularizers.ModeSeeking(eps=0)


# ---------------------------------------------------------------------------- #
# Matching-aware gradient penalty (DF-GAN).
# ---------------------------------------------------------------------------- #
TEXT_DIM = 4


def text_gan(discriminator):
    """A TextToImageGAN on 4x4x1 images with a 4-d sentence feature."""
    import keras_mmgan as mm

    text_encoder = mm.networks.text_encoder(20, sequence_length=5, output_dim=TEXT_DIM,
                                            return_words=False)
    inputs = keras.Input((LATENT_DIM + TEXT_DIM,))
    x = keras.layers.Dense(16, activation="tanh")(inputs)
    generator = keras.Model(inputs, keras.layers.Reshape(IMAGE_SHAPE)(x))
    return models.TextToImageGAN(generator, discriminator, text_encoder, LATENT_DIM, seed=1)


def linear_text_discriminator():
    """D(x, e) = w_x . flatten(x) + w_e . e + b, logits."""
    images_in = keras.Input(IMAGE_SHAPE)
    sentence = keras.Input((TEXT_DIM,))
    x = keras.layers.Concatenate()([keras.layers.Flatten()(images_in), sentence])
    return keras.Model([images_in, sentence], keras.layers.Dense(1)(x))


def text_batch(gan, n=6):
    tokens = np.random.default_rng(2).integers(1, 20, (n, 5)).astype("int32")
    tokens[:, 3:] = 0
    return gan.prepare_batch((images(n), tokens))


@pytest.mark.parametrize("power", [6.0, 2.0])
def test_ma_gp_of_a_linear_discriminator_is_the_joint_weight_norm_to_the_power(power):
    gan = compile_gan(text_gan(linear_text_discriminator()))
    assert gan.discriminator_reads_features
    dense = gan.discriminator.layers[-1]
    w = np.random.default_rng(1).normal(size=dense.kernel.shape).astype("float32") * 0.5
    dense.set_weights([w, np.array([0.3], "float32")])
    penalty = regularizers.MatchingAwareGradientPenalty(2.0, power=power)
    value = float(penalty(gan, text_batch(gan)))
    # grad_x D = w_x and grad_e D = w_e for every sample: ||(w_x, w_e)||^p.
    norm = np.sqrt(np.sum(w.astype("float64") ** 2))
    np.testing.assert_allclose(value, norm**power, rtol=1e-5)
    # The text part counts: the image part alone is smaller.
    image_norm = np.sqrt(np.sum(w[: np.prod(IMAGE_SHAPE)].astype("float64") ** 2))
    assert value > image_norm**power * 1.0001
    assert penalty.get_config() == {"weight": 2.0, "name": "ma_gp", "power": power}


def test_ma_gp_with_a_token_discriminator_is_the_image_term():
    import keras_mmgan as mm

    discriminator = mm.build_discriminator(IMAGE_SHAPE, 20, sequence_length=5, hidden_units=3)
    gan = compile_gan(text_gan(discriminator))
    assert not gan.discriminator_reads_features
    batch = text_batch(gan)
    value = float(regularizers.MatchingAwareGradientPenalty(power=2.0)(gan, batch))
    # p = 2: the mean squared image-gradient norm, twice R1.
    r1 = float(R1Penalty()(gan, batch))
    np.testing.assert_allclose(value, 2.0 * r1, rtol=1e-5)


def test_ma_gp_trains_and_is_logged():
    gan = compile_gan(
        text_gan(linear_text_discriminator()),
        regularizers=[regularizers.MatchingAwareGradientPenalty()],
    )
    tokens = np.random.default_rng(2).integers(1, 20, (8, 5)).astype("int32")
    history = gan.fit(images(8), tokens, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["ma_gp"][-1]) and history.history["ma_gp"][-1] > 0


def test_ma_gp_trains_a_dcgan_discriminator_on_sentence_features():
    import keras_mmgan as mm

    discriminator = mm.networks.dcgan_discriminator((8, 8, 3), base_filters=4, text_dim=TEXT_DIM)
    text_encoder = mm.networks.text_encoder(20, sequence_length=5, output_dim=TEXT_DIM,
                                            return_words=False)
    generator = mm.build_generator(LATENT_DIM, TEXT_DIM, (8, 8, 3), fusion="film", base_filters=4)
    gan = models.TextToImageGAN(generator, discriminator, text_encoder, LATENT_DIM, seed=0)
    assert gan.discriminator_reads_features
    compile_gan(gan, regularizers=[regularizers.MatchingAwareGradientPenalty()])
    images8 = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 3)).astype("float32")
    tokens = np.random.default_rng(2).integers(1, 20, (8, 5)).astype("int32")
    encoder_weights = [np.array(w) for w in text_encoder.weights]
    gan.fit(images8, tokens, batch_size=4, epochs=1, verbose=0)
    # D's phase holds the text features constant; G's phase trains the encoder.
    assert any(not np.allclose(a, np.array(b)) for a, b in zip(encoder_weights, text_encoder.weights))
    assert np.isfinite(float(gan.loss_trackers["ma_gp"].result()))

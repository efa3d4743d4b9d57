import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import TAPE
from conftest import tensorflow_only

from keras_mmgan import losses

REAL = np.array([[2.0], [-1.0], [0.5], [3.0]], dtype="float32")
FAKE = np.array([[-2.5], [0.0], [1.5], [-0.25]], dtype="float32")


def softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype="float64"))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype="float64")))


def expected_minimax_d(real, fake):
    return softplus(-real).mean() + softplus(fake).mean()


def expected_minimax_g(fake):
    return -softplus(fake).mean()


def expected_non_saturating_g(fake):
    return softplus(-fake).mean()


def test_minimax_on_logits():
    loss = losses.Minimax()
    np.testing.assert_allclose(
        float(loss.discriminator_loss(REAL, FAKE)), expected_minimax_d(REAL, FAKE), rtol=1e-6
    )
    np.testing.assert_allclose(
        float(loss.generator_loss(FAKE)), expected_minimax_g(FAKE), rtol=1e-6
    )


def test_non_saturating_on_logits():
    loss = losses.NonSaturating()
    np.testing.assert_allclose(
        float(loss.discriminator_loss(REAL, FAKE)), expected_minimax_d(REAL, FAKE), rtol=1e-6
    )
    np.testing.assert_allclose(
        float(loss.generator_loss(FAKE)), expected_non_saturating_g(FAKE), rtol=1e-6
    )
    # At D(x) = 1/2 both D terms are log 2, and G's loss is log 2.
    np.testing.assert_allclose(float(loss.discriminator_loss([0.0], [0.0])), 2 * np.log(2), rtol=1e-6)
    np.testing.assert_allclose(float(loss.generator_loss([0.0])), np.log(2), rtol=1e-6)
    # Non-saturating: G's loss falls as D's logit on fakes rises.
    assert float(loss.generator_loss([3.0])) < float(loss.generator_loss([-3.0]))


@pytest.mark.parametrize("cls", [losses.Minimax, losses.NonSaturating])
def test_probabilities_give_the_same_values_as_logits(cls):
    on_logits = cls(from_logits=True)
    on_probabilities = cls(from_logits=False)
    real_p = sigmoid(REAL).astype("float32")
    fake_p = sigmoid(FAKE).astype("float32")
    np.testing.assert_allclose(
        float(on_probabilities.discriminator_loss(real_p, fake_p)),
        float(on_logits.discriminator_loss(REAL, FAKE)),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        float(on_probabilities.generator_loss(fake_p)),
        float(on_logits.generator_loss(FAKE)),
        atol=1e-5,
    )


@tensorflow_only(TAPE)
@pytest.mark.parametrize("cls", [losses.Minimax, losses.NonSaturating])
def test_probabilities_zero_and_one_give_finite_losses_and_gradients(cls):
    loss = cls(from_logits=False)
    real = tf.Variable([[0.0], [1.0], [0.5]])
    fake = tf.Variable([[1.0], [0.0], [0.5]])
    with tf.GradientTape(persistent=True) as tape:
        d_loss = loss.discriminator_loss(real, fake)
        g_loss = loss.generator_loss(fake)
    for value in (d_loss, g_loss):
        assert np.isfinite(float(value))
    for gradient in tape.gradient(d_loss, [real, fake]) + [tape.gradient(g_loss, fake)]:
        assert gradient is not None
        assert np.all(np.isfinite(gradient.numpy()))
    # The clipped values are large but bounded (-log 1e-7 ~ 16.1 per term).
    assert float(d_loss) < 2 * 17.0


@tensorflow_only("a tf.function")
def test_sigmoid_output_is_read_through_its_logits_in_a_tf_function():
    logits = tf.constant([[30.0], [-30.0], [0.5]])
    non_saturating = losses.NonSaturating(from_logits=False)
    minimax = losses.Minimax(from_logits=False)

    @tf.function
    def compute(x):
        probabilities = keras.activations.sigmoid(x)
        return (
            non_saturating.generator_loss(probabilities),
            non_saturating.discriminator_loss(probabilities, probabilities),
            minimax.generator_loss(probabilities),
        )

    g_loss, d_loss, minimax_g = (float(v) for v in compute(logits))
    l = logits.numpy()
    np.testing.assert_allclose(g_loss, expected_non_saturating_g(l), rtol=1e-6)
    np.testing.assert_allclose(d_loss, expected_minimax_d(l, l), rtol=1e-6)
    np.testing.assert_allclose(minimax_g, expected_minimax_g(l), rtol=1e-6)
    # A clipped probability would cap softplus(30) at about -log(1e-7) = 16.1:
    # (16.1 + ~0 + softplus(-0.5)) / 3 = 5.6, far from the exact 10.16.
    assert g_loss > 10.0


@tensorflow_only(TAPE)
def test_sigmoid_output_of_a_keras_model_is_read_exactly():
    inputs = keras.Input((1,))
    outputs = keras.layers.Dense(1, activation="sigmoid")(inputs)
    model = keras.Model(inputs, outputs)
    model.set_weights([np.array([[100.0]], "float32"), np.array([0.0], "float32")])
    loss = losses.NonSaturating(from_logits=False)

    @tf.function
    def compute(x):
        return loss.generator_loss(model(x))

    # logits -30 for x = -0.3: softplus(30) = 30 exactly, not the clipped 16.1.
    np.testing.assert_allclose(float(compute(tf.constant([[-0.3]]))), 30.0, rtol=1e-5)


def test_patch_outputs_are_averaged_over_all_elements():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(3, 4, 4, 1)).astype("float32")
    fake = rng.normal(size=(3, 4, 4, 1)).astype("float32")
    minimax, non_saturating = losses.Minimax(), losses.NonSaturating()
    d_loss = float(minimax.discriminator_loss(real, fake))
    assert np.ndim(minimax.discriminator_loss(real, fake)) == 0
    np.testing.assert_allclose(d_loss, expected_minimax_d(real, fake), rtol=1e-6)
    np.testing.assert_allclose(
        float(minimax.generator_loss(fake)), expected_minimax_g(fake), rtol=1e-6
    )
    np.testing.assert_allclose(
        float(non_saturating.generator_loss(fake)), expected_non_saturating_g(fake), rtol=1e-6
    )
    # Not a per-sample sum: the flattened outputs give the same mean.
    np.testing.assert_allclose(
        d_loss,
        float(minimax.discriminator_loss(real.reshape(-1, 1), fake.reshape(-1, 1))),
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    "name, cls",
    [
        ("minimax", losses.Minimax),
        ("Minimax", losses.Minimax),
        ("non_saturating", losses.NonSaturating),
        ("Non-Saturating", losses.NonSaturating),
        ("NON-SATURATING", losses.NonSaturating),
    ],
)
def test_get_by_name(name, cls):
    loss = losses.get(name)
    assert type(loss) is cls
    assert loss.from_logits is True
    assert losses.get(name, from_logits=False).from_logits is False


def test_get_returns_objects_unchanged():
    loss = losses.NonSaturating(from_logits=False)
    assert losses.get(loss) is loss


def test_get_dict_is_a_weighted_hybrid():
    hybrid = losses.get({"minimax": 1.0, "Non-Saturating": 0.5})
    assert isinstance(hybrid, losses.Hybrid)
    np.testing.assert_allclose(
        float(hybrid.discriminator_loss(REAL, FAKE)),
        1.5 * expected_minimax_d(REAL, FAKE),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        float(hybrid.generator_loss(FAKE)),
        1.0 * expected_minimax_g(FAKE) + 0.5 * expected_non_saturating_g(FAKE),
        rtol=1e-6,
    )
    weighted = losses.get({"non_saturating": 2.0})
    np.testing.assert_allclose(
        float(weighted.generator_loss(FAKE)), 2.0 * expected_non_saturating_g(FAKE), rtol=1e-6
    )


def test_get_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="wasserstein-ish") as info:
        losses.get("wasserstein-ish")
    for name in losses.names():
        assert name in str(info.value)
    assert {"minimax", "non_saturating"} <= set(losses.names())


@pytest.mark.parametrize("identifier", [3, None, ["minimax"], losses.Minimax])
def test_get_wrong_type(identifier):
    with pytest.raises(TypeError, match="loss"):
        losses.get(identifier)


def test_hybrid_needs_a_non_empty_dict():
    with pytest.raises(ValueError, match="losses"):
        losses.Hybrid({})


def test_serialization_round_trip_non_saturating():
    loss = losses.NonSaturating(from_logits=False)
    config = keras.saving.serialize_keras_object(loss)
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is losses.NonSaturating
    assert restored.from_logits is False
    probabilities = sigmoid(FAKE).astype("float32")
    np.testing.assert_allclose(
        float(restored.generator_loss(probabilities)),
        float(loss.generator_loss(probabilities)),
        rtol=1e-6,
    )


def test_hybrid_of_loss_objects_round_trips():
    loss = losses.Hybrid({losses.NonSaturating(): 1.0, "minimax": 0.5})
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert [(type(l), w) for l, w in restored.losses] == [
        (losses.NonSaturating, 1.0),
        (losses.Minimax, 0.5),
    ]


def test_serialization_round_trip_hybrid():
    loss = losses.Hybrid({"minimax": 0.25, "non_saturating": 2.0})
    config = keras.saving.serialize_keras_object(loss)
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is losses.Hybrid
    assert restored.get_config() == loss.get_config()
    assert [(loss.name, w) for loss, w in restored.losses] == [
        ("minimax", 0.25),
        ("non_saturating", 2.0),
    ]
    for method, args in (("discriminator_loss", (REAL, FAKE)), ("generator_loss", (FAKE,))):
        np.testing.assert_allclose(
            float(getattr(restored, method)(*args)),
            float(getattr(loss, method)(*args)),
            rtol=1e-6,
        )


def expected(name, real, fake):
    """(d_loss, g_loss) of each loss from its paper's equation, in float64 NumPy."""
    real, fake = real.astype("float64"), fake.astype("float64")
    if name == "lsgan":
        return 0.5 * (((real - 1) ** 2).mean() + (fake**2).mean()), 0.5 * ((fake - 1) ** 2).mean()
    if name == "wgan":
        return fake.mean() - real.mean(), -fake.mean()
    if name == "hinge":
        d = np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean()
        return d, -fake.mean()
    if name == "relativistic":
        real_rel, fake_rel = real - fake.mean(), fake - real.mean()
        d = softplus(-real_rel).mean() + softplus(fake_rel).mean()
        return d, softplus(real_rel).mean() + softplus(-fake_rel).mean()
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["lsgan", "wgan", "hinge", "relativistic"])
def test_loss_values_on_known_logits(name):
    loss = losses.get(name)
    d_expected, g_expected = expected(name, REAL, FAKE)
    np.testing.assert_allclose(float(loss.discriminator_loss(REAL, FAKE)), d_expected, rtol=1e-6)
    np.testing.assert_allclose(float(loss.generator_loss(FAKE, REAL)), g_expected, rtol=1e-6)


def test_hand_computed_values():
    # LSGAN: D perfect at (1, 0); G's loss (0 - 1)^2 / 2.
    assert float(losses.LSGAN().discriminator_loss([1.0], [0.0])) == 0.0
    assert float(losses.LSGAN().generator_loss([0.0])) == 0.5
    # Hinge: margins met give 0, D = 0 everywhere gives 1 + 1.
    assert float(losses.Hinge().discriminator_loss([1.5], [-2.0])) == 0.0
    assert float(losses.Hinge().discriminator_loss([0.0], [0.0])) == 2.0
    # WGAN critic: E D(fake) - E D(real).
    assert float(losses.WGAN().discriminator_loss([2.0, 4.0], [1.0])) == -2.0
    # Relativistic: equal outputs are log 2 per term.
    np.testing.assert_allclose(
        float(losses.Relativistic().discriminator_loss([0.3], [0.3])), 2 * np.log(2), rtol=1e-6
    )


def test_lsgan_on_probabilities_uses_them_directly():
    loss = losses.get("lsgan", from_logits=False)
    np.testing.assert_allclose(
        float(loss.discriminator_loss([0.9], [0.2])), 0.5 * (0.01 + 0.04), rtol=1e-6
    )


def test_relativistic_reads_probabilities_through_logits():
    on_logits = losses.Relativistic()
    on_probabilities = losses.Relativistic(from_logits=False)
    real_p, fake_p = sigmoid(REAL).astype("float32"), sigmoid(FAKE).astype("float32")
    np.testing.assert_allclose(
        float(on_probabilities.generator_loss(fake_p, real_p)),
        float(on_logits.generator_loss(FAKE, REAL)),
        atol=1e-5,
    )


@pytest.mark.parametrize("name", ["wgan", "hinge"])
def test_score_losses_refuse_probabilities(name):
    with pytest.raises(ValueError, match="sigmoid"):
        losses.get(name, from_logits=False)


def test_relativistic_generator_loss_needs_real_outputs():
    loss = losses.get("relativistic")
    assert loss.needs_real_output
    with pytest.raises(ValueError, match="real_output"):
        loss.generator_loss(FAKE)


def test_all_names_are_listed():
    assert losses.names() == sorted(
        ["minimax", "non_saturating", "lsgan", "wgan", "hinge", "relativistic"]
    )


def test_hybrid_of_lsgan_and_hinge_as_in_the_issue():
    hybrid = losses.get({"lsgan": 1.0, "hinge": 0.5})
    lsgan_d, lsgan_g = expected("lsgan", REAL, FAKE)
    hinge_d, hinge_g = expected("hinge", REAL, FAKE)
    np.testing.assert_allclose(
        float(hybrid.discriminator_loss(REAL, FAKE)), lsgan_d + 0.5 * hinge_d, rtol=1e-6
    )
    np.testing.assert_allclose(
        float(hybrid.generator_loss(FAKE)), lsgan_g + 0.5 * hinge_g, rtol=1e-6
    )
    assert not hybrid.needs_real_output
    assert losses.get({"hinge": 1.0, "relativistic": 1.0}).needs_real_output


@pytest.mark.parametrize("name", ["lsgan", "wgan", "hinge", "relativistic"])
def test_new_losses_round_trip(name):
    loss = losses.get(name)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(restored) is type(loss)
    np.testing.assert_allclose(
        float(restored.discriminator_loss(REAL, FAKE)), float(loss.discriminator_loss(REAL, FAKE))
    )


def test_mean_absolute_difference_casts_each_operand_to_float32():
    a = keras.ops.convert_to_tensor([[0.5, -1.0]], dtype="float16")
    b = np.array([[0.25, 1.0]], dtype="float32")
    value = losses.mean_absolute_difference(a, b)
    assert value.dtype == "float32"
    np.testing.assert_allclose(float(value), (0.25 + 2.0) / 2)


class Softplus(losses.AdversarialLoss):
    """The base class's docstring example: the non-saturating loss written by a user."""

    def discriminator_loss(self, real_output, fake_output):
        real, fake = self.logits(real_output), self.logits(fake_output)
        return keras.ops.mean(keras.ops.softplus(-real)) + keras.ops.mean(keras.ops.softplus(fake))

    def generator_loss(self, fake_output, real_output=None):
        return keras.ops.mean(keras.ops.softplus(-self.logits(fake_output)))


def test_a_user_defined_loss_equals_the_shipped_one_and_trains():
    from keras_mmgan import models

    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(2, 6, 1)).astype("float32")
    shipped = losses.NonSaturating()
    np.testing.assert_allclose(
        float(Softplus().discriminator_loss(real, fake)),
        float(shipped.discriminator_loss(real, fake)), rtol=1e-6,
    )
    np.testing.assert_allclose(
        float(Softplus().generator_loss(fake)), float(shipped.generator_loss(fake)), rtol=1e-6
    )
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    gan = models.GAN(generator, discriminator, latent_dim=2, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3),
                loss=Softplus())
    assert gan.adversarial_loss.__class__ is Softplus
    history = gan.fit(rng.normal(size=(32, 2)).astype("float32"), batch_size=8, epochs=1,
                      verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])


def test_hybrid_weights_must_be_finite_numbers_at_least_zero():
    with pytest.raises(ValueError, match="the weight of 'hinge' must be a number >= 0; got -0.5"):
        losses.get({"lsgan": 1.0, "hinge": -0.5})
    with pytest.raises(TypeError, match="the weight of 'lsgan' must be a number >= 0"):
        losses.get({"lsgan": "1"})

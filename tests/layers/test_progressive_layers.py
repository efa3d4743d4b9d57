"""Tests of the progressive-growing layers: FadeIn, PixelNormalization, equalized layers."""

import math

import keras
import numpy as np
import pytest

from keras_mmgan import backend
from keras_mmgan.layers import EqualizedConv2D
from keras_mmgan.layers import EqualizedDense
from keras_mmgan.layers import FadeIn
from keras_mmgan.layers import PixelNormalization


def random(shape, seed=0, scale=1.0):
    return (scale * np.random.default_rng(seed).normal(size=shape)).astype("float32")


def round_trip(layer):
    """The layer rebuilt from its config (through Keras's registry)."""
    return keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))


# --------------------------------------------------------------------------- #
# FadeIn.
# --------------------------------------------------------------------------- #
def test_fade_in_is_the_old_path_at_0_and_the_new_path_at_1():
    old, new = random((2, 4, 4, 3), 0), random((2, 4, 4, 3), 1)
    layer = FadeIn()
    np.testing.assert_array_equal(np.asarray(layer([old, new], alpha=0.0)), old)
    np.testing.assert_array_equal(np.asarray(layer([old, new], alpha=1.0)), new)
    # A tensor (or variable) alpha gives the same, exactly at the ends.
    variable = keras.Variable(1.0, trainable=False)
    np.testing.assert_array_equal(np.asarray(layer([old, new], alpha=variable)), new)
    variable.assign(0.0)
    np.testing.assert_array_equal(np.asarray(layer([old, new], alpha=variable)), old)


def test_fade_in_interpolates_linearly():
    old, new = random((3, 5), 0), random((3, 5), 1)
    for alpha in (0.25, 0.5, 0.9):
        np.testing.assert_allclose(
            np.asarray(FadeIn()([old, new], alpha=alpha)),
            (1 - alpha) * old + alpha * new,
            rtol=1e-6,
            atol=1e-7,
        )


def test_fade_in_clips_a_tensor_alpha_and_refuses_a_number_outside_0_1():
    old, new = random((2, 3), 0), random((2, 3), 1)
    clipped = FadeIn()([old, new], alpha=keras.ops.convert_to_tensor(1.5))
    np.testing.assert_array_equal(np.asarray(clipped), new)
    with pytest.raises(ValueError, match="alpha"):
        FadeIn()([old, new], alpha=1.5)
    with pytest.raises(ValueError, match="same shape"):
        FadeIn()([old, random((2, 4))], alpha=0.5)


def test_fade_in_round_trips_its_config():
    assert isinstance(round_trip(FadeIn(name="fade")), FadeIn)


# --------------------------------------------------------------------------- #
# PixelNormalization.
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("shape", [(4, 8), (2, 5, 5, 16)])
def test_pixel_normalization_gives_unit_mean_square_per_pixel(shape):
    # Pixels of very different magnitudes all come out at unit mean square.
    x = random(shape) * np.exp(random(shape[:-1] + (1,), seed=1, scale=0.5))
    y = np.asarray(PixelNormalization()(x), dtype="float64")
    np.testing.assert_allclose(np.mean(y**2, axis=-1), 1.0, rtol=1e-5)
    # Each pixel only rescales its own vector: y = x / rms(x).
    rms = np.sqrt(np.mean(x.astype("float64") ** 2, axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(y, x / rms, rtol=1e-5, atol=1e-6)


def test_pixel_normalization_is_scale_invariant_and_safe_at_zero():
    x = random((3, 4, 4, 8))
    layer = PixelNormalization()
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(layer(100.0 * x)), rtol=1e-5)
    assert np.all(np.asarray(layer(np.zeros((1, 2, 2, 4), "float32"))) == 0.0)


def test_pixel_normalization_checks_and_round_trips_epsilon():
    with pytest.raises(ValueError, match="epsilon"):
        PixelNormalization(epsilon=0.0)
    assert round_trip(PixelNormalization(epsilon=1e-6)).epsilon == 1e-6


# --------------------------------------------------------------------------- #
# Equalized learning rate.
# --------------------------------------------------------------------------- #
def test_equalized_dense_draws_unit_normal_weights_and_scales_them_by_he():
    layer = EqualizedDense(256, gain=math.sqrt(2.0))
    x = random((8, 128))
    y = np.asarray(layer(x))
    kernel = np.asarray(layer.kernel)
    # The stored weights are N(0, 1), whatever the fan-in.
    assert abs(kernel.std() - 1.0) < 0.02 and abs(kernel.mean()) < 0.02
    np.testing.assert_array_equal(np.asarray(layer.bias), 0.0)
    # At run time they are multiplied by He's constant sqrt(2) / sqrt(fan_in).
    assert layer.scale == pytest.approx(math.sqrt(2.0) / math.sqrt(128))
    np.testing.assert_allclose(y, x @ (kernel * layer.scale), rtol=1e-4, atol=1e-5)
    # So the outputs have the scale of a He-initialized layer: var(y) ~ gain^2 var(x).
    assert 1.6 < float(np.var(layer(random((512, 128), 3)))) < 2.4


def test_equalized_conv_matches_a_keras_conv_with_the_scaled_kernel():
    layer = EqualizedConv2D(6, 3, gain=1.0, activation="relu")
    x = random((2, 7, 7, 4))
    layer.build(x.shape)
    layer.bias.assign(random((6,), 5))
    y = np.asarray(layer(x))
    assert layer.scale == pytest.approx(1.0 / math.sqrt(3 * 3 * 4))
    reference = keras.layers.Conv2D(6, 3, padding="same", activation="relu")
    reference.build(x.shape)
    reference.set_weights([np.asarray(layer.kernel) * layer.scale, np.asarray(layer.bias)])
    np.testing.assert_allclose(y, np.asarray(reference(x)), rtol=1e-4, atol=1e-5)


def test_equalized_gradients_are_scaled_by_he():
    # d out / d w = c * x: every raw weight gets a gradient of the same scale across layers.
    layer = EqualizedDense(1, gain=1.0, use_bias=False)
    x = random((1, 64))
    layer.build(x.shape)

    def out(kernel):
        with keras.StatelessScope([(layer.kernel, kernel)]):
            return layer(x)

    gradient = backend.input_gradients(out, layer.kernel.value)
    np.testing.assert_allclose(np.asarray(gradient)[:, 0], x[0] / 8.0, rtol=1e-5)


@pytest.mark.parametrize(
    "layer",
    [
        EqualizedDense(4, gain=0.5, use_bias=False, activation="relu"),
        EqualizedConv2D(3, 1, gain=1.0, padding="valid"),
    ],
    ids=["dense", "conv"],
)
def test_equalized_layers_round_trip_config_and_weights(layer, tmp_path):
    shape = (2, 5) if isinstance(layer, EqualizedDense) else (2, 4, 4, 2)
    inputs = keras.Input(shape[1:])
    model = keras.Model(inputs, layer(inputs))
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    restored = loaded.layers[-1]
    assert type(restored) is type(layer)
    assert restored.get_config() == layer.get_config()
    x = random(shape)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: EqualizedDense(0), "units"),
        (lambda: EqualizedConv2D(4, 0), "kernel_size"),
        (lambda: EqualizedConv2D(4, 3, padding="causal"), "padding"),
        (lambda: EqualizedDense(4, gain=0.0), "gain"),
        (lambda: EqualizedDense(4, gain=float("inf")), "gain"),
    ],
)
def test_equalized_layers_name_bad_arguments(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: EqualizedDense(4.0), "units"),
        (lambda: EqualizedConv2D("4", 3), "filters"),
        (lambda: EqualizedDense(4, gain="2"), "gain"),
    ],
)
def test_equalized_layers_name_wrong_types(make, name):
    with pytest.raises(TypeError, match=name):
        make()

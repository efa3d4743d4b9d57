"""Tests of ReflectionPadding2D against numpy.pad(mode="reflect")."""

import os

import keras
import numpy as np
import pytest

from keras_mmgan.layers import ReflectionPadding2D


def random(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize(
    "padding, expected_pad", [(1, (1, 1)), (3, (3, 3)), ((2, 1), (2, 1)), ([0, 2], (0, 2))]
)
def test_matches_numpy_reflect(padding, expected_pad):
    x = random((2, 5, 6, 3))
    layer = ReflectionPadding2D(padding, data_format="channels_last")
    outputs = np.asarray(layer(x))
    pad_h, pad_w = expected_pad
    expected = np.pad(x, [(0, 0), (pad_h, pad_h), (pad_w, pad_w), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(outputs, expected)
    assert layer.compute_output_shape(x.shape) == outputs.shape
    assert layer.compute_output_shape((None, None, 6, 3)) == (None, None, 6 + 2 * pad_w, 3)


def test_channels_first():
    x = random((2, 3, 5, 4))
    outputs = np.asarray(ReflectionPadding2D((1, 2), data_format="channels_first")(x))
    expected = np.pad(x, [(0, 0), (0, 0), (1, 1), (2, 2)], mode="reflect")
    np.testing.assert_array_equal(outputs, expected)


def test_config_round_trip():
    layer = ReflectionPadding2D((2, 3), data_format="channels_last", name="pad")
    config = layer.get_config()
    assert config["padding"] == (2, 3) and config["data_format"] == "channels_last"
    clone = ReflectionPadding2D.from_config(config)
    assert clone.padding == (2, 3) and clone.name == "pad"
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, ReflectionPadding2D) and restored.padding == (2, 3)


def test_saved_in_a_model(tmp_path):
    inputs = keras.Input((4, 4, 1))
    model = keras.Model(inputs, ReflectionPadding2D((1, 2), data_format="channels_last")(inputs))
    path = os.path.join(tmp_path, "pad.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe_mode, no custom_objects
    x = random((1, 4, 4, 1))
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))
    assert loaded.output_shape == (None, 6, 8, 1)


@pytest.mark.parametrize("padding", [-1, (1, -1)])
def test_negative_padding(padding):
    with pytest.raises(ValueError, match="padding"):
        ReflectionPadding2D(padding)


@pytest.mark.parametrize("padding", [1.5, "1", (1, 2, 3), (1.0, 1), True])
def test_bad_padding_type(padding):
    with pytest.raises(TypeError, match="padding"):
        ReflectionPadding2D(padding)


def test_padding_must_be_smaller_than_the_image():
    with pytest.raises(ValueError, match="padding must be smaller than the image height"):
        ReflectionPadding2D(3, data_format="channels_last")(random((1, 3, 8, 1)))


def test_bad_data_format():
    with pytest.raises(ValueError, match="data_format"):
        ReflectionPadding2D(1, data_format="channels_middle")

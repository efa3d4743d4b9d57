"""Tests of the minibatch standard deviation layer against a NumPy reference."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_mmgan.layers import MinibatchStdDev


def reference(x, group_size=4, num_features=1):
    """Loops over samples: sample n is in the group {m, m + M, m + 2M, ...}, m = n mod M."""
    x = np.asarray(x, dtype="float64")
    batch_size, features = x.shape[0], x.shape[-1]
    group = max(g for g in range(1, group_size + 1) if batch_size % g == 0)
    num_groups = batch_size // group
    statistics = []
    for n in range(batch_size):
        members = x[n % num_groups :: num_groups]
        assert len(members) == group
        std = np.sqrt(members.var(axis=0) + 1e-8)  # (..., F)
        slices = std.reshape(*std.shape[:-1], num_features, features // num_features)
        per_slice = slices.mean(axis=tuple(range(slices.ndim - 2)) + (slices.ndim - 1,))
        statistics.append(np.broadcast_to(per_slice, (*x.shape[1:-1], num_features)))
    return np.concatenate([x, np.stack(statistics)], axis=-1)


def random(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize(
    "shape, group_size, num_features",
    [
        ((8, 5), 4, 1),
        ((8, 6), 4, 2),
        ((6, 3), 4, 1),  # falls back to groups of 3
        ((7, 3), 4, 1),  # prime batch: groups of 1
        ((3, 4), 4, 1),  # batch smaller than group_size: one group
        ((8, 4, 4, 3), 4, 1),
        ((4, 3, 5, 4), 2, 2),
        ((6, 2, 2, 2), 4, 1),
    ],
)
def test_matches_numpy_reference(shape, group_size, num_features):
    x = random(shape)
    layer = MinibatchStdDev(group_size=group_size, num_features=num_features)
    outputs = np.asarray(layer(x))
    expected = reference(x, group_size, num_features)
    assert outputs.shape == (*shape[:-1], shape[-1] + num_features)
    assert layer.compute_output_shape(shape) == outputs.shape
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)


def test_identical_samples_give_epsilon_std():
    x = np.tile(random((1, 4, 4, 2)), (8, 1, 1, 1))
    outputs = np.asarray(MinibatchStdDev()(x))
    np.testing.assert_array_equal(outputs[..., :2], x)
    np.testing.assert_allclose(outputs[..., 2], np.sqrt(1e-8), rtol=1e-3)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="a tf.function with an unknown batch size"
)
def test_symbolic_batch_size_in_traced_function():
    layer = MinibatchStdDev(group_size=4)
    traced = tf.function(layer, input_signature=[tf.TensorSpec((None, 3), "float32")])
    for batch_size in (8, 6, 7, 2):
        x = random((batch_size, 3), seed=batch_size)
        np.testing.assert_allclose(np.asarray(traced(x)), reference(x), rtol=1e-5, atol=1e-6)


def test_output_shape_is_symbolic_friendly():
    layer = MinibatchStdDev(num_features=2)
    assert layer.compute_output_shape((None, 8, 8, 4)) == (None, 8, 8, 6)
    assert layer.compute_output_shape((None, 10)) == (None, 12)


def test_saved_and_reloaded_in_a_model(tmp_path):
    inputs = keras.Input((4, 4, 2))
    x = MinibatchStdDev(group_size=2, num_features=2, name="minibatch_std")(inputs)
    model = keras.Model(inputs, keras.layers.Flatten()(x))
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    layer = loaded.get_layer("minibatch_std")
    assert isinstance(layer, MinibatchStdDev)
    assert (layer.group_size, layer.num_features) == (2, 2)
    x = random((4, 4, 4, 2))
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)


def test_config_round_trip():
    layer = MinibatchStdDev(group_size=8, num_features=3, name="stats")
    config = layer.get_config()
    assert config["group_size"] == 8 and config["num_features"] == 3
    clone = MinibatchStdDev.from_config(config)
    assert (clone.group_size, clone.num_features, clone.name) == (8, 3, "stats")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"group_size": 0}, ValueError, "group_size"),
        ({"group_size": 2.5}, TypeError, "group_size"),
        ({"num_features": -1}, ValueError, "num_features"),
        ({"num_features": True}, TypeError, "num_features"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        MinibatchStdDev(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="rank 2"):
        MinibatchStdDev()(random((4, 3, 2)))
    with pytest.raises(ValueError, match="num_features"):
        MinibatchStdDev(num_features=2)(random((4, 3)))

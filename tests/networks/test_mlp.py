"""Tests of the MLP generator and discriminator of the 2D mixture benchmarks."""

import keras
import numpy as np
import pytest

from keras_mmgan.layers import MinibatchStdDev
from keras_mmgan.networks import mlp_discriminator
from keras_mmgan.networks import mlp_generator


def dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def test_generator_shapes_and_layers():
    generator = mlp_generator(latent_dim=3, output_dim=2, units=16, num_layers=4)
    assert generator.name == "generator"
    assert generator.input_shape == (None, 3) and generator.output_shape == (None, 2)
    dense = dense_layers(generator)
    assert [layer.units for layer in dense] == [16] * 4 + [2]
    assert all(layer.activation is keras.activations.relu for layer in dense[:-1])
    assert dense[-1].activation is keras.activations.linear
    latents = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    samples = np.asarray(generator(latents))
    assert samples.shape == (5, 2) and np.all(np.isfinite(samples))


def test_generator_defaults():
    generator = mlp_generator()
    assert generator.input_shape == (None, 2) and generator.output_shape == (None, 2)
    assert [layer.units for layer in dense_layers(generator)] == [400, 400, 400, 2]


def test_discriminator_shapes_and_layers():
    discriminator = mlp_discriminator(input_dim=2, units=8, num_layers=2)
    assert discriminator.name == "discriminator"
    assert discriminator.input_shape == (None, 2) and discriminator.output_shape == (None, 1)
    assert [layer.units for layer in dense_layers(discriminator)] == [8, 8, 1]
    leaky = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.LeakyReLU)]
    assert len(leaky) == 2 and all(layer.negative_slope == pytest.approx(0.2) for layer in leaky)
    assert dense_layers(discriminator)[-1].activation is keras.activations.linear
    assert not any(isinstance(layer, MinibatchStdDev) for layer in discriminator.layers)
    assert [layer.units for layer in dense_layers(mlp_discriminator())] == [200, 200, 200, 1]


@pytest.mark.parametrize("pack", [1, 2, 4])
def test_pack_multiplies_the_input_dim(pack):
    discriminator = mlp_discriminator(input_dim=3, units=8, pack=pack)
    assert discriminator.input_shape == (None, 3 * pack)
    packed = np.random.default_rng(0).normal(size=(6, 3 * pack)).astype("float32")
    assert np.asarray(discriminator(packed)).shape == (6, 1)


def test_minibatch_std_adds_the_layer_before_the_output():
    discriminator = mlp_discriminator(units=8, minibatch_std=True)
    stats = [layer for layer in discriminator.layers if isinstance(layer, MinibatchStdDev)]
    assert len(stats) == 1
    assert discriminator.layers[-2] is stats[0]
    assert dense_layers(discriminator)[-1].kernel.shape == (9, 1)
    samples = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    assert np.asarray(discriminator(samples)).shape == (8, 1)


def test_generator_feeds_a_packed_discriminator():
    generator = mlp_generator(units=8)
    discriminator = mlp_discriminator(units=8, pack=2, minibatch_std=True)
    latents = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    packed = keras.ops.reshape(generator(latents), (4, 4))
    assert discriminator(packed).shape == (4, 1)


@pytest.mark.parametrize(
    "builder, kwargs, error",
    [
        (mlp_generator, {"latent_dim": 0}, ValueError),
        (mlp_generator, {"output_dim": 2.0}, TypeError),
        (mlp_generator, {"units": -1}, ValueError),
        (mlp_generator, {"num_layers": 0}, ValueError),
        (mlp_discriminator, {"input_dim": 0}, ValueError),
        (mlp_discriminator, {"pack": 0}, ValueError),
        (mlp_discriminator, {"pack": 1.5}, TypeError),
        (mlp_discriminator, {"units": None}, TypeError),
        (mlp_discriminator, {"minibatch_std": "yes"}, TypeError),
    ],
)
def test_bad_arguments(builder, kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        builder(**kwargs)

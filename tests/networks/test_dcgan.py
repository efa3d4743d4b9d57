import keras
import numpy as np
import pytest

from keras_mmgan.networks import dcgan_discriminator
from keras_mmgan.networks import dcgan_generator

SHAPES = [((28, 28, 1), 2), ((32, 32, 3), 3), ((64, 64, 3), 4)]


@pytest.mark.parametrize("image_shape, num_upsamplings", SHAPES)
def test_generator_output_shape_and_range(image_shape, num_upsamplings):
    generator = dcgan_generator(
        16, image_shape, base_filters=8, num_upsamplings=num_upsamplings
    )
    assert generator.input_shape == (None, 16)
    assert generator.output_shape == (None, *image_shape)
    transposed = [l for l in generator.layers if isinstance(l, keras.layers.Conv2DTranspose)]
    assert len(transposed) == num_upsamplings
    # Large latents push the tanh into saturation; it must still stay in [-1, 1].
    latents = np.random.default_rng(0).normal(0, 50, (3, 16)).astype("float32")
    for training in (False, True):
        images = np.asarray(generator(latents, training=training))
        assert images.shape == (3, *image_shape)
        assert np.all(np.isfinite(images))
        assert images.min() >= -1.0 and images.max() <= 1.0
        assert images.std() > 0


@pytest.mark.parametrize("image_shape, num_downsamplings", SHAPES)
def test_discriminator_output_shape(image_shape, num_downsamplings):
    discriminator = dcgan_discriminator(
        image_shape, base_filters=8, num_downsamplings=num_downsamplings
    )
    assert discriminator.input_shape == (None, *image_shape)
    assert discriminator.output_shape == (None, 1)
    strided = [l for l in discriminator.layers if isinstance(l, keras.layers.Conv2D)]
    assert len(strided) == num_downsamplings
    images = np.random.default_rng(0).uniform(-1, 1, (2, *image_shape)).astype("float32")
    logits = np.asarray(discriminator(images))
    assert logits.shape == (2, 1) and np.all(np.isfinite(logits))


def test_generator_feeds_discriminator():
    generator = dcgan_generator(8, (16, 16, 3), base_filters=8)
    discriminator = dcgan_discriminator((16, 16, 3), base_filters=8)
    latents = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    assert discriminator(generator(latents)).shape == (4, 1)


def test_text_conditioned_discriminator_reads_the_tokens():
    discriminator = dcgan_discriminator(
        (16, 16, 3), base_filters=8, vocab_size=30, sequence_length=6, embedding_dim=16
    )
    images_input, tokens_input = discriminator.inputs
    assert tuple(images_input.shape) == (None, 16, 16, 3)
    assert tuple(tokens_input.shape) == (None, 6)
    assert discriminator.output_shape == (None, 1)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    tokens = rng.integers(1, 30, (4, 6)).astype("int32")
    other_tokens = (tokens + 6) % 29 + 1  # other non-zero (non-padding) ids
    logits = np.asarray(discriminator([images, tokens]))
    assert logits.shape == (4, 1)
    np.testing.assert_array_equal(logits, np.asarray(discriminator([images, tokens])))
    changed = np.asarray(discriminator([images, other_tokens]))
    # Only the tokens changed; every sample's logit moves.
    assert np.all(np.abs(changed - logits) > 1e-6)


@pytest.mark.parametrize(
    "image_shape", [(28, 28), (30, 30, 1), (28, 30, 1), [28, 28, 1, 1], "28x28"]
)
def test_bad_image_shape(image_shape):
    with pytest.raises(ValueError, match="image_shape"):
        dcgan_generator(8, image_shape, num_upsamplings=2)
    with pytest.raises(ValueError, match="image_shape"):
        dcgan_discriminator(image_shape, num_downsamplings=2)


def test_image_shape_must_divide_by_the_number_of_upsamplings():
    dcgan_generator(8, (28, 28, 1), base_filters=8, num_upsamplings=2)
    with pytest.raises(ValueError, match="divisible by 8"):
        dcgan_generator(8, (28, 28, 1), base_filters=8, num_upsamplings=3)


def test_minibatch_std_adds_one_channel_before_the_last_convolution():
    from keras_mmgan.layers import MinibatchStdDev

    model = dcgan_discriminator((28, 28, 3), base_filters=8, minibatch_std=True)
    layer = next(layer for layer in model.layers if isinstance(layer, MinibatchStdDev))
    assert layer.output.shape[-1] == layer.input.shape[-1] + 1
    assert model(np.zeros((4, 28, 28, 3), "float32")).shape == (4, 1)


@pytest.mark.parametrize("kwargs, message", [
    ({"latent_dim": 0}, "latent_dim must be a positive int; got 0"),
    ({"base_filters": 0}, "base_filters must be a positive int; got 0"),
    ({"num_upsamplings": 0}, "num_upsamplings must be a positive int; got 0"),
    ({"num_classes": 0}, "num_classes must be a positive int; got 0"),
])
def test_generator_names_a_bad_size(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dcgan_generator(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"base_filters": -1}, "base_filters must be a positive int; got -1"),
    ({"num_downsamplings": 0}, "num_downsamplings must be a positive int; got 0"),
    ({"vocab_size": 0}, "vocab_size must be a positive int; got 0"),
])
def test_discriminator_names_a_bad_size(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dcgan_discriminator(**kwargs)

import math

import numpy as np
import pytest
from keras import layers

import keras_mmgan as mm


def activation_name(layer):
    return getattr(layer, "activation").__name__


def body(model):
    """The model's layers other than its inputs, in order."""
    return [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]


def assert_dense(layer, units, activation):
    assert isinstance(layer, layers.Dense)
    assert layer.units == units
    assert activation_name(layer) == activation


def test_build_encoder_is_the_guides_encoder():
    encoder = mm.build_encoder((28, 28, 1), latent_dim=32)
    flatten, hidden_1, hidden_2, output = body(encoder)
    assert isinstance(flatten, layers.Flatten)
    assert_dense(hidden_1, 128, "relu")
    assert_dense(hidden_2, 64, "relu")
    assert_dense(output, 32, "linear")
    assert encoder.input_shape == (None, 28, 28, 1)
    assert encoder.output_shape == (None, 32)
    # A chain: each layer reads the one before it.
    assert flatten.input is encoder.inputs[0]
    for before, after in zip(body(encoder), body(encoder)[1:]):
        assert after.input is before.output
    assert mm.build_encoder((8, 8, 3)).output_shape == (None, 32)  # the default
    assert mm.build_encoder((8, 8, 3), latent_dim=5).output_shape == (None, 5)


def test_build_text_encoder_is_the_guides_text_encoder():
    encoder = mm.build_text_encoder(1000, sequence_length=10, embedding_dim=128)
    embedding, conv, pooling = body(encoder)
    assert isinstance(embedding, layers.Embedding)
    assert (embedding.input_dim, embedding.output_dim) == (1000, 128)
    assert isinstance(conv, layers.Conv1D)
    assert conv.filters == 128 and tuple(conv.kernel_size) == (5,)
    assert activation_name(conv) == "relu"
    assert isinstance(pooling, layers.GlobalAveragePooling1D)
    assert encoder.input_shape == (None, 10)
    assert encoder.output_shape == (None, 128)
    assert conv.input is embedding.output and pooling.input is conv.output
    tokens = np.random.default_rng(0).integers(0, 1000, (3, 10))
    assert tuple(encoder(tokens).shape) == (3, 128)
    # Defaults are the guide's: sequence_length 10, embedding 128.
    default = mm.build_text_encoder(50)
    assert default.input_shape == (None, 10) and default.output_shape == (None, 128)


def test_build_generator_is_the_guides_generator():
    generator = mm.build_generator(32, 128, image_shape=(28, 28, 1))
    hidden, output, reshape = body(generator)
    assert generator.input_shape == (None, 32 + 128)
    assert_dense(hidden, 128, "relu")
    assert_dense(output, math.prod((28, 28, 1)), "tanh")
    assert isinstance(reshape, layers.Reshape)
    assert generator.output_shape == (None, 28, 28, 1)
    images = np.asarray(generator(np.random.default_rng(0).normal(0, 10, (4, 160))))
    assert images.shape == (4, 28, 28, 1)
    assert images.min() >= -1 and images.max() <= 1
    assert mm.build_generator(4, 8).output_shape == (None, 28, 28, 1)  # the default shape


def test_build_discriminator_is_the_guides_discriminator():
    discriminator = mm.build_discriminator((28, 28, 1), 500)
    by_type = {type(layer).__name__: layer for layer in body(discriminator)}
    assert sorted(by_type) == sorted(
        ["Flatten", "Embedding", "GlobalAveragePooling1D", "Concatenate", "Dense"]
    )
    hidden, output = [layer for layer in body(discriminator) if isinstance(layer, layers.Dense)]
    images, tokens = discriminator.inputs
    assert tuple(images.shape) == (None, 28, 28, 1)
    assert tuple(tokens.shape) == (None, 10)
    # Image path: Flatten -> Dense(256, relu) -> Dense(1, sigmoid).
    assert by_type["Flatten"].input is images
    assert_dense(hidden, 256, "relu")
    assert_dense(output, 1, "sigmoid")
    assert output.input is hidden.output
    # Caption path: Embedding(vocab, 128) -> GlobalAveragePooling1D, joined before Dense(256).
    embedding = by_type["Embedding"]
    assert (embedding.input_dim, embedding.output_dim) == (500, 128)
    assert embedding.input is tokens
    assert by_type["GlobalAveragePooling1D"].input is embedding.output
    concatenate = by_type["Concatenate"]
    joined = {id(tensor) for tensor in concatenate.input}
    assert joined == {id(by_type["Flatten"].output), id(by_type["GlobalAveragePooling1D"].output)}
    assert hidden.input is concatenate.output
    assert discriminator.output_shape == (None, 1)
    rng = np.random.default_rng(0)
    probabilities = np.asarray(
        discriminator([rng.uniform(-1, 1, (3, 28, 28, 1)), rng.integers(0, 500, (3, 10))])
    )
    assert probabilities.shape == (3, 1)
    assert np.all((probabilities > 0) & (probabilities < 1))


def test_build_gan_returns_a_text_to_image_gan():
    shape = (8, 8, 1)
    encoder = mm.build_encoder(shape, latent_dim=32)
    text_encoder = mm.build_text_encoder(40)
    generator = mm.build_generator(32, 128, image_shape=shape)
    discriminator = mm.build_discriminator(shape, 40)
    gan = mm.build_gan(encoder, text_encoder, generator, discriminator)
    assert isinstance(gan, mm.models.TextToImageGAN)
    assert gan.latent_dim == 32
    assert gan.image_encoder is encoder
    assert gan.text_encoder is text_encoder
    assert gan.generator is generator
    assert gan.discriminator is discriminator


def test_build_gan_without_encoder():
    shape = (8, 8, 1)
    gan = mm.build_gan(
        None,
        mm.build_text_encoder(40),
        mm.build_generator(16, 128, image_shape=shape),
        mm.build_discriminator(shape, 40),
    )
    assert gan.latent_dim == 16 and gan.image_encoder is None


def test_build_gan_refuses_a_generator_smaller_than_the_text_embedding():
    with pytest.raises(ValueError, match="generator"):
        mm.build_gan(
            None,
            mm.build_text_encoder(40),
            mm.build_generator(8, 64, image_shape=(8, 8, 1)),
            mm.build_discriminator((8, 8, 1), 40),
        )


@pytest.mark.parametrize("shape", [(28, 28, 1), (16, 24, 3)])
def test_dcgan_variants(shape):
    generator = mm.build_generator(32, 128, image_shape=shape, architecture="dcgan", base_filters=8)
    assert generator.input_shape == (None, 160)
    assert generator.output_shape == (None, *shape)
    discriminator = mm.build_discriminator(
        shape, 40, sequence_length=6, architecture="dcgan", base_filters=8
    )
    assert discriminator.output_shape == (None, 1)
    images, tokens = discriminator.inputs
    assert tuple(images.shape) == (None, *shape) and tuple(tokens.shape) == (None, 6)
    assert any(isinstance(layer, layers.Conv2D) for layer in discriminator.layers)
    assert any(isinstance(layer, layers.Conv2DTranspose) for layer in generator.layers)
    rng = np.random.default_rng(0)
    fakes = np.asarray(generator(rng.normal(size=(2, 160)).astype("float32")))
    assert fakes.shape == (2, *shape)
    logits = np.asarray(discriminator([fakes, rng.integers(0, 40, (2, 6))]))
    assert logits.shape == (2, 1) and np.all(np.isfinite(logits))


@pytest.mark.parametrize(
    "build, kwargs, argument",
    [
        (mm.build_encoder, dict(input_shape=(28, 28)), "input_shape"),
        (mm.build_encoder, dict(input_shape=(28, 28, 1), latent_dim=0), "latent_dim"),
        (mm.build_text_encoder, dict(vocab_size=0), "vocab_size"),
        (mm.build_text_encoder, dict(vocab_size=100, sequence_length=3), "sequence_length"),
        (mm.build_text_encoder, dict(vocab_size=100, embedding_dim=0), "embedding_dim"),
        (mm.build_generator, dict(z_dim=32, t_dim=128, image_shape=(28, 28)), "image_shape"),
        (mm.build_generator, dict(z_dim=0, t_dim=128), "z_dim"),
        (mm.build_generator, dict(z_dim=32, t_dim=128, architecture="resnet"), "architecture"),
        (
            mm.build_generator,
            dict(z_dim=32, t_dim=128, image_shape=(30, 30, 1), architecture="dcgan"),
            "image_shape",
        ),
        (mm.build_generator, dict(z_dim=32, t_dim=128, fusion="sum"), "fusion"),
        (
            mm.build_generator,
            dict(z_dim=32, t_dim=128, image_shape=(32, 32, 3), fusion="film", architecture="mlp"),
            "architecture",
        ),
        (mm.build_discriminator, dict(image_shape=(28, 28), vocab_size=100), "image_shape"),
        (mm.build_discriminator, dict(image_shape=(28, 28, 1), vocab_size=0), "vocab_size"),
        (
            mm.build_discriminator,
            dict(image_shape=(28, 28, 1), vocab_size=100, architecture="resnet"),
            "architecture",
        ),
    ],
)
def test_bad_arguments_name_the_argument(build, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        build(**kwargs)


@pytest.mark.parametrize("fusion", ["concat", "film", "attention"])
def test_build_generator_and_gan_with_a_fusion(fusion):
    shape = (16, 16, 3)
    text_encoder = mm.build_text_encoder(40, return_words=fusion == "attention")
    generator = mm.build_generator(16, 128, image_shape=shape, fusion=fusion, base_filters=4)
    assert generator.name == "generator" and generator.output_shape == (None, 16, 16, 3)
    assert mm.networks.generator_fusion(generator) == fusion
    gan = mm.build_gan(
        None, text_encoder, generator, mm.build_discriminator(shape, 40), fusion=fusion
    )
    assert gan.latent_dim == 16 and gan.reads_words == (fusion == "attention")
    images = gan.generate(captions=np.ones((3, 10), "int32"), seed=0)
    assert images.shape == (3, 16, 16, 3)


def test_build_text_encoder_with_words():
    encoder = mm.build_text_encoder(40, sequence_length=7, return_words=True)
    assert encoder.output_shape == [(None, 7, 128), (None, 128)]


def test_build_gan_checks_the_fusion_and_the_word_encoder():
    shape = (16, 16, 3)
    attention = mm.build_generator(16, 128, image_shape=shape, fusion="attention")
    with pytest.raises(ValueError, match="fusion='film', but the generator was built with"):
        mm.build_gan(
            None, mm.build_text_encoder(40, return_words=True), attention,
            mm.build_discriminator(shape, 40), fusion="film",
        )
    with pytest.raises(ValueError, match="text_encoder must output"):
        mm.build_gan(None, mm.build_text_encoder(40), attention, mm.build_discriminator(shape, 40))
    with pytest.raises(TypeError, match="only apply with fusion"):
        mm.build_generator(16, 128, num_heads=2)

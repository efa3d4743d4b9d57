"""The guide's five builder functions.

Called as in the guide they build exactly the guide's layers (listed in each
docstring); extra keyword arguments make them richer. `build_gan` wires them
into a `keras_mmgan.models.TextToImageGAN`.
"""

import math

import keras
from keras import layers

from keras_mmgan.models.text_to_image_gan import TextToImageGAN
from keras_mmgan.networks.dcgan import dcgan_discriminator
from keras_mmgan.networks.dcgan import dcgan_generator
from keras_mmgan.networks.text_to_image import check_fusion
from keras_mmgan.networks.text_to_image import generator_fusion
from keras_mmgan.networks.text_to_image import text_encoder as _word_text_encoder
from keras_mmgan.networks.text_to_image import text_to_image_generator

_ARCHITECTURES = ("mlp", "dcgan")


def _check_shape(name, shape):
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) != 3
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
    ):
        raise ValueError(
            f"{name} must be (height, width, channels), three positive ints; got {shape!r}"
        )
    return tuple(shape)


def _check_architecture(architecture):
    if architecture not in _ARCHITECTURES:
        raise ValueError(
            f"architecture must be one of {_ARCHITECTURES}; got {architecture!r}"
        )


def _check_size(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return value


def build_encoder(input_shape, latent_dim=32):
    """Builds the guide's image encoder: images -> a latent vector.

    Layers: `Flatten -> Dense(128, relu) -> Dense(64, relu) -> Dense(latent_dim)`.
    In `build_gan` it regresses the latent of generated images,
    `E(G(z, t)) ~ z`, which keeps samples diverse and lets a picture's style
    be redrawn with another caption.

    Args:
        input_shape: image shape `(height, width, channels)`.
        latent_dim: size of the output vector.

    Returns:
        A functional `keras.Model` named `"image_encoder"`.

    Example:

    >>> build_encoder((28, 28, 3)).output_shape
    (None, 32)
    """
    input_shape = _check_shape("input_shape", input_shape)
    latent_dim = _check_size("latent_dim", latent_dim)
    inputs = keras.Input(input_shape, name="images")
    x = layers.Flatten()(inputs)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(latent_dim)(x)
    return keras.Model(inputs, outputs, name="image_encoder")


def build_text_encoder(vocab_size, sequence_length=10, embedding_dim=128, return_words=False):
    """Builds the guide's text encoder: token ids -> a 128-d caption embedding.

    Layers: `Embedding(vocab_size, embedding_dim) -> Conv1D(128, 5, relu) ->
    GlobalAveragePooling1D`, output `(None, 128)`. With `return_words=True` it
    builds `networks.text_encoder` instead, which keeps one 128-d feature per
    word (masked padding, a bidirectional GRU) besides the sentence feature,
    for a generator that attends to words (`build_generator(...,
    fusion="attention")`).

    Args:
        vocab_size: number of token ids (the vectorizer's `max_tokens`).
        sequence_length: tokens per caption (at least 5, the kernel size, for
            the guide's encoder).
        embedding_dim: size of the token embeddings.
        return_words: output `[words (N, sequence_length, 128), sentence
            (N, 128)]` (AttnGAN's text encoder, Xu et al. 2018).

    Returns:
        A functional `keras.Model` named `"text_encoder"`.

    Example:

    >>> build_text_encoder(10000).output_shape
    (None, 128)
    >>> build_text_encoder(10000, return_words=True).output_shape
    [(None, 10, 128), (None, 128)]
    """
    vocab_size = _check_size("vocab_size", vocab_size)
    sequence_length = _check_size("sequence_length", sequence_length)
    if return_words:
        embedding_dim = _check_size("embedding_dim", embedding_dim)
        return _word_text_encoder(vocab_size, sequence_length, embedding_dim, output_dim=128)
    if sequence_length < 5:
        raise ValueError(
            f"sequence_length must be at least 5 (the Conv1D kernel); got {sequence_length}"
        )
    embedding_dim = _check_size("embedding_dim", embedding_dim)
    inputs = keras.Input((sequence_length,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, embedding_dim)(inputs)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    outputs = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, outputs, name="text_encoder")


def build_generator(
    z_dim,
    t_dim,
    image_shape=(28, 28, 1),
    hidden_units=128,
    architecture=None,
    base_filters=32,
    fusion=None,
    sequence_length=10,
    **fusion_options,
):
    """Builds the guide's generator: `[z, text embedding]` -> an image.

    Layers: input of size `z_dim + t_dim -> Dense(128, relu) ->
    Dense(prod(image_shape), tanh) -> Reshape(image_shape)`; images in [-1, 1].

    Args:
        z_dim: size of the latent z.
        t_dim: size of the text embedding (128 for `build_text_encoder`).
        image_shape: output shape `(height, width, channels)`.
        hidden_units: width of the hidden layer (the guide's 128).
        architecture: `"mlp"` (the guide's, the default without `fusion`) or
            `"dcgan"`: a convolutional generator (`networks.dcgan_generator`)
            on the same input, which learns shapes far faster; height and
            width must divide by 4.
        base_filters: channels of the last hidden layer, for `"dcgan"` and
            `fusion`.
        fusion: `None` (the above), or how a convolutional generator reads
            the caption (`networks.text_to_image_generator`): `"concat"`
            (`[z, sentence]` at the input, Reed et al. 2016), `"film"`
            (DF-GAN's per-block scale and shift, Tao et al. 2022) or
            `"attention"` (AttnGAN's word-region attention, Xu et al. 2018;
            takes `[latents_and_text, words, word_mask]` and needs
            `build_text_encoder(..., return_words=True)`).
        sequence_length: tokens per caption, for `fusion="attention"`.
        **fusion_options: more `networks.text_to_image_generator` arguments
            (`num_upsamplings`, `attention_resolutions`, `num_heads`,
            `film_units`, `word_dim`).

    Returns:
        A functional `keras.Model` named `"generator"`.

    Example:

    >>> build_generator(32, 128, image_shape=(28, 28, 3)).output_shape
    (None, 28, 28, 3)
    >>> build_generator(32, 128, image_shape=(32, 32, 3), fusion="film").output_shape
    (None, 32, 32, 3)

    References:
        Reed et al., ICML 2016; Tao et al., "DF-GAN", CVPR 2022; Perez et
        al., "FiLM", AAAI 2018; Xu et al., "AttnGAN", CVPR 2018.
    """
    z_dim, t_dim = _check_size("z_dim", z_dim), _check_size("t_dim", t_dim)
    image_shape = _check_shape("image_shape", image_shape)
    if fusion is not None:
        check_fusion(fusion)
        if architecture not in (None, "dcgan"):
            raise ValueError(
                f"fusion={fusion!r} builds a convolutional generator: architecture must be "
                f"None or 'dcgan'; got {architecture!r}"
            )
        return text_to_image_generator(
            z_dim,
            t_dim,
            image_shape,
            fusion=fusion,
            base_filters=base_filters,
            sequence_length=sequence_length,
            **fusion_options,
        )
    if fusion_options:
        raise TypeError(
            f"build_generator got {sorted(fusion_options)}, which only apply with fusion=..."
        )
    architecture = architecture or "mlp"
    _check_architecture(architecture)
    if architecture == "dcgan":
        model = dcgan_generator(z_dim + t_dim, image_shape, base_filters=base_filters)
        return keras.Model(model.input, model.output, name="generator")
    inputs = keras.Input((z_dim + t_dim,), name="latents_and_text")
    x = layers.Dense(hidden_units, activation="relu")(inputs)
    x = layers.Dense(math.prod(image_shape), activation="tanh")(x)
    outputs = layers.Reshape(image_shape)(x)
    return keras.Model(inputs, outputs, name="generator")


def build_discriminator(
    image_shape,
    vocab_size,
    sequence_length=10,
    embedding_dim=128,
    hidden_units=256,
    architecture="mlp",
    base_filters=32,
):
    """Builds the guide's discriminator, which also reads the caption.

    Image path, the guide's layers: `Flatten -> Dense(256, relu) ->
    Dense(1, sigmoid)` (a probability). The caption enters through its own
    `Embedding(vocab_size, embedding_dim) -> GlobalAveragePooling1D`,
    concatenated with the flattened image before `Dense(256)`, so the
    discriminator can judge whether an image matches its text.

    Args:
        image_shape: image shape `(height, width, channels)`.
        vocab_size: number of token ids.
        sequence_length: tokens per caption.
        embedding_dim: size of the discriminator's own token embeddings.
        hidden_units: width of the hidden layer (the guide's 256).
        architecture: `"mlp"` (the guide's) or `"dcgan"`: strided
            convolutions with projection conditioning on the caption
            (`networks.dcgan_discriminator`), which outputs logits.
        base_filters: channels of the first convolution, for `"dcgan"`.

    Returns:
        A functional `keras.Model` `[images, tokens] -> (N, 1)` probabilities
        (logits for `"dcgan"`), named `"discriminator"`.

    Example:

    >>> build_discriminator((28, 28, 3), 10000).output_shape
    (None, 1)
    """
    image_shape = _check_shape("image_shape", image_shape)
    vocab_size = _check_size("vocab_size", vocab_size)
    sequence_length = _check_size("sequence_length", sequence_length)
    _check_architecture(architecture)
    if architecture == "dcgan":
        model = dcgan_discriminator(
            image_shape,
            base_filters=base_filters,
            vocab_size=vocab_size,
            sequence_length=sequence_length,
            embedding_dim=embedding_dim,
        )
        return keras.Model(model.inputs, model.outputs, name="discriminator")
    images = keras.Input(image_shape, name="images")
    tokens = keras.Input((sequence_length,), dtype="int32", name="tokens")
    x = layers.Flatten()(images)
    text = layers.Embedding(vocab_size, embedding_dim)(tokens)
    text = layers.GlobalAveragePooling1D()(text)
    x = layers.Concatenate()([x, text])
    x = layers.Dense(hidden_units, activation="relu")(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model([images, tokens], outputs, name="discriminator")


def build_gan(
    encoder, text_encoder, generator, discriminator, vectorizer=None, fusion=None, **options
):
    """Wires the guide's four networks into a text-to-image GAN.

    The latent size is the generator's input size minus the text
    embedding's. The image `encoder` regresses latents of generated images
    (see `TextToImageGAN`); pass `encoder=None` to train without it.

    Args:
        encoder: image encoder from `build_encoder`, or `None`.
        text_encoder: from `build_text_encoder`.
        generator: from `build_generator`.
        discriminator: from `build_discriminator`.
        vectorizer: optional adapted `TextVectorization`, so that `fit`,
            `generate` and the exported model take raw caption strings.
        fusion: optional check: the fusion the generator must have been built
            with (`"concat"`, `"film"` or `"attention"`, see
            `build_generator`); the model feeds the generator what its inputs
            ask for either way.
        **options: more `TextToImageGAN` arguments (`latent_weight`, `seed`,
            `name`).

    Returns:
        A `keras_mmgan.models.TextToImageGAN`, ready for `compile` and `fit`.

    Example:

    ```python
    gan = build_gan(build_encoder((28, 28, 3)), build_text_encoder(10000),
                    build_generator(32, 128, image_shape=(28, 28, 3)),
                    build_discriminator((28, 28, 3), 10000))
    ```
    """
    if fusion is not None:
        check_fusion(fusion)
        built = generator_fusion(generator)
        if built != fusion:
            raise ValueError(
                f"fusion={fusion!r}, but the generator was built with fusion={built!r}: "
                f"pass build_generator(..., fusion={fusion!r})"
            )
    generator_input = generator.inputs[0].shape[-1]
    text_dim = text_encoder.outputs[-1].shape[-1]
    latent_dim = generator_input - text_dim
    if latent_dim < 1:
        raise ValueError(
            f"generator input ({generator_input}) must be larger than "
            f"the text embedding ({text_dim})"
        )
    return TextToImageGAN(
        generator,
        discriminator,
        text_encoder,
        latent_dim,
        image_encoder=encoder,
        vectorizer=vectorizer,
        **options,
    )

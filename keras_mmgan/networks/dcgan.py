"""DCGAN generator and discriminator (Radford et al. 2016).

Reference:
    Radford, Metz and Chintala, "Unsupervised Representation Learning with
    Deep Convolutional Generative Adversarial Networks", ICLR 2016.
"""

import keras
from keras import layers


def _check_image_shape(image_shape, num_upsamplings):
    factor = 2**num_upsamplings
    if (
        not isinstance(image_shape, (tuple, list))
        or len(image_shape) != 3
        or image_shape[0] % factor
        or image_shape[1] % factor
    ):
        raise ValueError(
            "image_shape must be (height, width, channels) with height and width "
            f"divisible by {factor}; got {image_shape!r}"
        )
    return tuple(image_shape)


def dcgan_generator(latent_dim=64, image_shape=(28, 28, 1), base_filters=64, num_upsamplings=2):
    """DCGAN generator: z -> Dense -> (transposed conv, batch norm, ReLU)* -> tanh.

    Starts at `image_shape / 2**num_upsamplings` with `base_filters *
    2**(num_upsamplings - 1)` channels and halves the channels as it doubles
    the size.

    Args:
        latent_dim: size of z.
        image_shape: output `(height, width, channels)`; height and width
            divisible by `2**num_upsamplings`.
        base_filters: channels of the last hidden layer.
        num_upsamplings: number of stride-2 transposed convolutions.

    Returns:
        A functional `keras.Model` `(N, latent_dim) -> (N, *image_shape)` in [-1, 1].

    Example:

    >>> dcgan_generator(64, (28, 28, 1)).output_shape
    (None, 28, 28, 1)

    Reference:
        Radford et al., ICLR 2016.
    """
    height, width, channels = _check_image_shape(image_shape, num_upsamplings)
    factor = 2**num_upsamplings
    filters = base_filters * 2 ** (num_upsamplings - 1)
    inputs = keras.Input((latent_dim,), name="latents")
    x = layers.Dense((height // factor) * (width // factor) * filters, use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((height // factor, width // factor, filters))(x)
    for i in range(num_upsamplings - 1):
        filters //= 2
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    outputs = layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", activation="tanh"
    )(x)
    return keras.Model(inputs, outputs, name="dcgan_generator")


def dcgan_discriminator(
    image_shape=(28, 28, 1),
    base_filters=64,
    num_downsamplings=2,
    vocab_size=None,
    sequence_length=10,
    embedding_dim=128,
):
    """DCGAN discriminator: (strided conv, LeakyReLU 0.2)* -> Dense(1) logit.

    With `vocab_size`, it also reads a caption (token ids) and conditions by
    projection (Miyato & Koyama 2018): `logit = w . h + <embed(t), h>`, where
    `h` is the image feature vector and `embed(t)` the mean of the caption's
    token embeddings, projected to `h`'s size. The inner product makes
    "does this image match this text" easy to express.

    Args:
        image_shape: input `(height, width, channels)`.
        base_filters: channels of the first convolution, doubled after each.
        num_downsamplings: number of stride-2 convolutions.
        vocab_size: if given, the model takes `[images, tokens]`.
        sequence_length: tokens per caption.
        embedding_dim: size of the token embeddings.

    Returns:
        A functional `keras.Model` `(N, *image_shape) -> (N, 1)` logits, or
        `[images, tokens] -> (N, 1)` with `vocab_size`.

    Example:

    >>> dcgan_discriminator((28, 28, 1)).output_shape
    (None, 1)

    Reference:
        Radford et al., ICLR 2016.
    """
    image_shape = _check_image_shape(image_shape, num_downsamplings)
    inputs = keras.Input(image_shape, name="images")
    x = inputs
    filters = base_filters
    for _ in range(num_downsamplings):
        x = layers.Conv2D(filters, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        filters *= 2
    x = layers.Flatten()(x)
    if vocab_size is None:
        return keras.Model(inputs, layers.Dense(1)(x), name="dcgan_discriminator")
    features = layers.Dense(256)(x)
    features = layers.LeakyReLU(0.2)(features)
    tokens = keras.Input((sequence_length,), dtype="int32", name="tokens")
    # mask_zero: the mean is over the caption's words, not its padding.
    text = layers.Embedding(vocab_size, embedding_dim, mask_zero=True)(tokens)
    text = layers.GlobalAveragePooling1D()(text)
    text = layers.Dense(256)(text)
    projection = layers.Dot(axes=1)([features, text])
    outputs = layers.Add()([layers.Dense(1)(features), projection])
    return keras.Model([inputs, tokens], outputs, name="dcgan_discriminator")

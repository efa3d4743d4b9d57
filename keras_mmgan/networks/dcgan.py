"""DCGAN generator and discriminator (Radford et al. 2016).

Reference:
    Radford, Metz and Chintala, "Unsupervised Representation Learning with
    Deep Convolutional Generative Adversarial Networks", ICLR 2016.
"""

import keras
from keras import layers

from keras_mmgan.layers.minibatch_std import MinibatchStdDev
from keras_mmgan.validation import check_positive_int


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


def dcgan_generator(
    latent_dim=64, image_shape=(28, 28, 1), base_filters=64, num_upsamplings=2, num_classes=None
):
    """DCGAN generator: z -> Dense -> (transposed conv, batch norm, ReLU)* -> tanh.

    Starts at `image_shape / 2**num_upsamplings` with `base_filters *
    2**(num_upsamplings - 1)` channels and halves the channels as it doubles
    the size. With `num_classes` it takes `[z, labels]` and concatenates the
    one-hot label to z (the conditional GAN of Mirza & Osindero 2014).

    Args:
        latent_dim: size of z.
        image_shape: output `(height, width, channels)`; height and width
            divisible by `2**num_upsamplings`.
        base_filters: channels of the last hidden layer.
        num_upsamplings: number of stride-2 transposed convolutions.
        num_classes: if given, the model takes `[latents, int labels (N,)]`.

    Returns:
        A functional `keras.Model` `(N, latent_dim) -> (N, *image_shape)` in
        [-1, 1], or `[latents, labels] -> images` with `num_classes`.

    Example:

    >>> dcgan_generator(64, (28, 28, 1)).output_shape
    (None, 28, 28, 1)

    Reference:
        Radford et al., ICLR 2016.
    """
    latent_dim = check_positive_int("latent_dim", latent_dim)
    base_filters = check_positive_int("base_filters", base_filters)
    num_upsamplings = check_positive_int("num_upsamplings", num_upsamplings)
    if num_classes is not None:
        num_classes = check_positive_int("num_classes", num_classes)
    height, width, channels = _check_image_shape(image_shape, num_upsamplings)
    factor = 2**num_upsamplings
    filters = base_filters * 2 ** (num_upsamplings - 1)
    inputs = keras.Input((latent_dim,), name="latents")
    x = inputs
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot")(labels)
        x = layers.Concatenate()([inputs, one_hot])
        inputs = [inputs, labels]
    x = layers.Dense((height // factor) * (width // factor) * filters, use_bias=False)(x)
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
    num_classes=None,
    auxiliary_classifier=False,
    spectral_normalization=False,
    minibatch_std=False,
    text_dim=None,
):
    """DCGAN discriminator: (strided conv, LeakyReLU 0.2)* -> Dense(1) logit.

    Conditioning by projection (Miyato & Koyama 2018): with `vocab_size` it
    reads a caption (token ids), with `num_classes` a class label, and its
    logit is `w . h + <embed(c), h>`, where `h` is the image feature vector and
    `embed(c)` the condition's embedding (for a caption: the mean of its token
    embeddings, projected). The inner product makes "does this image match this
    condition" easy to express. With `auxiliary_classifier` it reads images
    only and also outputs class logits (AC-GAN, Odena et al. 2017).

    Args:
        image_shape: input `(height, width, channels)`.
        base_filters: channels of the first convolution, doubled after each.
        num_downsamplings: number of stride-2 convolutions.
        vocab_size: if given, the model takes `[images, tokens]`.
        sequence_length: tokens per caption.
        embedding_dim: size of the token embeddings.
        num_classes: if given (and not `auxiliary_classifier`), the model
            takes `[images, int labels (N,)]`.
        auxiliary_classifier: output `[logit, class logits (N, num_classes)]`.
        text_dim: if given, the model takes `[images, sentence features
            (N, text_dim)]` (floats, e.g. a text encoder's output) and projects
            them like a caption's embedding: DF-GAN's discriminator, whose
            matching-aware gradient penalty also differentiates the text
            (`regularizers.MatchingAwareGradientPenalty`).
        spectral_normalization: wrap every convolution and dense layer in
            `keras.layers.SpectralNormalization` (Miyato et al. 2018).
        minibatch_std: append a `keras_mmgan.layers.MinibatchStdDev` channel
            before the last convolution (Karras et al. 2018), so D sees how
            varied a batch is.

    Returns:
        A functional `keras.Model`: `images -> (N, 1)` logits;
        `[images, tokens]` or `[images, labels]` -> `(N, 1)`; or, with
        `auxiliary_classifier`, `images -> [(N, 1), (N, num_classes)]`.

    Example:

    >>> dcgan_discriminator((28, 28, 1)).output_shape
    (None, 1)
    >>> dcgan_discriminator((28, 28, 1), num_classes=10).input_shape
    [(None, 28, 28, 1), (None,)]
    >>> dcgan_discriminator((28, 28, 1), text_dim=128).input_shape
    [(None, 28, 28, 1), (None, 128)]

    Reference:
        Radford et al., ICLR 2016. Miyato & Koyama, "cGANs with Projection
        Discriminator", ICLR 2018.
    """
    base_filters = check_positive_int("base_filters", base_filters)
    num_downsamplings = check_positive_int("num_downsamplings", num_downsamplings)
    for name, value in (
        ("num_classes", num_classes), ("vocab_size", vocab_size), ("text_dim", text_dim)
    ):
        if value is not None:
            check_positive_int(name, value)
    image_shape = _check_image_shape(image_shape, num_downsamplings)
    if auxiliary_classifier and num_classes is None:
        raise ValueError("auxiliary_classifier=True needs num_classes")
    if sum(value is not None for value in (vocab_size, num_classes, text_dim)) > 1:
        raise ValueError(
            "condition on one of vocab_size (tokens), text_dim (text features) or "
            "num_classes (labels), not several"
        )

    def normalized(layer):
        return layers.SpectralNormalization(layer) if spectral_normalization else layer

    images = keras.Input(image_shape, name="images")
    x = images
    filters = base_filters
    for i in range(num_downsamplings):
        if minibatch_std and i == num_downsamplings - 1:
            x = MinibatchStdDev()(x)
        x = normalized(layers.Conv2D(filters, 4, strides=2, padding="same"))(x)
        x = layers.LeakyReLU(0.2)(x)
        filters *= 2
    x = layers.Flatten()(x)
    if auxiliary_classifier:
        outputs = [normalized(layers.Dense(1))(x), normalized(layers.Dense(num_classes))(x)]
        return keras.Model(images, outputs, name="dcgan_discriminator")
    if vocab_size is None and num_classes is None and text_dim is None:
        return keras.Model(images, normalized(layers.Dense(1))(x), name="dcgan_discriminator")
    features = layers.LeakyReLU(0.2)(normalized(layers.Dense(256))(x))
    if text_dim is not None:
        condition = keras.Input((text_dim,), name="sentence")
        embedding = layers.Dense(256)(condition)
    elif vocab_size is not None:
        condition = keras.Input((sequence_length,), dtype="int32", name="tokens")
        # mask_zero: the mean is over the caption's words, not its padding.
        text = layers.Embedding(vocab_size, embedding_dim, mask_zero=True)(condition)
        text = layers.GlobalAveragePooling1D()(text)
        embedding = layers.Dense(256)(text)
    else:
        condition = keras.Input((), dtype="int32", name="labels")
        embedding = layers.Embedding(num_classes, 256)(condition)
    projection = layers.Dot(axes=1)([features, embedding])
    outputs = layers.Add()([normalized(layers.Dense(1))(features), projection])
    return keras.Model([images, condition], outputs, name="dcgan_discriminator")

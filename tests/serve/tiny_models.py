"""Tiny untrained models of every family, for the web demo's tests (about a second each)."""

import keras

import keras_mmgan as mm

SIZE = 8
CAPTIONS = mm.datasets.shapes(64, image_size=SIZE, seed=0)["captions"]
FAMILIES = ("gan", "conditional", "text2image", "pix2pix", "cyclegan", "multimodal", "progressive")


def _conv_generator(in_shape, out_channels, name=None):
    images = keras.Input(in_shape)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(images)
    x = keras.layers.Conv2D(out_channels, 3, padding="same", activation="tanh")(x)
    return keras.Model(images, x, name=name)


def _conv_discriminator(shapes, name=None):
    inputs = [keras.Input(shape) for shape in shapes]
    x = keras.layers.Concatenate()(inputs) if len(inputs) > 1 else inputs[0]
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(x)
    outputs = keras.layers.Conv2D(1, 3, padding="same")(x)
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs, name=name)


def make_model(family):
    """A tiny model of `family` (one of `FAMILIES`), 8x8 images, compiled.

    Args:
        family: the family's short name.

    Returns:
        The model.
    """
    shape = (SIZE, SIZE, 3)
    if family == "gan":
        model = mm.models.GAN(
            mm.networks.dcgan_generator(4, shape, base_filters=4),
            mm.networks.dcgan_discriminator(shape, base_filters=4), latent_dim=4, seed=0,
        )
    elif family == "conditional":
        model = mm.models.ConditionalGAN(
            mm.networks.dcgan_generator(4, shape, base_filters=4, num_classes=3),
            mm.networks.dcgan_discriminator(shape, base_filters=4, num_classes=3),
            latent_dim=4, num_classes=3, conditioning="projection", seed=0,
        )
    elif family == "text2image":
        model = mm.build_gan(
            None, mm.build_text_encoder(50, embedding_dim=8),
            mm.build_generator(4, 128, image_shape=shape, hidden_units=16),
            mm.build_discriminator(shape, 50),
            vectorizer=mm.datasets.text_vectorizer(CAPTIONS, vocab_size=50), seed=0,
        )
    elif family == "pix2pix":
        model = mm.models.Pix2Pix(
            _conv_generator((SIZE, SIZE, 1), 3), _conv_discriminator([(SIZE, SIZE, 1), shape]),
            seed=0,
        )
    elif family == "cyclegan":
        model = mm.models.CycleGAN(
            _conv_generator(shape, 3, "g"), _conv_generator(shape, 3, "f"),
            _conv_discriminator([shape], "d_x"), _conv_discriminator([shape], "d_y"), seed=0,
        )
    elif family == "multimodal":
        model = mm.models.MultimodalPix2Pix(
            _conv_generator((SIZE, SIZE, 1 + 2), 3), _conv_discriminator([(SIZE, SIZE, 1), shape]),
            2, seed=0,
        )
    elif family == "progressive":
        model = mm.models.ProgressiveGAN(
            latent_dim=4, target_resolution=8, channels=3, filters=4, seed=0
        )
    else:
        raise ValueError(f"family must be one of {FAMILIES}; got {family!r}")
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return model

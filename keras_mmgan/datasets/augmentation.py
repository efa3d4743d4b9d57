"""Data-preparation augmentation (the guide's random crops, rotations and colour changes).

Keras's preprocessing layers, for `tf.data` pipelines. A caveat for GANs: a generator trained
against augmented real images learns to draw the augmentations ("leaking": rotated digits,
shifted colours), since to the discriminator they are part of the data. Keep it to changes
that real images could have anyway (a crop of a larger photo, a mirror image), or augment what
the discriminator sees instead, reals and fakes alike: `augment=` on the GAN (DiffAugment,
ADA), which does not leak.
"""

import keras
import numpy as np

from keras_mmgan.validation import check_positive_int


def _check_factor(name, value, upper=1.0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= upper:
        raise ValueError(f"{name} must be a number in [0, {upper}]; got {value!r}")
    return float(value)


def augmentation(
    crop_size=None,
    load_size=None,
    flip=True,
    rotation=0.0,
    brightness=0.0,
    contrast=0.0,
    seed=None,
    name="augmentation",
):
    """Random crops, flips, rotations and colour changes as Keras preprocessing layers.

    In order: `Resizing(load_size)`, `RandomCrop(crop_size)`, `RandomFlip("horizontal")`,
    `RandomRotation(rotation)`, `RandomBrightness(brightness)`, `RandomContrast(contrast)`, each
    only where asked for. The layers work on float images in [-1, 1], batched or single, inside
    a `tf.data` `map`, and augment only when called with `training=True`. Mind the leaking
    caveat of this module: the generator learns whatever the real images show.

    Args:
        crop_size: side of a random square crop, or `None` for no crop.
        load_size: side the images are resized to first (for a crop of a larger image, as
            pix2pix and CycleGAN do: 286 then a crop of 256), or `None`.
        flip: random left-right flips.
        rotation: the largest rotation, as a fraction of a full turn (0.05: 18 degrees),
            in [0, 0.5].
        brightness: the largest brightness change, as a fraction of the value range, in
            [0, 1].
        contrast: the largest contrast change, a factor in [0, 1] (Keras's
            `RandomContrast`).
        seed: int seed of the random draws (each call draws new ones), or `None`.
        name: the name of the returned model.

    Returns:
        A `keras.layers.Pipeline` of the preprocessing layers.

    Example:

    >>> import numpy as np
    >>> import tensorflow as tf
    >>> augment = augmentation(crop_size=24, load_size=28, rotation=0.05, seed=0)
    >>> images = tf.data.Dataset.from_tensor_slices(np.zeros((4, 32, 32, 1), "float32"))
    >>> images.map(lambda x: augment(x, training=True)).element_spec.shape
    TensorShape([24, 24, 1])
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be None or an int; got {seed!r}")
    layers = []
    if load_size is not None:
        load_size = check_positive_int("load_size", load_size)
        layers.append(keras.layers.Resizing(load_size, load_size))
    if crop_size is not None:
        crop_size = check_positive_int("crop_size", crop_size)
        if load_size is not None and load_size < crop_size:
            raise ValueError(
                f"load_size must be >= crop_size (the crop is cut from the resized image); got "
                f"load_size={load_size} and crop_size={crop_size}"
            )
        layers.append(keras.layers.RandomCrop(crop_size, crop_size, seed=seed))
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if _check_factor("rotation", rotation, upper=0.5):
        layers.append(keras.layers.RandomRotation(rotation, fill_mode="nearest", seed=seed))
    if _check_factor("brightness", brightness):
        layers.append(keras.layers.RandomBrightness(brightness, value_range=(-1, 1), seed=seed))
    if _check_factor("contrast", contrast):
        layers.append(keras.layers.RandomContrast(contrast, value_range=(-1, 1), seed=seed))
    if not layers:
        raise ValueError("augmentation needs at least one op: a crop, flip, rotation, ...")
    # A Pipeline, not a Sequential: in a tf.data map it stays in TensorFlow on every backend.
    return keras.layers.Pipeline(layers, name=name)

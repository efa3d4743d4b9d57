"""Real image data sets through TensorFlow Datasets, for users who are online.

`load_tfds("mnist")`, `load_tfds("cifar10")`, `load_tfds("cycle_gan/horse2zebra", "trainA",
image_size=128)`, ...: a batched, shuffled, prefetched `tf.data.Dataset` of images in [-1, 1],
with int32 labels when supervised, that `model.fit` takes. `tensorflow-datasets` is an optional
dependency (`pip install "keras-mmgan[tfds]"`), imported only when the function runs. The first
call downloads and prepares the data set under `data_dir` (default `~/tensorflow_datasets`);
tests run it offline on fake data with `tfds.testing.mock_data`.
"""

import numpy as np
import tensorflow as tf

from keras_mmgan.validation import check_positive_int


def load_tfds(
    name,
    split="train",
    batch_size=64,
    image_size=None,
    shuffle=True,
    seed=0,
    as_supervised=True,
    data_dir=None,
    download=True,
    shuffle_buffer=10_000,
    drop_remainder=False,
):
    """Loads an image data set of TensorFlow Datasets as batches that `model.fit` takes.

    Images are scaled to float32 in [-1, 1] (`uint8` pixels `p` become `p / 127.5 - 1`; other
    integer types are scaled by their maximum, float images are taken to lie in [0, 1]) and, with
    `image_size`, resized (bilinear, antialiased). Labels are cast to int32. With `shuffle`, the
    files are read in a seeded random order and the examples go through a seeded shuffle buffer,
    reshuffled every epoch. Batches are prefetched with `tf.data.AUTOTUNE`.

    Args:
        name: a TFDS name, e.g. `"mnist"`, `"fashion_mnist"`, `"cifar10"`,
            `"cycle_gan/horse2zebra"` (a config after the slash, a version after a colon).
        split: a TFDS split string, e.g. `"train"`, `"test"`, `"train[:10%]"`, `"train+test"`,
            or a `tfds.core.ReadInstruction`.
        batch_size: number of samples per batch, a positive int.
        image_size: `None` to keep the stored size, an int for square images, or a tuple
            `(height, width)`. Data sets whose images vary in size (e.g. `cycle_gan`) need it.
        shuffle: whether to shuffle (files and examples).
        seed: seed of the file order and of the shuffle buffer.
        as_supervised: `True` for `(images, labels)` batches, using the data set's supervised
            keys; `False` for images alone.
        data_dir: where TFDS keeps the data (default `~/tensorflow_datasets`).
        download: whether to download and prepare the data set when it is missing.
        shuffle_buffer: size of the example shuffle buffer, a positive int.
        drop_remainder: whether to drop the last, smaller batch (GAN training prefers full
            batches; evaluation wants every sample).

    Returns:
        A `tf.data.Dataset` of `(images, labels)` batches, images float32
        `(batch, height, width, channels)` in [-1, 1] and labels int32 `(batch,)`, or of image
        batches alone when `as_supervised=False`.

    Raises:
        ImportError: without tensorflow-datasets (`pip install "keras-mmgan[tfds]"`).
        FileNotFoundError: with `download=False`, when the data set is not prepared in
            `data_dir`.
        ValueError: for a split that the data set does not have (with the ones it has), for a
            data set without images or without supervised keys, for varying image sizes without
            `image_size`, or for invalid arguments.

    Example:
        >>> import tensorflow_datasets as tfds
        >>> with tfds.testing.mock_data(num_examples=32):  # fake data, no download
        ...     dataset = load_tfds("mnist", batch_size=16, image_size=32)
        ...     images, labels = next(iter(dataset))
        >>> tuple(images.shape), images.dtype.name, labels.dtype.name
        ((16, 32, 32, 1), 'float32', 'int32')
    """
    check_positive_int("batch_size", batch_size)
    check_positive_int("shuffle_buffer", shuffle_buffer)
    target_size = _as_image_size(image_size)
    if isinstance(split, (list, tuple)):
        raise TypeError(
            f"split must be one split string (or ReadInstruction), e.g. 'train' or "
            f"'train+test'; got {split!r}; call load_tfds once per split"
        )
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise ImportError(
            'load_tfds needs tensorflow-datasets: pip install "keras-mmgan[tfds]" (or pip '
            "install tensorflow-datasets)"
        ) from None

    builder = tfds.builder(name, data_dir=data_dir)
    info = builder.info
    _check_split(name, split, info)
    image_key, label_key = _feature_keys(tfds, name, info, as_supervised)
    stored_shape = tuple(info.features[image_key].shape)
    if target_size is None and None in stored_shape[:2]:
        raise ValueError(
            f"the images of {name!r} vary in size (stored shape {stored_shape}), so they cannot "
            "be batched as they are; pass image_size=(height, width) or an int"
        )
    image_feature = info.features[image_key]
    pixel_dtype = tf.as_dtype(getattr(image_feature, "tf_dtype", None) or image_feature.dtype)

    if download:
        builder.download_and_prepare()
    try:
        dataset = builder.as_dataset(
            split=split,
            shuffle_files=shuffle,
            read_config=tfds.ReadConfig(shuffle_seed=seed),
        )
    except AssertionError as error:  # TFDS asserts that the prepared files exist
        if download or "could not find data" not in str(error):
            raise
        raise FileNotFoundError(
            f"{name!r} is not downloaded and prepared in {builder.data_dir}; pass download=True "
            "(or the data_dir where it is prepared)"
        ) from None
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)

    def prepare(example):
        images = _scale(example[image_key], pixel_dtype, target_size)
        if label_key is None:
            return images
        return images, tf.cast(example[label_key], tf.int32)

    dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _scale(image, pixel_dtype, target_size):
    """Pixels -> float32 in [-1, 1], optionally resized."""
    if pixel_dtype.is_integer:
        image = tf.cast(image, tf.float32) / (pixel_dtype.max / 2.0) - 1.0
    else:
        image = tf.cast(image, tf.float32) * 2.0 - 1.0
    if target_size is not None:
        image = tf.image.resize(image, target_size, method="bilinear", antialias=True)
    return tf.clip_by_value(image, -1.0, 1.0)


def _check_split(name, split, info):
    """Raises a clear error for a split name that the data set does not have.

    TFDS reports unknown splits too, but only when it reads the files; this checks early, when
    the split names are known (always once the data set is prepared), and names the known ones.
    """
    known = sorted(info.splits.keys()) if info.splits else []
    if not known or not isinstance(split, str):
        return
    for part in split.split("+"):
        base = part.split("[")[0].strip()
        if base and base != "all" and base not in known:
            raise ValueError(
                f"split {split!r} names a split that {name!r} does not have ({base!r}); "
                f"its splits are {known}"
            )


def _feature_keys(tfds, name, info, as_supervised):
    """Returns (image key, label key or None) of the data set's features."""
    features = info.features
    image_keys = [
        key for key, feature in features.items() if isinstance(feature, tfds.features.Image)
    ]
    if as_supervised:
        keys = info.supervised_keys
        if not keys or len(keys) != 2 or not all(isinstance(key, str) for key in keys):
            raise ValueError(
                f"{name!r} has no (input, label) supervised keys (got {keys!r}); pass "
                "as_supervised=False to load its images alone"
            )
        image_key, label_key = keys
        if image_key not in image_keys:
            raise ValueError(
                f"{name!r} is not an image data set: its supervised input {image_key!r} is a "
                f"{type(features[image_key]).__name__}, not a tfds.features.Image"
            )
        return image_key, label_key
    if not image_keys:
        raise ValueError(
            f"{name!r} is not an image data set: none of its features {list(features)} is a "
            "tfds.features.Image"
        )
    return ("image" if "image" in image_keys else image_keys[0]), None


def _as_image_size(image_size):
    if image_size is None:
        return None
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (
        not isinstance(image_size, (tuple, list))
        or len(image_size) != 2
        or not all(
            isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size > 0
            for size in image_size
        )
    ):
        raise ValueError(
            "image_size must be None, a positive int or a tuple (height, width) of positive "
            f"ints; got {image_size!r}"
        )
    return (int(image_size[0]), int(image_size[1]))


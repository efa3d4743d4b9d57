"""Tests of the coloured-shapes data set with captions."""

import re
import time

import numpy as np
import pytest

from keras_mmgan.datasets.shapes import COLORS
from keras_mmgan.datasets.shapes import POSITIONS
from keras_mmgan.datasets.shapes import SHAPES
from keras_mmgan.datasets.shapes import all_captions
from keras_mmgan.datasets.shapes import caption
from keras_mmgan.datasets.shapes import shapes

CAPTION_PATTERN = re.compile(
    r"^a (red|green|blue|yellow|magenta|cyan) (circle|square|triangle) at the "
    r"(top left|top right|bottom left|bottom right|center)$"
)

# Named region of each position, as (row range, column range) in fractions of the image.
REGIONS = {
    "top left": ((0.0, 0.5), (0.0, 0.5)),
    "top right": ((0.0, 0.5), (0.5, 1.0)),
    "bottom left": ((0.5, 1.0), (0.0, 0.5)),
    "bottom right": ((0.5, 1.0), (0.5, 1.0)),
    "center": ((0.375, 0.625), (0.375, 0.625)),
}


@pytest.fixture(scope="module")
def data():
    return shapes(540, image_size=28, seed=0)


def test_constants():
    assert COLORS == {
        "red": (1, 0, 0),
        "green": (0, 1, 0),
        "blue": (0, 0, 1),
        "yellow": (1, 1, 0),
        "magenta": (1, 0, 1),
        "cyan": (0, 1, 1),
    }
    assert SHAPES == ("circle", "square", "triangle")
    assert POSITIONS == ("top left", "top right", "bottom left", "bottom right", "center")


def test_caption_and_all_captions():
    assert caption("red", "circle", "top left") == "a red circle at the top left"
    assert caption("cyan", "triangle", "center") == "a cyan triangle at the center"
    captions = all_captions()
    assert len(captions) == 90 and len(set(captions)) == 90
    assert captions == all_captions()  # fixed order
    assert captions[0] == "a red circle at the top left"
    assert captions[-1] == "a cyan triangle at the center"
    assert all(CAPTION_PATTERN.match(c) for c in captions)
    with pytest.raises(ValueError, match="color"):
        caption("purple", "circle", "center")
    with pytest.raises(ValueError, match="shape"):
        caption("red", "hexagon", "center")
    with pytest.raises(ValueError, match="position"):
        caption("red", "circle", "middle")


def test_output_structure(data):
    assert set(data) == {"images", "captions", "colors", "shapes", "positions"}
    images = data["images"]
    assert images.shape == (540, 28, 28, 3)
    assert images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0
    for key in ("captions", "colors", "shapes", "positions"):
        assert isinstance(data[key], list) and len(data[key]) == 540
        assert all(isinstance(value, str) for value in data[key])


def test_caption_grammar_matches_attributes(data):
    for text, color, shape, position in zip(
        data["captions"], data["colors"], data["shapes"], data["positions"]
    ):
        assert CAPTION_PATTERN.match(text), text
        assert text == f"a {color} {shape} at the {position}"


def test_combinations_are_balanced(data):
    # 540 = 6 * 90: each of the 90 combinations appears exactly 6 times.
    combos = list(zip(data["colors"], data["shapes"], data["positions"]))
    counts = {combo: combos.count(combo) for combo in set(combos)}
    assert len(counts) == 90
    assert set(counts.values()) == {6}


def test_colors_are_full_intensity_on_black(data):
    images = data["images"]
    foreground = images.max(axis=-1) > -1.0
    for image, mask, color in zip(images, foreground, data["colors"]):
        expected = np.array(COLORS[color], np.float32) * 2 - 1
        assert mask.sum() > 0
        np.testing.assert_array_equal(image[mask], np.broadcast_to(expected, image[mask].shape))
        np.testing.assert_array_equal(image[~mask], -1.0)


def test_shape_size_is_a_quarter_to_a_third_of_the_side(data):
    size = 28
    foreground = data["images"].max(axis=-1) > 0
    for mask in foreground:
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        height = rows[-1] - rows[0] + 1
        width = cols[-1] - cols[0] + 1
        assert size / 4 - 2 <= height <= size / 3 + 2
        assert size / 4 - 2 <= width <= size / 3 + 2


def test_centroid_lies_in_named_region(data):
    images = data["images"]
    size = images.shape[1]
    coords = (np.arange(size) + 0.5) / size
    for image, position in zip(images, data["positions"]):
        mask = image.max(axis=-1) > 0
        centroid_y = (mask.sum(axis=1) * coords).sum() / mask.sum()
        centroid_x = (mask.sum(axis=0) * coords).sum() / mask.sum()
        (y0, y1), (x0, x1) = REGIONS[position]
        assert y0 < centroid_y < y1 and x0 < centroid_x < x1, (position, centroid_y, centroid_x)
        # Centre of the quadrant (or image), up to the jitter and pixel discretisation.
        target_y = (y0 + y1) / 2
        target_x = (x0 + x1) / 2
        assert abs(centroid_y - target_y) < 2.5 / size
        assert abs(centroid_x - target_x) < 2.5 / size


def test_shapes_differ_in_fill_ratio(data):
    # circle ~ pi/4 of its box, square ~ 1, triangle ~ 1/2.
    ratios = {name: [] for name in SHAPES}
    for image, shape in zip(data["images"], data["shapes"]):
        mask = image.max(axis=-1) > 0
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
        ratios[shape].append(mask.sum() / box)
    assert np.mean(ratios["square"]) > 0.95
    assert 0.65 < np.mean(ratios["circle"]) < 0.9
    assert 0.4 < np.mean(ratios["triangle"]) < 0.65


def test_deterministic_for_a_seed():
    first = shapes(64, image_size=16, seed=7)
    second = shapes(64, image_size=16, seed=7)
    np.testing.assert_array_equal(first["images"], second["images"])
    assert first["captions"] == second["captions"]
    other = shapes(64, image_size=16, seed=8)
    assert first["captions"] != other["captions"]
    assert not np.array_equal(first["images"], other["images"])


def test_subsets_restrict_sampling():
    data = shapes(60, image_size=16, colors=["red", "blue"], shapes=["square"],
                  positions=["center"])
    assert set(data["colors"]) == {"red", "blue"}
    assert set(data["shapes"]) == {"square"}
    assert set(data["positions"]) == {"center"}
    assert set(data["captions"]) == {"a red square at the center", "a blue square at the center"}


@pytest.mark.parametrize("image_size", [8, 9, 32, 64])
def test_other_sizes(image_size):
    data = shapes(30, image_size=image_size, seed=1)
    assert data["images"].shape == (30, image_size, image_size, 3)
    assert (data["images"].max(axis=(1, 2, 3)) == 1.0).all()  # no empty image


def test_invalid_arguments():
    with pytest.raises(ValueError, match="num_samples"):
        shapes(0)
    with pytest.raises(TypeError, match="num_samples"):
        shapes(10.0)
    with pytest.raises(TypeError, match="num_samples"):
        shapes(True)
    with pytest.raises(ValueError, match="image_size.*>= 8"):
        shapes(10, image_size=4)
    with pytest.raises(TypeError, match="image_size"):
        shapes(10, image_size="32")
    with pytest.raises(ValueError, match=r"colors.*'red'.*'purple'"):
        shapes(10, colors=["red", "purple"])
    with pytest.raises(ValueError, match="shapes.*hexagon"):
        shapes(10, shapes=["hexagon"])
    with pytest.raises(ValueError, match="positions.*middle"):
        shapes(10, positions=["middle"])
    with pytest.raises(ValueError, match="colors"):
        shapes(10, colors=[])


def test_fast():
    start = time.perf_counter()
    data = shapes(4000, image_size=28, seed=0)
    elapsed = time.perf_counter() - start
    assert data["images"].shape == (4000, 28, 28, 3)
    assert elapsed < 1.0, elapsed

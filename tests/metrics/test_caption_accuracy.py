"""Tests of reading shape attributes back from pixels and of caption accuracy."""

import time

import numpy as np
import pytest

from keras_mmgan.datasets.shapes import COLORS
from keras_mmgan.datasets.shapes import POSITIONS
from keras_mmgan.datasets.shapes import SHAPES
from keras_mmgan.datasets.shapes import all_captions
from keras_mmgan.datasets.shapes import shapes
from keras_mmgan.metrics.caption_accuracy import caption_accuracy
from keras_mmgan.metrics.caption_accuracy import parse_caption
from keras_mmgan.metrics.caption_accuracy import read_shape_attributes


@pytest.fixture(scope="module")
def data():
    return shapes(500, image_size=28, seed=0)


def test_parse_caption():
    assert parse_caption("a red circle at the top left") == ("red", "circle", "top left")
    assert parse_caption(b"a cyan triangle at the center") == ("cyan", "triangle", "center")
    assert parse_caption("  A Blue  square at the bottom right ") == (
        "blue", "square", "bottom right")
    for text in all_captions():
        color, shape, position = parse_caption(text)
        assert color in COLORS and shape in SHAPES and position in POSITIONS


@pytest.mark.parametrize("text", [
    "a purple circle at the top left",
    "a red hexagon at the top left",
    "a red circle at the middle",
    "red circle at the top left",
    "a red circle at the top left corner",
    "",
])
def test_parse_caption_rejects_other_text(text):
    with pytest.raises(ValueError, match="grammar"):
        parse_caption(text)


def test_parse_caption_rejects_non_strings():
    with pytest.raises(TypeError):
        parse_caption(3)


def test_read_attributes_of_true_images(data):
    attributes = read_shape_attributes(data["images"])
    assert attributes["colors"] == data["colors"]
    assert attributes["positions"] == data["positions"]


def test_true_images_score_one_on_all_combinations(data):
    assert len(set(data["captions"])) == 90
    result = caption_accuracy(data["images"], data["captions"])
    assert result == {"color": 1.0, "position": 1.0, "both": 1.0, "num_samples": 500}


@pytest.mark.parametrize("image_size", [8, 16, 32, 64])
def test_true_images_score_one_at_other_sizes(image_size):
    sample = shapes(180, image_size=image_size, seed=2)
    result = caption_accuracy(sample["images"], sample["captions"])
    assert result["color"] == result["position"] == result["both"] == 1.0


def test_mismatched_captions_score_low(data):
    captions = list(np.random.default_rng(0).permutation(data["captions"]))
    result = caption_accuracy(data["images"], captions)
    assert result["color"] < 0.4
    assert result["position"] < 0.4
    assert result["both"] < 0.15


def test_systematically_wrong_captions_score_zero(data):
    colors = list(COLORS)
    wrong = [
        f"a {colors[(colors.index(c) + 1) % 6]} {s} at the "
        f"{POSITIONS[(POSITIONS.index(p) + 1) % 5]}"
        for c, s, p in zip(data["colors"], data["shapes"], data["positions"])
    ]
    result = caption_accuracy(data["images"], wrong)
    assert result["color"] == result["position"] == result["both"] == 0.0


def test_blank_images_score_zero(data):
    blank = -np.ones((10, 28, 28, 3), np.float32)
    attributes = read_shape_attributes(blank)
    assert attributes["colors"] == [None] * 10
    assert attributes["positions"] == [None] * 10
    result = caption_accuracy(blank, data["captions"][:10])
    assert result == {"color": 0.0, "position": 0.0, "both": 0.0, "num_samples": 10}


def test_threshold_and_noisy_images(data):
    # Faint noise below the threshold is ignored; the readout stays exact.
    noise = np.random.default_rng(1).uniform(-1.0, -0.2, data["images"].shape)
    noisy = np.maximum(data["images"], noise.astype(np.float32))
    result = caption_accuracy(noisy, data["captions"])
    assert result["both"] == 1.0
    # With a threshold below the noise, the noise is foreground and drags the readout.
    attributes = read_shape_attributes(noisy, threshold=-1.0)
    assert sum(p == t for p, t in zip(attributes["positions"], data["positions"])) < 500


def test_hand_drawn_image():
    image = -np.ones((1, 20, 20, 3), np.float32)
    image[0, 13:17, 3:7] = [1.0, 1.0, -1.0]  # a yellow block in the bottom left quadrant
    attributes = read_shape_attributes(image)
    assert attributes == {"colors": ["yellow"], "shapes": ["square"], "positions": ["bottom left"]}
    # Darker but still nearest to yellow.
    image[0, 13:17, 3:7] = [0.6, 0.5, -0.8]
    assert read_shape_attributes(image)["colors"] == ["yellow"]


def test_errors(data):
    with pytest.raises(ValueError, match="same length"):
        caption_accuracy(data["images"][:5], data["captions"][:4])
    with pytest.raises(ValueError, match="rank 4"):
        read_shape_attributes(np.zeros((5, 28, 28)))
    with pytest.raises(ValueError, match="grammar"):
        caption_accuracy(data["images"][:1], ["a photo of a cat"])


def test_fast_on_ten_thousand_images(data):
    images = np.tile(data["images"], (20, 1, 1, 1))
    captions = data["captions"] * 20
    start = time.perf_counter()
    result = caption_accuracy(images, captions)
    elapsed = time.perf_counter() - start
    assert result["num_samples"] == 10000 and result["both"] == 1.0
    assert elapsed < 2.0, elapsed

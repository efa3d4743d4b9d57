"""Scene accuracy: shape reading validated on real data, and binding errors caught."""

import numpy as np
import pytest

import keras_mmgan as mm
from keras_mmgan.datasets.scenes import scene_caption
from keras_mmgan.metrics import read_shapes
from keras_mmgan.metrics import scene_accuracy


@pytest.mark.parametrize("image_size", [28, 32, 64])
def test_shapes_are_read_right_on_real_single_shapes(image_size):
    data = mm.datasets.shapes(1500, image_size=image_size, seed=5)
    read = mm.metrics.read_shape_attributes(data["images"])["shapes"]
    accuracy = np.mean([a == b for a, b in zip(read, data["shapes"])])
    assert accuracy >= 0.98
    scores = scene_accuracy(data["images"], data["captions"])
    assert scores["shape"] >= 0.98 and scores["binding"] >= 0.98


@pytest.mark.parametrize("image_size", [32, 64])
def test_every_object_is_read_right_on_real_scenes(image_size):
    data = mm.datasets.scenes(1000, image_size=image_size, seed=6)
    scores = scene_accuracy(data["images"], data["captions"])
    for key in ("color", "shape", "position", "binding", "caption"):
        assert scores[key] >= 0.98, (key, scores)
    assert scores["num_objects"] == sum(len(o) for o in data["objects"])
    assert scores["num_samples"] == 1000




def test_swapped_colours_are_a_binding_error():
    image = -np.ones((1, 32, 32, 3), np.float32)
    image[0, 4:11, 4:11] = [1, -1, -1]  # red square, top left
    image[0, 21:28, 21:28] = [-1, -1, 1]  # blue square, bottom right
    right = "a red square at the top left and a blue square at the bottom right"
    swapped = "a blue square at the top left and a red square at the bottom right"
    assert scene_accuracy(image, [right])["binding"] == 1.0
    scores = scene_accuracy(image, [swapped])
    # Both colours and both shapes are there; neither object is bound right.
    assert scores["shape"] == 1.0 and scores["position"] == 1.0
    assert scores["color"] == 0.0 and scores["binding"] == 0.0 and scores["caption"] == 0.0


def test_missing_and_extra_objects():
    image = -np.ones((1, 32, 32, 3), np.float32)
    image[0, 4:11, 4:11] = [1, -1, -1]  # red square, top left
    two = "a red square at the top left and a green circle at the center"
    scores = scene_accuracy(image, [two])
    assert scores["binding"] == 0.5 and scores["caption"] == 0.0 and scores["num_objects"] == 2
    image[0, 21:28, 21:28] = [-1, 1, -1]  # an unnamed green square
    scores = scene_accuracy(image, ["a red square at the top left"])
    assert scores["binding"] == 1.0 and scores["caption"] == 0.0
    # Specks below min_pixels are not objects.
    image[0, 21:28, 21:28] = -1
    image[0, 25, 25] = 1
    assert scene_accuracy(image, ["a red square at the top left"])["caption"] == 1.0
    assert scene_accuracy(-np.ones((1, 32, 32, 3)), ["a red square at the top left"])["color"] == 0


def test_read_shapes_of_hand_drawn_masks():
    masks = np.zeros((3, 16, 16), bool)
    masks[0, 3:11, 3:11] = True
    yy, xx = np.mgrid[:16, :16] + 0.5
    masks[1] = (yy - 8) ** 2 + (xx - 8) ** 2 <= 25
    masks[2] = (yy >= 3) & (yy <= 12) & (np.abs(xx - 8) <= (yy - 3) / 2)
    assert read_shapes(masks) == ["square", "circle", "triangle"]
    assert read_shapes(np.zeros((1, 4, 4), bool)) == [None]


def test_errors_name_the_problem():
    data = mm.datasets.scenes(4, seed=0)
    with pytest.raises(ValueError, match="same length"):
        scene_accuracy(data["images"], data["captions"][:3])
    with pytest.raises(ValueError, match="names two objects at the center"):
        scene_accuracy(data["images"][:1], ["a red circle at the center and a red square at the center"])
    with pytest.raises(TypeError, match="not a single string"):
        scene_accuracy(data["images"][:1], "a red circle at the center")

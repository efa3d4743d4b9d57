"""Scenes of several shapes: captions, distinct positions, separated objects, held-out objects."""

import numpy as np
import pytest
from scipy import ndimage

import keras_mmgan as mm
from keras_mmgan.datasets.scenes import parse_scene_caption
from keras_mmgan.datasets.scenes import scene_caption


def test_scenes_are_seeded_and_their_captions_name_every_object():
    data = mm.datasets.scenes(300, seed=4)
    again = mm.datasets.scenes(300, seed=4)
    np.testing.assert_array_equal(data["images"], again["images"])
    assert data["captions"] == again["captions"]
    assert not np.array_equal(data["images"], mm.datasets.scenes(300, seed=5)["images"])
    assert data["images"].shape == (300, 32, 32, 3) and data["images"].dtype == np.float32
    counts = [len(objects) for objects in data["objects"]]
    assert set(counts) == {1, 2, 3}
    for caption, objects, image in zip(data["captions"], data["objects"], data["images"]):
        assert parse_scene_caption(caption) == objects
        assert len({position for _, _, position in objects}) == len(objects)
        # One separate blob per object, each at least 7x7 pixels' worth.
        labels, found = ndimage.label(image.max(-1) > 0, structure=np.ones((3, 3)))
        assert found == len(objects)
        assert min(np.bincount(labels.ravel())[1:]) >= 25
    assert set(np.unique(data["images"])) <= {-1.0, 1.0}


def test_scenes_hold_out_colour_shape_combinations():
    data = mm.datasets.scenes(400, max_objects=3, seed=1,
                              exclude_objects=mm.datasets.held_out_objects())
    drawn = {(c, s) for objects in data["objects"] for c, s, _ in objects}
    assert drawn.isdisjoint({("red", "triangle"), ("green", "circle"), ("cyan", "square")})
    assert len(drawn) == 15
    only = mm.datasets.scenes(20, seed=0, exclude_objects=[
        (c, s) for c in mm.datasets.COLORS for s in mm.datasets.SHAPES if (c, s) != ("red", "square")
    ])
    assert all(c == "red" and s == "square" for o in only["objects"] for c, s, _ in o)


def test_min_and_max_objects():
    data = mm.datasets.scenes(50, min_objects=3, max_objects=3, image_size=64, seed=0)
    assert all(len(objects) == 3 for objects in data["objects"])
    assert data["images"].shape[1:] == (64, 64, 3)
    single = mm.datasets.scenes(20, max_objects=1, seed=0)
    assert all(" and " not in caption for caption in single["captions"])


def test_a_caption_with_two_objects_at_one_position_is_refused():
    with pytest.raises(ValueError, match="names two objects at the top left"):
        parse_scene_caption("a red circle at the top left and a blue square at the top left")
    with pytest.raises(ValueError, match="names two objects at the center"):
        scene_caption([("red", "circle", "center"), ("blue", "square", "center")])
    with pytest.raises(ValueError, match="the phrase 'a red blob at the center'"):
        parse_scene_caption("a red circle at the top left and a red blob at the center")
    assert parse_scene_caption("A red circle at the  top left") == [("red", "circle", "top left")]


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(num_samples=0), "num_samples"),
        (dict(num_samples=2, image_size=8), "image_size"),
        (dict(num_samples=2, max_objects=6), "max_objects"),
        (dict(num_samples=2, min_objects=3, max_objects=2), "min_objects"),
        (dict(num_samples=2, exclude_objects=["red blob"]), "exclude_objects"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        mm.datasets.scenes(**kwargs)

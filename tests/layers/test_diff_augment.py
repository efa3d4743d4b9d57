"""DiffAugment and AdaptiveAugment: each op does what the paper says, differentiably."""

import keras
import numpy as np
import pytest

from keras_mmgan import backend
from keras_mmgan.layers import AdaptiveAugment
from keras_mmgan.layers import DiffAugment
from keras_mmgan.layers.diff_augment import OPS
from keras_mmgan.layers.diff_augment import parse_policy


def square_images(n=8, side=16, channels=3, seed=0):
    """A bright square on a black (-1) background, at a random place in each image."""
    rng = np.random.default_rng(seed)
    images = -np.ones((n, side, side, channels), "float32")
    for image in images:
        y, x = rng.integers(3, side - 7, 2)
        image[y : y + 4, x : x + 4] = rng.uniform(-0.5, 1, channels)
    return images


def run(policy, images, **kwargs):
    return np.asarray(DiffAugment(policy, seed=kwargs.pop("seed", 0), **kwargs)(images))


def test_policy_names():
    assert parse_policy("color,translation,cutout") == (
        "brightness", "saturation", "contrast", "translation", "cutout"
    )
    assert parse_policy(" flip , color, flip") == ("flip", "brightness", "saturation", "contrast")


@pytest.mark.parametrize("policy", ["colour", "color,shear", ""])
def test_an_unknown_policy_is_named(policy):
    with pytest.raises(ValueError, match="policy"):
        DiffAugment(policy)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"probability": 1.5}, "probability"), ({"probability": -0.1}, "probability"),
     ({"fill": "reflect"}, "fill"), ({"cutout_ratio": 2}, "cutout_ratio")],
)
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DiffAugment("color", **kwargs)


def test_policy_must_be_a_string():
    with pytest.raises(TypeError, match="policy"):
        DiffAugment(["color"])


@pytest.mark.parametrize("policy", OPS + ("color,translation,cutout",))
def test_gradients_flow_through_every_op(policy):
    images = keras.ops.convert_to_tensor(square_images())
    augment = DiffAugment(policy, seed=0)
    gradients = np.asarray(backend.input_gradients(lambda x: augment(x) ** 2, images))
    assert np.all(np.isfinite(gradients)) and np.abs(gradients).sum() > 0


def test_brightness_adds_one_offset_per_image_within_half():
    images = square_images()
    offsets = (run("brightness", images) - images).reshape(len(images), -1)
    np.testing.assert_allclose(offsets, offsets[:, :1] * np.ones_like(offsets), atol=1e-6)
    assert np.all(np.abs(offsets) <= 0.5) and np.ptp(offsets[:, 0]) > 0.1


def test_saturation_leaves_gray_images_and_contrast_the_mean():
    gray = np.repeat(square_images(channels=1), 3, axis=-1)
    np.testing.assert_allclose(run("saturation", gray), gray, atol=1e-6)
    images = square_images()
    np.testing.assert_allclose(
        run("contrast", images).mean(axis=(1, 2, 3)), images.mean(axis=(1, 2, 3)), atol=1e-5
    )


def _shifts(original, shifted, limit):
    return [
        (dy, dx)
        for dy in range(-limit, limit + 1)
        for dx in range(-limit, limit + 1)
        if np.allclose(np.roll(original, (dy, dx), axis=(0, 1)), shifted, atol=1e-6)
    ]


def test_translation_shifts_by_up_to_an_eighth_and_fills_with_the_background():
    images = square_images(n=16)
    translated = run("translation", images)  # fill="edge": the black background
    limit = round(16 / 8)
    found = [_shifts(a, b, limit) for a, b in zip(images, translated)]
    assert all(found), "every image is a shift of its original within 1/8 of the side"
    assert len({shift[0] for shift in found}) > 1  # per-image shifts


def test_translation_with_zeros_fills_the_uncovered_border_with_zeros():
    images = -np.ones((16, 16, 16, 1), "float32")
    translated = run("translation", images, fill="zeros")
    assert set(np.unique(translated)) <= {-1.0, 0.0}
    assert (translated == 0).any()


def test_cutout_zeroes_one_square_of_half_the_side():
    images = np.ones((16, 16, 16, 1), "float32")
    cut = run("cutout", images)[..., 0]
    for image in cut:
        rows, cols = np.nonzero(image == 0)
        assert rows.size, "something is cut"
        height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
        assert height <= 8 and width <= 8 and rows.size == height * width  # a rectangle
    assert (cut == 0).sum(axis=(1, 2)).max() == 64  # uncut by the border: 8 x 8


def test_flip_and_rotation_give_a_mirror_or_a_quarter_turn():
    images = square_images(n=16)
    flipped, turned = run("flip", images), run("rotation", images)
    for x, f, r in zip(images, flipped, turned):
        assert np.array_equal(f, x) or np.array_equal(f, x[:, ::-1])
        assert any(np.array_equal(r, np.rot90(x, k)) for k in range(4))
    assert not np.array_equal(flipped, images) and not np.array_equal(turned, images)


def test_a_pair_gets_the_same_geometric_transform():
    images = square_images(n=8)
    source = images[..., :1]
    augment = DiffAugment("translation,cutout,flip,rotation", seed=3)
    augmented_source, augmented = (np.asarray(t) for t in augment([source, images]))
    np.testing.assert_allclose(augmented_source, augmented[..., :1], atol=1e-6)


def test_probability_zero_and_inference_leave_images_alone():
    images = square_images()
    np.testing.assert_array_equal(run("color,translation,cutout", images, probability=0.0), images)
    augment = DiffAugment("color,translation,cutout", seed=0)
    np.testing.assert_array_equal(np.asarray(augment(images, training=False)), images)


def test_the_same_seed_draws_the_same_augmentations_and_the_config_round_trips():
    images = square_images()
    augment = DiffAugment("color,cutout", translation_ratio=0.25, fill="zeros", seed=5)
    clone = DiffAugment.from_config(augment.get_config())
    np.testing.assert_array_equal(np.asarray(augment(images)), np.asarray(clone(images)))
    assert clone.get_config() == augment.get_config()


# ------------------------------------------------------------------------------------------- #
# Adaptive augmentation.
# ------------------------------------------------------------------------------------------- #
def test_adaptive_p_moves_towards_the_target_every_interval_and_stays_in_0_1():
    augment = AdaptiveAugment(target=0.6, speed_images=1000, interval=2, seed=0)
    augment.observe(1.0, 50)
    assert float(augment.probability) == 0.0  # not due yet
    augment.observe(0.8, 50)  # mean r_t 0.9 > 0.6 over 100 images: + 0.1
    np.testing.assert_allclose(float(augment.probability), 0.1, atol=1e-6)
    np.testing.assert_allclose(float(augment.rt), 0.9, atol=1e-6)
    for _ in range(4):
        augment.observe(-1.0, 50)  # D unsure of the reals: p falls, not below 0
    assert float(augment.probability) == 0.0
    for _ in range(40):
        augment.observe(1.0, 100)
    assert float(augment.probability) == 1.0


@pytest.mark.parametrize(
    "kwargs, name",
    [({"target": 1.0}, "target"), ({"target": 0}, "target"), ({"speed_images": 0}, "speed_images"),
     ({"interval": 0}, "interval"), ({"probability": 2.0}, "probability")],
)
def test_adaptive_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        AdaptiveAugment(**kwargs)

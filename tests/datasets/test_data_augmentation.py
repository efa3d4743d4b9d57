"""datasets.augmentation: the guide's crops, flips, rotations and colour changes, in tf.data."""

import numpy as np
import pytest
import tensorflow as tf

from keras_mmgan import datasets


def images(n=8, side=32, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, side, side, 3)).astype("float32")


def test_the_layers_asked_for_in_order():
    augment = datasets.augmentation(
        crop_size=24, load_size=28, rotation=0.05, brightness=0.2, contrast=0.3
    )
    assert [type(layer).__name__ for layer in augment.layers] == [
        "Resizing", "RandomCrop", "RandomFlip", "RandomRotation", "RandomBrightness",
        "RandomContrast",
    ]


def test_it_augments_in_a_tf_data_map_and_only_in_training():
    x = images()
    augment = datasets.augmentation(crop_size=24, rotation=0.1, brightness=0.2, seed=0)
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(4)
    out = np.concatenate(list(dataset.map(lambda b: augment(b, training=True)).as_numpy_iterator()))
    assert out.shape == (8, 24, 24, 3)
    assert out.min() >= -1 - 1e-6 and out.max() <= 1 + 1e-6  # the [-1, 1] range is kept
    colour_only = datasets.augmentation(flip=False, brightness=0.2, contrast=0.3, seed=0)
    np.testing.assert_array_equal(np.asarray(colour_only(x, training=False)), x)
    assert not np.allclose(np.asarray(colour_only(x, training=True)), x)


def test_cycle_gan_preprocessing_is_built_on_it():
    layers = datasets.cycle_gan_preprocessing(40, 32, seed=0).layers
    assert [type(layer).__name__ for layer in layers] == ["Resizing", "RandomCrop", "RandomFlip"]


@pytest.mark.parametrize(
    "kwargs, name",
    [({"rotation": 0.7}, "rotation"), ({"brightness": -0.1}, "brightness"),
     ({"contrast": 2}, "contrast"), ({"crop_size": 0}, "crop_size"),
     ({"crop_size": 32, "load_size": 28}, "load_size"), ({"flip": False}, "at least one op")],
)
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        datasets.augmentation(**kwargs)

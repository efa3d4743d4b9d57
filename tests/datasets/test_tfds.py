"""Tests of `load_tfds` on fake TFDS data (`tfds.testing.mock_data`): no download."""

import logging
import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_mmgan.datasets import cycle_gan_preprocessing
from keras_mmgan.datasets import load_cycle_gan
from keras_mmgan.datasets import load_tfds

tfds = pytest.importorskip("tensorflow_datasets")
logging.getLogger("absl").setLevel(logging.ERROR)


def _batches(dataset):
    return [tf.nest.map_structure(lambda t: t.numpy(), batch) for batch in dataset]


def test_mnist_supervised_shapes_dtypes_range():
    with tfds.testing.mock_data(num_examples=20):
        batches = _batches(load_tfds("mnist", batch_size=8))
    assert [images.shape for images, _ in batches] == [(8, 28, 28, 1), (8, 28, 28, 1),
                                                       (4, 28, 28, 1)]
    for images, labels in batches:
        assert images.dtype == np.float32 and labels.dtype == np.int32
        assert labels.shape == (len(images),)
        assert images.min() >= -1.0 and images.max() <= 1.0
        assert labels.min() >= 0 and labels.max() < 10
    images = np.concatenate([images for images, _ in batches])
    # uint8 pixels p map to p / 127.5 - 1: the fake data spans the whole range.
    assert images.min() == -1.0 and images.max() > 0.95
    np.testing.assert_allclose((images + 1.0) * 127.5, np.round((images + 1.0) * 127.5), atol=1e-3)


def test_unsupervised_yields_images_only_and_drop_remainder():
    with tfds.testing.mock_data(num_examples=20):
        dataset = load_tfds("cifar10", split="test", batch_size=8, as_supervised=False,
                            drop_remainder=True)
        batches = _batches(dataset)
    assert dataset.element_spec == tf.TensorSpec((8, 32, 32, 3), tf.float32)
    assert len(batches) == 2
    assert all(b.shape == (8, 32, 32, 3) and -1.0 <= b.min() and b.max() <= 1.0 for b in batches)


@pytest.mark.parametrize("image_size, expected", [(32, (32, 32)), ((16, 20), (16, 20))])
def test_resizing(image_size, expected):
    with tfds.testing.mock_data(num_examples=6):
        images, labels = next(iter(load_tfds("fashion_mnist", batch_size=6,
                                             image_size=image_size)))
    assert images.shape == (6, *expected, 1) and images.dtype == tf.float32
    assert labels.shape == (6,)
    assert -1.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0


def test_images_of_varying_size_need_image_size():
    # cycle_gan images are stored as (None, None, 3); the fake ones have random sizes.
    with tfds.testing.mock_data(num_examples=5):
        with pytest.raises(ValueError, match="image_size"):
            load_tfds("cycle_gan/horse2zebra", split="trainA")
        batch = next(iter(load_tfds("cycle_gan/horse2zebra", split="trainA", batch_size=5,
                                    image_size=24, as_supervised=False)))
    assert batch.shape == (5, 24, 24, 3)


def test_cycle_gan_splits_one_image_per_batch_keep_their_size():
    # cycle_gan configs: features `image` (any size) and `label` (0 = A, 1 = B), four splits.
    with tfds.testing.mock_data(num_examples=3):
        for split in ("trainA", "trainB", "testA", "testB"):
            batches = _batches(load_tfds("cycle_gan/horse2zebra", split=split, batch_size=1,
                                         shuffle=False))
            assert len(batches) == 3
            assert len({images.shape for images, _ in batches}) > 1  # fake sizes vary
            for images, labels in batches:
                assert images.shape[0] == 1 and images.shape[-1] == 3
                assert images.dtype == np.float32
                assert -1.0 <= images.min() and images.max() <= 1.0
                assert labels.shape == (1,) and labels.dtype == np.int32

def test_shuffle_is_seeded():
    def labels(**kwargs):
        with tfds.testing.mock_data(num_examples=40):
            return np.concatenate([y for _, y in _batches(load_tfds("mnist", batch_size=40,
                                                                    **kwargs))])

    unshuffled = labels(shuffle=False)
    np.testing.assert_array_equal(labels(seed=1), labels(seed=1))
    assert sorted(labels(seed=1).tolist()) == sorted(unshuffled.tolist())
    assert not np.array_equal(labels(seed=1), unshuffled)


@pytest.fixture
def mnist_metadata(tmp_path):
    """TFDS metadata for mnist with known 'train' and 'test' splits, as a prepared data set has."""
    builder = tfds.builder("mnist", data_dir=str(tmp_path))
    info = builder.info
    info.set_splits(tfds.core.SplitDict([
        tfds.core.SplitInfo(name=name, shard_lengths=[10], num_bytes=0)
        for name in ("train", "test")
    ]))
    directory = os.path.join(tmp_path, "mnist", str(builder.version))
    os.makedirs(directory, exist_ok=True)
    info.write_to_directory(directory)
    return str(tmp_path)


def test_unknown_split_is_reported(mnist_metadata):
    with tfds.testing.mock_data(num_examples=10, data_dir=mnist_metadata):
        with pytest.raises(ValueError, match=r"'validation'.*\['test', 'train'\]"):
            load_tfds("mnist", split="validation")
        with pytest.raises(ValueError, match="'valid'"):
            load_tfds("mnist", split="train[:50%]+valid")
        # Slices and unions of known splits pass.
        images, _ = next(iter(load_tfds("mnist", split="train[:50%]+test", batch_size=4)))
    assert images.shape == (4, 28, 28, 1)


def test_unknown_dataset_passes_through():
    with pytest.raises(Exception, match="not found"):
        load_tfds("no_such_dataset_keras_mmgan")


def test_missing_data_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_tfds("mnist", data_dir=str(tmp_path), download=False)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 2.0}, TypeError, "batch_size"),
        ({"image_size": (32,)}, ValueError, "image_size"),
        ({"image_size": -4}, ValueError, "image_size"),
        ({"split": ["train", "test"]}, TypeError, "split"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_tfds("mnist", **kwargs)


def test_missing_tensorflow_datasets_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # import fails
    with pytest.raises(ImportError, match=r"keras-mmgan\[tfds\]"):
        load_tfds("mnist")


def _windows(image, size):
    """Every size x size window of `image` and of its mirror image."""
    height, width = image.shape[:2]
    return [
        (flipped, view[i:i + size, j:j + size])
        for flipped, view in ((False, image), (True, image[:, ::-1]))
        for i in range(height - size + 1)
        for j in range(width - size + 1)
    ]


def test_cycle_gan_preprocessing_layers_and_test_time_resizing():
    train = cycle_gan_preprocessing(load_size=40, crop_size=32, seed=1)
    assert [type(layer) for layer in train.layers] == [
        keras.layers.Resizing, keras.layers.RandomCrop, keras.layers.RandomFlip]
    assert train.layers[0].get_config()["height"] == 40
    assert train.layers[1].get_config()["height"] == 32
    assert train.layers[2].get_config()["mode"] == "horizontal"
    test = cycle_gan_preprocessing(load_size=40, crop_size=32, training=False)
    assert [type(layer) for layer in test.layers] == [keras.layers.Resizing]
    images = np.random.default_rng(0).uniform(-1, 1, (2, 50, 60, 3)).astype("float32")
    resized = keras.ops.convert_to_numpy(test(images))
    np.testing.assert_allclose(
        resized, keras.ops.convert_to_numpy(keras.layers.Resizing(32, 32)(images)))


def test_cycle_gan_preprocessing_crops_and_flips_in_a_tf_data_map():
    image = np.random.default_rng(0).uniform(-1, 1, (50, 60, 3)).astype("float32")
    resized = keras.ops.convert_to_numpy(keras.layers.Resizing(40, 40)(image))
    windows = _windows(resized, 32)

    def augmented(seed):
        augment = cycle_gan_preprocessing(load_size=40, crop_size=32, seed=seed)
        dataset = tf.data.Dataset.from_tensors(image).repeat(12)
        return [x.numpy() for x in dataset.map(lambda x: augment(x, training=True))]

    outputs = augmented(seed=3)
    assert all(x.shape == (32, 32, 3) and -1.0 <= x.min() and x.max() <= 1.0 for x in outputs)
    found = []
    for x in outputs:  # each output is a window of the resized image, flipped or not
        matches = [(flipped, i) for i, (flipped, window) in enumerate(windows)
                   if np.allclose(window, x, atol=1e-6)]
        assert len(matches) == 1
        found.append(matches[0])
    assert {flipped for flipped, _ in found} == {False, True}
    assert len({index for _, index in found}) > 4  # different crops
    for x, y in zip(outputs, augmented(seed=3)):  # seeded
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"load_size": 30, "crop_size": 32}, ValueError, "load_size must be >= crop_size"),
        ({"crop_size": 0}, ValueError, "crop_size"),
        ({"load_size": 2.5}, TypeError, "load_size"),
        ({"seed": "a"}, TypeError, "seed"),
    ],
)
def test_cycle_gan_preprocessing_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        cycle_gan_preprocessing(**kwargs)


def test_load_cycle_gan_train_and_test_sets():
    with tfds.testing.mock_data(num_examples=6):
        train, test_a, test_b = load_cycle_gan(batch_size=2, load_size=40, crop_size=32, seed=0)
        epoch_1, epoch_2 = _batches(train), _batches(train)
        again = _batches(load_cycle_gan("cycle_gan/horse2zebra", batch_size=2, load_size=40,
                                        crop_size=32, seed=0)[0])
        tests = [np.concatenate(_batches(test)) for test in (test_a, test_b)]
        originals = [
            [images[0] for images in _batches(load_tfds(
                "cycle_gan/horse2zebra", split=split, batch_size=1, shuffle=False,
                as_supervised=False))]
            for split in ("trainA", "testA")
        ]
    assert train.element_spec == (tf.TensorSpec((2, 32, 32, 3), tf.float32),) * 2
    assert len(epoch_1) == 3
    for images_x, images_y in epoch_1 + epoch_2:
        assert images_x.shape == images_y.shape == (2, 32, 32, 3)
        for images in (images_x, images_y):
            assert images.dtype == np.float32 and -1.0 <= images.min() and images.max() <= 1.0
    # Seeded: the same seed gives the same first epoch; the next epoch draws new crops, flips
    # and orders.
    for (x1, y1), (x2, y2) in zip(epoch_1, again):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    assert not all(np.array_equal(x1, x2) for (x1, _), (x2, _) in zip(epoch_1, epoch_2))
    # Training images are crops (maybe mirrored) of the originals resized to load_size.
    resize = keras.layers.Resizing(40, 40)
    windows = [window for image in originals[0]
               for _, window in _windows(keras.ops.convert_to_numpy(resize(image)), 32)]
    for images_x, _ in epoch_1:
        for image in images_x:
            assert min(np.abs(window - image).max() for window in windows) < 1e-6
    # Test images: every image, in order, resized to crop_size.
    assert tests[0].shape == tests[1].shape == (6, 32, 32, 3)
    expected = np.stack([keras.ops.convert_to_numpy(keras.layers.Resizing(32, 32)(image))
                         for image in originals[1]])
    np.testing.assert_allclose(tests[0], expected, atol=1e-6)


def test_load_cycle_gan_bad_arguments():
    with pytest.raises(TypeError, match="name"):
        load_cycle_gan(name=None)
    with pytest.raises(ValueError, match="batch_size"):
        load_cycle_gan(batch_size=0)
    with pytest.raises(ValueError, match="load_size must be >= crop_size"):
        load_cycle_gan(load_size=64, crop_size=128)

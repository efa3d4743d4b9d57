"""Tests of `load_tfds` on fake TFDS data (`tfds.testing.mock_data`): no download."""

import logging
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

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

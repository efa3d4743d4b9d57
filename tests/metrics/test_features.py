"""Feature extraction: sources, batching, the InceptionV3 path offline, the protocol."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_mmgan import models
from keras_mmgan.datasets.pipeline import make_dataset
from keras_mmgan.metrics import features as features_module
from keras_mmgan.metrics.features import INCEPTION_INPUT_SIZE
from keras_mmgan.metrics.features import INCEPTION_NAME
from keras_mmgan.metrics.features import INCEPTION_RESIZER
from keras_mmgan.metrics.features import extract_features
from keras_mmgan.metrics.features import inception_extractor
from keras_mmgan.metrics.features import iterate_features
from keras_mmgan.metrics.features import score_protocol
from keras_mmgan.metrics.fid import FeatureStatistics


def small_extractor(input_shape=(8, 8, 1), num_features=5):
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(num_features)(x), name="small")


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(-1, 1, size=(37, 8, 8, 1)).astype("float32")


def test_array_source_in_batches(images):
    extractor = small_extractor()
    expected = extractor.predict(images, verbose=0)
    shapes = [batch.shape for batch in iterate_features(images, extractor, batch_size=16)]
    assert shapes == [(16, 5), (16, 5), (5, 5)]
    np.testing.assert_allclose(
        extract_features(images, extractor, batch_size=16), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        extract_features(images, extractor, batch_size=16, num_samples=20), expected[:20],
        rtol=1e-5, atol=1e-6,
    )
    with pytest.raises(ValueError, match="num_samples \\(50\\) is larger than the 37 samples"):
        extract_features(images, extractor, num_samples=50)


def test_dataset_sources(images):
    extractor = small_extractor()
    expected = extractor.predict(images, verbose=0)
    labels = np.arange(len(images)) % 10
    tuples = make_dataset(images, labels, batch_size=10, shuffle=False, drop_remainder=False)
    np.testing.assert_allclose(
        extract_features(tuples, extractor, batch_size=4), expected, rtol=1e-5, atol=1e-6
    )
    plain = tf.data.Dataset.from_tensor_slices(images).batch(16)
    np.testing.assert_allclose(
        extract_features(plain, extractor, num_samples=21), expected[:21], rtol=1e-5, atol=1e-6
    )
    dicts = tf.data.Dataset.from_tensor_slices({"images": images, "labels": labels}).batch(8)
    assert extract_features(dicts, extractor).shape == (37, 5)
    with pytest.raises(ValueError, match="num_samples is required for an infinite"):
        extract_features(plain.repeat(), extractor)
    assert extract_features(plain.repeat(), extractor, num_samples=50).shape == (50, 5)
    with pytest.raises(ValueError, match="larger than the 37 samples of the dataset"):
        extract_features(plain, extractor, num_samples=40)


def test_streaming_into_feature_statistics(images):
    extractor = small_extractor()
    stats = FeatureStatistics()
    for batch in iterate_features(images, extractor, batch_size=10):
        stats.update(batch)
    all_features = extract_features(images, extractor)
    np.testing.assert_allclose(stats.covariance, np.cov(all_features, rowvar=False), atol=1e-6)


class FakeGAN:
    """Records generate calls; images depend on the seed only."""

    def __init__(self):
        self.calls = []

    def generate(self, num_samples=None, seed=None, batch_size=256):
        self.calls.append((num_samples, seed))
        rng = np.random.default_rng(seed)
        return rng.uniform(-1, 1, size=(num_samples, 8, 8, 1)).astype("float32")


def test_gan_source_generates_in_batches_with_distinct_reproducible_seeds():
    extractor = small_extractor()
    gan = FakeGAN()
    first = extract_features(gan, extractor, batch_size=16, num_samples=40, seed=3)
    assert [count for count, _ in gan.calls] == [16, 16, 8]
    seeds = [seed for _, seed in gan.calls]
    assert len(set(seeds)) == 3
    np.testing.assert_array_equal(extract_features(gan, extractor, 16, 40, seed=3), first)
    extract_features(gan, extractor, batch_size=40, num_samples=40)
    assert gan.calls[-1] == (40, None)  # no seed: the model's own noise stream
    with pytest.raises(ValueError, match="num_samples is required to generate"):
        extract_features(gan, extractor)


def test_real_gan_and_function_sources():
    latents = keras.Input((4,))
    pixels = keras.layers.Dense(64, activation="tanh")(latents)
    generator = keras.Model(latents, keras.layers.Reshape((8, 8, 1))(pixels))
    discriminator = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                      keras.layers.Dense(1)])
    gan = models.GAN(generator, discriminator, latent_dim=4, seed=0)
    extractor = small_extractor()
    first = extract_features(gan, extractor, batch_size=8, num_samples=20, seed=1)
    assert first.shape == (20, 5)
    np.testing.assert_allclose(extract_features(gan, extractor, 8, 20, seed=1), first, atol=1e-6)
    assert not np.allclose(first[:8], first[8:16])  # batches differ
    function_features = extract_features(
        lambda n: gan.generate(num_samples=n), extractor, batch_size=8, num_samples=12
    )
    assert function_features.shape == (12, 5)
    with pytest.raises(TypeError, match="keras.Model without a generate method"):
        extract_features(generator, extractor, num_samples=4)


def test_identity_extractor_and_bad_extractors(images):
    np.testing.assert_array_equal(extract_features(images, None), images.reshape(37, -1))
    with pytest.raises(ValueError, match="images must have shape \\('batch', 8, 8, 3\\)"):
        extract_features(images, small_extractor(input_shape=(8, 8, 3)))
    conv = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3)])
    with pytest.raises(ValueError, match="extractor must return features \\(batch, num_"):
        extract_features(images, conv)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        extract_features(images, None, batch_size=0)


def test_inception_extractor_offline_on_small_grayscale_images():
    extractor = inception_extractor(weights=None, input_shape=(28, 28, 1))
    assert extractor.name == INCEPTION_NAME
    assert extractor.output_shape == (None, 2048)
    resize = extractor.get_layer("resize_to_299")
    config = resize.get_config()
    assert (config["height"], config["width"], config["interpolation"]) == (299, 299, "bilinear")
    assert not config.get("antialias", False)
    assert extractor.get_layer("grayscale_to_rgb") is not None
    digits = np.random.default_rng(1).uniform(-1, 1, size=(3, 28, 28, 1)).astype("float32")
    result = extract_features(digits, extractor, batch_size=2)
    assert result.shape == (3, 2048) and np.all(np.isfinite(result))


def test_inception_extractor_requests_imagenet_weights(monkeypatch):
    requests = []

    def fake_inception(**kwargs):
        requests.append(kwargs)
        inputs = keras.Input(kwargs["input_shape"])
        return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs), name="fake")

    def no_download(*args, **kwargs):
        raise AssertionError("tests must not download weights")

    monkeypatch.setattr(keras.applications, "InceptionV3", fake_inception)
    monkeypatch.setattr(keras.utils, "get_file", no_download)
    extractor = inception_extractor(input_shape=(32, 32, 3))
    assert requests == [
        {"include_top": False, "pooling": "avg", "weights": "imagenet",
         "input_shape": (299, 299, 3)}
    ]
    # RGB 32x32 in [-1, 1] reaches InceptionV3 resized to 299x299, with its values kept.
    constant = np.full((2, 32, 32, 3), 0.5, "float32")
    np.testing.assert_allclose(extractor.predict_on_batch(constant), 0.5, atol=1e-6)
    inception_extractor()  # 299x299 RGB inputs: no resize layer
    assert requests[-1]["weights"] == "imagenet"
    with pytest.raises(ValueError, match="input_shape must be \\(height, width, channels\\)"):
        inception_extractor(weights=None, input_shape=(28, 28, 2))


def test_score_protocol():
    protocol = score_protocol(INCEPTION_NAME, INCEPTION_INPUT_SIZE, INCEPTION_RESIZER, 10000, 5000)
    assert protocol == {
        "extractor": "inception_v3_pool",
        "input_size": [299, 299],
        "resizer": INCEPTION_RESIZER,
        "num_real": 10000,
        "num_generated": 5000,
    }
    assert json.loads(json.dumps(protocol)) == protocol
    digits = score_protocol("digit_classifier/features", (28, 28), None, 1000, 1000)
    assert digits["resizer"] is None
    with pytest.raises(ValueError, match="input_size must be \\(height, width\\)"):
        score_protocol("x", (299,), None, 1, 1)
    with pytest.raises(ValueError, match="num_generated must be a non-negative int"):
        score_protocol("x", (28, 28), None, 1, -1)
    with pytest.raises(ValueError, match="extractor_name must be a non-empty str"):
        score_protocol("", (28, 28), None, 1, 1)
    assert features_module.INCEPTION_NUM_FEATURES == 2048

"""FrechetDistance: agreement with frechet_distance, streaming, extractors, evaluate, config."""

import keras
import numpy as np
import pytest

from keras_mmgan import metrics
from keras_mmgan.metrics.keras_metrics import FrechetDistance
from keras_mmgan.metrics.keras_metrics import float64_available

# The float64 precision claims; JAX without jax_enable_x64 has float32 only (tested below).
needs_float64 = pytest.mark.skipif(
    not float64_available(), reason="float64 unavailable (JAX without JAX_ENABLE_X64)"
)
DEFAULT_DTYPE = "float64" if float64_available() else "float32"


def correlated(rng, num_samples, num_features, scale=1.0, shift=0.0):
    mixing = rng.normal(size=(num_features, num_features)) / np.sqrt(num_features)
    return (rng.normal(size=(num_samples, num_features)) * scale + shift) @ mixing


def feed(metric, real, generated, real_splits, generated_splits):
    """Updates the metric with uneven batches: splits at the given row indices."""
    for real_batch, generated_batch in zip(
        np.split(real, real_splits), np.split(generated, generated_splits)
    ):
        metric.update_state(real_batch, generated_batch)


@needs_float64
@pytest.mark.parametrize("num_samples", [600, 20])  # 20 < 32: rank-deficient covariances
def test_matches_frechet_distance_over_uneven_batches(num_samples):
    rng = np.random.default_rng(0)
    real = correlated(rng, num_samples, 32)
    generated = correlated(rng, num_samples + 7, 32, scale=1.3, shift=0.2)
    metric = FrechetDistance(num_features=32)
    third = num_samples // 3
    feed(metric, real, generated, [third, third + 5, 2 * third], [1, third, 2 * third + 3])
    expected = metrics.frechet_distance(real, generated)
    assert expected > 1.0
    result = metric.result()
    assert keras.backend.standardize_dtype(result.dtype) == "float64"
    assert float(result) == pytest.approx(expected, rel=1e-4)


@needs_float64
def test_identical_sets_score_zero_and_reset_starts_over():
    rng = np.random.default_rng(1)
    features = correlated(rng, 300, 16, shift=3.0)
    metric = FrechetDistance(num_features=16)
    metric.update_state(features, features)
    assert abs(float(metric.result())) < 1e-6
    metric.reset_state()
    assert all(np.all(np.asarray(v) == 0) for v in metric.variables)
    assert np.isnan(float(metric.result()))  # no samples: undefined
    other = features[::-1] + 1.0
    metric.update_state(features, other)
    expected = metrics.frechet_distance(features, other)
    assert float(metric.result()) == pytest.approx(expected, rel=1e-4)


def test_float32_accumulators_agree_on_centered_features():
    rng = np.random.default_rng(2)
    real, generated = correlated(rng, 400, 8), correlated(rng, 400, 8, scale=1.5)
    metric = FrechetDistance(num_features=8, dtype="float32")
    metric.update_state(real.astype("float32"), generated.astype("float32"))
    assert keras.backend.standardize_dtype(metric.result().dtype) == "float32"
    expected = metrics.frechet_distance(real, generated)
    assert float(metric.result()) == pytest.approx(expected, rel=1e-3)


def small_extractor():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(5),
        ],
        name="small_extractor",
    )


def test_feature_extractor_on_images_and_config_round_trip():
    rng = np.random.default_rng(3)
    real = rng.uniform(-1, 1, (90, 6, 6, 1)).astype("float32")
    generated = (rng.uniform(-1, 1, (70, 6, 6, 1)) * 0.5 + 0.3).astype("float32")
    extractor = small_extractor()
    metric = FrechetDistance(extractor)
    assert metric.num_features == 5
    feed(metric, real, generated, [40, 64], [10, 50])
    expected = metrics.frechet_distance(
        metrics.extract_features(real, extractor), metrics.extract_features(generated, extractor)
    )
    assert float(metric.result()) == pytest.approx(expected, rel=1e-4)

    config = metric.get_config()
    assert config["num_features"] == 5 and config["name"] == "frechet_distance"
    serialized = keras.saving.serialize_keras_object(metric)
    assert serialized["registered_name"] == "keras_mmgan>FrechetDistance"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert isinstance(restored, FrechetDistance)
    assert restored.num_features == 5 and restored.dtype == DEFAULT_DTYPE
    assert restored.feature_extractor.output_shape == (None, 5)


def test_inside_a_compiled_evaluate():
    # The model's predictions are the "generated" features, y the "real" ones.
    rng = np.random.default_rng(4)
    latents = rng.normal(size=(100, 3)).astype("float32")
    real = correlated(rng, 100, 4, shift=0.5).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    model.compile(loss="mse", metrics=[FrechetDistance(num_features=4)])
    for _ in range(2):  # evaluate resets the metric: the same score twice
        logs = model.evaluate(latents, real, batch_size=32, verbose=0, return_dict=True)
        expected = metrics.frechet_distance(real, model.predict(latents, verbose=0))
        assert logs["frechet_distance"] == pytest.approx(expected, rel=1e-4)


def test_argument_errors():
    with pytest.raises(ValueError, match="num_features is required"):
        FrechetDistance()
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        FrechetDistance(num_features=0)
    with pytest.raises(ValueError, match="must match the feature_extractor's 5 features"):
        FrechetDistance(small_extractor(), num_features=4)
    with pytest.raises(TypeError, match="feature_extractor must be a keras.Model"):
        FrechetDistance(lambda images: images, num_features=4)
    with pytest.raises(ValueError, match="dtype must be"):
        FrechetDistance(num_features=4, dtype="float16")
    metric = FrechetDistance(num_features=4)
    with pytest.raises(ValueError, match=r"y_pred must be features \(batch, 4\); got shape"):
        metric.update_state(np.zeros((3, 4)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="sample_weight"):
        metric.update_state(np.zeros((3, 4)), np.zeros((3, 4)), sample_weight=np.ones(3))


@pytest.mark.skipif(float64_available(), reason="the backend has float64")
def test_without_float64_the_default_is_float32_and_asking_for_float64_says_why():
    assert FrechetDistance(num_features=4).dtype == "float32"
    with pytest.raises(ValueError, match="JAX_ENABLE_X64"):
        FrechetDistance(num_features=4, dtype="float64")

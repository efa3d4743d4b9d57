"""FID: agreement with an independent NumPy/SciPy computation, streaming, edge cases."""

import warnings

import numpy as np
import pytest
import scipy.linalg

from keras_mmgan.metrics.fid import FeatureStatistics
from keras_mmgan.metrics.fid import frechet_distance
from keras_mmgan.metrics.fid import frechet_distance_from_statistics
from keras_mmgan.metrics.fid import trace_sqrt_product


def reference_fid(features_a, features_b):
    """The common route: np.cov and scipy.linalg.sqrtm of the product, real part."""
    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a = np.cov(features_a, rowvar=False)
    cov_b = np.cov(features_b, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sqrtm may warn on singular products
        root = np.real(scipy.linalg.sqrtm(cov_a @ cov_b))
    return float(
        np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root)
    )


def correlated(rng, num_samples, num_features, scale=1.0, shift=0.0):
    mixing = rng.normal(size=(num_features, num_features)) / np.sqrt(num_features)
    return (rng.normal(size=(num_samples, num_features)) * scale + shift) @ mixing


def test_matches_scipy_sqrtm_route():
    rng = np.random.default_rng(0)
    a = correlated(rng, 2000, 64)
    b = correlated(rng, 2000, 64, scale=1.2, shift=0.1)
    expected = reference_fid(a, b)
    assert expected > 1.0
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-4)
    assert frechet_distance(b, a) == pytest.approx(expected, rel=1e-4)


def test_matches_scipy_sqrtm_route_with_rank_deficient_covariances():
    # 40 samples of 64 features: both covariances have rank 39.
    rng = np.random.default_rng(1)
    a = correlated(rng, 40, 64)
    b = correlated(rng, 40, 64, scale=0.8, shift=0.2)
    assert np.linalg.matrix_rank(np.cov(a, rowvar=False)) == 39
    assert frechet_distance(a, b) == pytest.approx(reference_fid(a, b), rel=1e-4)


def test_rank_deficient_features_in_a_subspace_match_the_subspace_exactly():
    # Features on a 16-dimensional subspace of R^64 (an isometry): the distance is that of the
    # 16-dimensional coordinates, computed from full-rank covariances.
    rng = np.random.default_rng(2)
    basis, _ = np.linalg.qr(rng.normal(size=(64, 16)))
    a = rng.normal(size=(2000, 16))
    b = rng.normal(size=(2000, 16)) * 1.2 + 0.3
    expected = frechet_distance(a, b)
    assert frechet_distance(a @ basis.T, b @ basis.T) == pytest.approx(expected, rel=1e-9)
    assert reference_fid(a @ basis.T, b @ basis.T) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("num_samples", [2000, 40])
def test_distance_of_a_set_with_itself_is_zero(num_samples):
    rng = np.random.default_rng(3)
    a = correlated(rng, num_samples, 64, scale=5.0, shift=3.0)
    scale = np.trace(np.cov(a, rowvar=False))
    assert 0.0 <= frechet_distance(a, a) < 1e-6 * scale


def test_mean_shift_and_known_gaussians():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(1000, 8))
    shift = rng.normal(size=8)
    assert frechet_distance(a, a + shift) == pytest.approx(np.sum(shift**2), rel=1e-9)
    # Commuting (diagonal) covariances: tr((S_a S_b)^(1/2)) = sum sqrt(a_i b_i).
    assert trace_sqrt_product(np.diag([1.0, 4.0, 0.0]), np.diag([9.0, 1.0, 5.0])) == (
        pytest.approx(5.0)
    )
    assert trace_sqrt_product(np.zeros((3, 3)), np.eye(3)) == 0.0


def test_float32_inputs_are_computed_in_float64():
    rng = np.random.default_rng(5)
    a, b = correlated(rng, 500, 32), correlated(rng, 500, 32, shift=0.1)
    a32, b32 = a.astype("float32"), b.astype("float32")
    assert frechet_distance(a32, b32) == pytest.approx(
        frechet_distance(a32.astype("float64"), b32.astype("float64")), rel=1e-12
    )


def test_streaming_statistics_equal_the_batch_ones():
    rng = np.random.default_rng(6)
    features = correlated(rng, 1003, 16, scale=2.0, shift=5.0)
    stats = FeatureStatistics()
    for start in range(0, len(features), 97):
        stats.update(features[start : start + 97])
    stats.update(np.zeros((0, 16)))  # an empty batch changes nothing
    assert stats.count == 1003 and stats.num_features == 16
    np.testing.assert_allclose(stats.mean, features.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        stats.covariance, np.cov(features, rowvar=False), rtol=1e-10, atol=1e-12
    )
    other = correlated(rng, 500, 16, shift=0.5)
    assert frechet_distance_from_statistics(
        stats, FeatureStatistics().update(other)
    ) == pytest.approx(frechet_distance(features, other), rel=1e-10)


def test_merge_equals_statistics_of_the_concatenation():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(200, 8)) * 3 + 2
    merged = FeatureStatistics().update(a).merge(FeatureStatistics().update(b))
    merged.merge(FeatureStatistics())  # merging nothing changes nothing
    both = np.concatenate([a, b])
    assert merged.count == 500
    np.testing.assert_allclose(merged.mean, both.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(merged.covariance, np.cov(both, rowvar=False), rtol=1e-10)


def test_streaming_is_accurate_with_a_large_mean():
    # A raw sum of x x^T would lose the unit spread next to a mean of 1e6 (cancellation).
    rng = np.random.default_rng(8)
    features = rng.normal(size=(4000, 4)) + 1e6
    stats = FeatureStatistics()
    for start in range(0, 4000, 500):
        stats.update(features[start : start + 500])
    np.testing.assert_allclose(
        stats.covariance, np.cov(features - 1e6, rowvar=False), rtol=1e-6, atol=1e-8
    )


def test_invalid_inputs_name_the_argument():
    good = np.zeros((10, 3))
    with pytest.raises(ValueError, match="features_a must be rank 2"):
        frechet_distance(np.zeros(10), good)
    with pytest.raises(ValueError, match="features_b must hold at least 2 samples"):
        frechet_distance(good, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="same feature dimension; got 3 and 4"):
        frechet_distance(good, np.zeros((10, 4)))
    with pytest.raises(ValueError, match="features_a must be finite"):
        frechet_distance(np.full((10, 3), np.nan), good)
    with pytest.raises(ValueError, match="features_batch must have 3 features"):
        FeatureStatistics().update(good).update(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="features_batch must be rank 2"):
        FeatureStatistics().update(np.zeros((5, 4, 1)))
    with pytest.raises(ValueError, match="at least 2 samples; got 1"):
        FeatureStatistics().update(np.zeros((1, 3))).covariance
    with pytest.raises(ValueError, match="stats_b must hold at least 2 samples"):
        frechet_distance_from_statistics(FeatureStatistics().update(good), FeatureStatistics())
    with pytest.raises(TypeError, match="stats_a must be a FeatureStatistics"):
        frechet_distance_from_statistics((0.0, 1.0), FeatureStatistics().update(good))
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        FeatureStatistics(num_features=0)

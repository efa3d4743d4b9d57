"""KID: the unbiased MMD^2 estimator, its unbiasedness, and its response to a shift."""

import numpy as np
import pytest

from keras_mmgan.metrics.kid import kernel_distance
from keras_mmgan.metrics.kid import polynomial_kernel


def reference_mmd2_unbiased(x, y):
    """MMD^2_u written out with explicit sums over pairs (Bińkowski et al. 2018, eq. 2)."""
    d = x.shape[1]

    def k(u, v):
        return (np.dot(u, v) / d + 1.0) ** 3

    m = len(x)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2.0 * xy / m**2


def test_matches_the_written_out_estimator():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 5)), rng.normal(size=(20, 5)) + 0.3
    # One subset of all samples: a permutation of each set, so exactly MMD^2_u of the sets.
    mean, std = kernel_distance(x, y, num_subsets=1, subset_size=20)
    assert mean == pytest.approx(reference_mmd2_unbiased(x, y), rel=1e-10)
    assert std == 0.0


def test_polynomial_kernel():
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    np.testing.assert_allclose(polynomial_kernel(x, x), (x @ x.T / 2 + 1) ** 3)


def test_unbiased_over_independent_pairs_of_one_distribution():
    # 40 independent pairs of samples of N(0, I): the mean KID is within 3 standard errors of 0,
    # where the biased (V-statistic) MMD^2 on the same data is many standard errors above.
    unbiased, biased = [], []
    for repeat in range(40):
        rng = np.random.default_rng(100 + repeat)
        a, b = rng.normal(size=(200, 16)), rng.normal(size=(200, 16))
        unbiased.append(kernel_distance(a, b, num_subsets=10, subset_size=100, seed=repeat)[0])
        biased.append(
            polynomial_kernel(a, a).mean()
            + polynomial_kernel(b, b).mean()
            - 2 * polynomial_kernel(a, b).mean()
        )
    standard_error = np.std(unbiased, ddof=1) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 3 * standard_error
    assert np.mean(biased) > 10 * standard_error


def test_mean_over_subsets_is_near_zero_for_one_distribution():
    # Subsets of 100 from 20,000 samples hardly overlap, so the subset estimates are close to
    # independent and |mean| < 3 std / sqrt(num_subsets) is the bound of the issue.
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20000, 16)), rng.normal(size=(20000, 16))
    mean, std = kernel_distance(a, b, num_subsets=100, subset_size=100)
    assert abs(mean) < 3 * std / np.sqrt(100)


def test_clearly_positive_for_shifted_distributions():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16)) + 0.5
    mean, std = kernel_distance(a, b, num_subsets=20, subset_size=200)
    assert mean > 10 * std / np.sqrt(20)
    closer = kernel_distance(a, b - 0.25, num_subsets=20, subset_size=200)[0]
    assert 0 < closer < mean


def test_seed_makes_it_reproducible():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(300, 4)), rng.normal(size=(300, 4))
    first = kernel_distance(a, b, num_subsets=5, subset_size=50, seed=3)
    assert kernel_distance(a, b, num_subsets=5, subset_size=50, seed=3) == first
    assert kernel_distance(a, b, num_subsets=5, subset_size=50, seed=4) != first


def test_invalid_inputs_name_the_argument():
    a = np.zeros((50, 3))
    with pytest.raises(ValueError, match=r"subset_size must be in \[2, min\(N_a, N_b\)\] = "):
        kernel_distance(a, a, subset_size=1000)
    with pytest.raises(ValueError, match="same feature dimension"):
        kernel_distance(a, np.zeros((50, 4)), subset_size=10)
    with pytest.raises(ValueError, match="features_b must be rank 2"):
        kernel_distance(a, np.zeros(50), subset_size=10)
    with pytest.raises(ValueError, match="num_subsets must be a positive int"):
        kernel_distance(a, a, num_subsets=0, subset_size=10)

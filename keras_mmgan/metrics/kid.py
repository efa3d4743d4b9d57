"""Kernel Inception Distance (KID): unbiased polynomial-kernel MMD over random subsets.

KID (Bińkowski et al. 2018, section 3 and appendix D) is the squared maximum mean discrepancy
between two feature distributions under the cubic polynomial kernel

    k(x, y) = (x . y / d + 1)^3        (d: the feature dimension)

estimated without bias: on subsets `X` and `Y` of `m` samples each,

    MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) / (m (m - 1))
              - 2 sum_{i, j} k(x_i, y_j) / m^2.

Unlike FID, the estimate has no bias from the sample size: two samples of one distribution
give KID 0 on average, and it can come out negative. The score is the mean of the estimates
over `num_subsets` random subsets (drawn without replacement within a subset, independently
across subsets); their standard deviation shows its spread.

Reference:
    Bińkowski et al. 2018, "Demystifying MMD GANs", https://arxiv.org/abs/1801.01401.
"""

import numpy as np

from keras_mmgan.metrics.fid import _check_features
from keras_mmgan.validation import check_positive_int


def kernel_distance(features_a, features_b, num_subsets=100, subset_size=1000, seed=0):
    """Kernel distance (the KID formula) between two feature sets, with its spread over subsets.

    It is KID when the features are InceptionV3 pool features of images; on other features, report
    it under the extractor's name. Computed in float64; each subset costs three `(m, m)` kernel
    matrices, so the defaults on 2,048-dimensional features take some seconds.

    Args:
        features_a: array `(N_a, D)` of finite features (e.g. real images).
        features_b: array `(N_b, D)` of finite features (e.g. generated images), same `D`.
        num_subsets: number of random subset pairs, a positive int.
        subset_size: samples per subset `m`, an int `>= 2` and at most `min(N_a, N_b)` (it is an
            error, not a silent change of protocol, to ask for more samples than there are).
        seed: seed of the subset draws (`numpy.random.default_rng(seed)`).

    Returns:
        A tuple `(mean, std)` of Python floats: the mean of the unbiased MMD^2 estimates over the
        subsets (the score) and their standard deviation (`ddof=0`, as torch-fidelity reports).

    Raises:
        ValueError: for invalid features (rank, dimension, fewer than 2 samples, non-finite) or a
            subset size larger than a set.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> real, fake = rng.normal(size=(500, 16)), rng.normal(size=(500, 16)) + 1.0
        >>> mean, std = kernel_distance(real, fake, num_subsets=10, subset_size=200)
        >>> mean > 10 * std
        True

    Reference:
        Bińkowski et al. 2018, "Demystifying MMD GANs", section 3 and appendix D,
        https://arxiv.org/abs/1801.01401.
    """
    features_a = _check_features("features_a", features_a)
    features_b = _check_features("features_b", features_b)
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            "features_a and features_b must have the same feature dimension; got "
            f"{features_a.shape[1]} and {features_b.shape[1]}"
        )
    num_subsets = check_positive_int("num_subsets", num_subsets)
    subset_size = check_positive_int("subset_size", subset_size)
    largest = min(len(features_a), len(features_b))
    if not 2 <= subset_size <= largest:
        raise ValueError(
            f"subset_size must be in [2, min(N_a, N_b)] = [2, {largest}]; got {subset_size} "
            f"(features_a has {len(features_a)} samples, features_b {len(features_b)})"
        )
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for index in range(num_subsets):
        subset_a = features_a[rng.choice(len(features_a), subset_size, replace=False)]
        subset_b = features_b[rng.choice(len(features_b), subset_size, replace=False)]
        estimates[index] = _unbiased_mmd2(subset_a, subset_b)
    return float(np.mean(estimates)), float(np.std(estimates))


def polynomial_kernel(features_a, features_b, degree=3, gamma=None, coef0=1.0):
    """The polynomial kernel matrix `(gamma x . y + coef0) ** degree` (KID's kernel by default).

    Args:
        features_a: array `(N_a, D)`.
        features_b: array `(N_b, D)`.
        degree: the power, 3 for KID.
        gamma: the scale of the dot product; `None` for `1 / D`, as KID uses.
        coef0: the constant, 1 for KID.

    Returns:
        A float64 array `(N_a, N_b)`.

    Example:
        >>> import numpy as np
        >>> polynomial_kernel(np.ones((1, 2)), np.ones((1, 2))).tolist()  # (2 / 2 + 1) ** 3
        [[8.0]]

    Reference:
        Bińkowski et al. 2018, "Demystifying MMD GANs", appendix D,
        https://arxiv.org/abs/1801.01401.
    """
    features_a = np.asarray(features_a, dtype=np.float64)
    features_b = np.asarray(features_b, dtype=np.float64)
    gamma = 1.0 / features_a.shape[1] if gamma is None else gamma
    kernel = features_a @ features_b.T
    kernel *= gamma
    kernel += coef0
    return kernel**degree


def _unbiased_mmd2(subset_a, subset_b):
    size = len(subset_a)
    kernel_aa = polynomial_kernel(subset_a, subset_a)  # numpy computes a @ a.T with syrk
    kernel_bb = polynomial_kernel(subset_b, subset_b)
    kernel_ab = polynomial_kernel(subset_a, subset_b)
    within = (
        kernel_aa.sum() - np.trace(kernel_aa) + kernel_bb.sum() - np.trace(kernel_bb)
    ) / (size * (size - 1))
    return within - 2.0 * kernel_ab.sum() / size**2

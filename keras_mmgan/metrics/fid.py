"""Fréchet distance between two feature sets: the FID formula, streaming and fast.

The Fréchet Inception Distance (Heusel et al. 2017, equation 6) fits a Gaussian to each set of
features and measures the squared 2-Wasserstein (Fréchet) distance between the two Gaussians:

    d^2 = ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2))

with means `mu` and unbiased covariances `S` (divided by `n - 1`). "FID" is this distance on
InceptionV3 pool features (`keras_mmgan.metrics.features.inception_extractor`); on other features
it is a Fréchet distance and should be reported under the extractor's name.

How it is computed (everything in float64):

* Covariances are one matrix product each: the centered features `X` give `X^T X / (n - 1)`
  (a BLAS `syrk`, half the work of a general product). `FeatureStatistics` accumulates them over
  batches, so a data set or a generator never has to be held in memory.
* The trace term avoids the general matrix square root of the non-symmetric product `S_a S_b`
  (`scipy.linalg.sqrtm`, a Schur decomposition in complex arithmetic). For any factors
  `S_a = C_a C_a^T` and `S_b = C_b C_b^T`, `S_a S_b` is similar to `K K^T` with
  `K = C_a^T C_b`, a symmetric positive semi-definite matrix; so
  `tr((S_a S_b)^(1/2))` is the sum of the square roots of the eigenvalues of `K K^T`, which a
  symmetric eigensolver returns fast and accurately. The factors are Cholesky factors where the
  covariance is numerically positive definite, and `V sqrt(W)` from its symmetric
  eigendecomposition `V W V^T` otherwise, keeping only the eigenvalues above the rounding level
  (so the null space of a rank-deficient covariance, e.g. with fewer samples than features, adds
  exactly nothing instead of square roots of rounding errors).

References:
    Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", https://arxiv.org/abs/1706.08500.
    Dowson and Landau 1982, "The Fréchet distance between multivariate normal distributions",
    Journal of Multivariate Analysis 12(3).
    Chan, Golub and LeVeque 1979, "Updating formulae and a pairwise algorithm for computing sample
    variances" (the merge of `FeatureStatistics`).
"""

import numpy as np
import scipy.linalg
from scipy.linalg import blas

from keras_mmgan.validation import check_positive_int


class FeatureStatistics:
    """Running mean and covariance of features, accumulated batch by batch in float64.

    Holds the count `n`, the mean and the centered sum of outer products
    `sum_i (x_i - mean)(x_i - mean)^T` of all features seen, so that the mean and the unbiased
    covariance are available at any time without keeping the features. Each batch contributes its
    own mean and centered outer products (one `syrk` matrix product); batches and whole statistics
    are combined with the pairwise formula of Chan et al. (1979), which is exact and, unlike a raw
    sum of `x x^T`, does not lose precision when the mean is large relative to the spread. Use it
    to compute FID over a data set or a generator that does not fit in memory, or to store the
    statistics of a reference set once.

    Args:
        num_features: the feature dimension `D`, or `None` to take it from the first batch.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> stats = FeatureStatistics()
        >>> for _ in range(4):
        ...     _ = stats.update(rng.normal(size=(250, 8)))
        >>> stats.count, stats.mean.shape, stats.covariance.shape
        (1000, (8,), (8, 8))
    """

    def __init__(self, num_features=None):
        if num_features is not None:
            num_features = check_positive_int("num_features", num_features)
        self.num_features = num_features
        self.count = 0
        self._mean = None
        self._centered_outer_sum = None

    def update(self, features_batch):
        """Adds a batch of features.

        Args:
            features_batch: array `(batch, D)` of finite features (any float dtype; accumulated
                in float64). An empty batch `(0, D)` changes nothing.

        Returns:
            `self`, so that calls can be chained.

        Example:
            >>> import numpy as np
            >>> FeatureStatistics().update(np.eye(3)).count
            3
        """
        features = _check_features("features_batch", features_batch, min_samples=0, cast=False)
        self._check_dimension("features_batch", features.shape[1])
        self._update_checked(features)
        return self

    def merge(self, other):
        """Adds the statistics of another `FeatureStatistics` (as if its batches came here).

        Args:
            other: a `FeatureStatistics` of the same feature dimension.

        Returns:
            `self`, so that calls can be chained.

        Example:
            >>> import numpy as np
            >>> a = FeatureStatistics().update(np.zeros((2, 3)))
            >>> a.merge(FeatureStatistics().update(np.ones((2, 3)))).mean.tolist()
            [0.5, 0.5, 0.5]
        """
        if not isinstance(other, FeatureStatistics):
            raise TypeError(f"other must be a FeatureStatistics; got {type(other).__name__}")
        if other.count == 0:
            return self
        self._check_dimension("other", other.num_features)
        self._add(other.count, other._mean, other._centered_outer_sum)
        return self

    @property
    def mean(self):
        """The mean feature vector, a float64 array `(D,)` (a copy)."""
        if self.count == 0:
            raise ValueError("the mean needs at least 1 sample; got 0 (call update first)")
        return self._mean.copy()

    @property
    def covariance(self):
        """The unbiased covariance (divided by `count - 1`), a float64 array `(D, D)`."""
        if self.count < 2:
            raise ValueError(
                f"the covariance needs at least 2 samples; got {self.count} (call update first)"
            )
        lower = self._lower_covariance()
        return np.tril(lower) + np.tril(lower, -1).T

    def _lower_covariance(self):
        """The covariance, valid in its lower triangle only (all that LAPACK reads of it)."""
        return self._centered_outer_sum / (self.count - 1)

    def __repr__(self):
        return f"FeatureStatistics(num_features={self.num_features}, count={self.count})"

    def _update_checked(self, features):
        """Adds checked real features (any float dtype): centered in float64, one syrk."""
        if len(features) == 0:
            return
        mean = features.mean(axis=0, dtype=np.float64)
        centered = np.subtract(features, mean, dtype=np.float64)  # a new float64 array
        self._add(len(features), mean, _lower_outer_sum(centered), owned=True)

    def _check_dimension(self, name, num_features):
        if self.num_features is None:
            self.num_features = num_features
        elif num_features != self.num_features:
            raise ValueError(
                f"{name} must have {self.num_features} features (the dimension of the "
                f"statistics); got {num_features}"
            )

    def _add(self, count, mean, centered_outer_sum, owned=False):
        """Chan's pairwise update; `owned`: the caller gives the arrays away (no copies)."""
        if self.count == 0:
            self.count = int(count)
            self._mean = np.array(mean, dtype=np.float64, copy=None if owned else True)
            self._centered_outer_sum = np.array(
                centered_outer_sum, dtype=np.float64, copy=None if owned else True
            )
            return
        total = self.count + count
        delta = mean - self._mean
        self._centered_outer_sum += centered_outer_sum
        # Chan et al. 1979: M2 = M2_a + M2_b + delta delta^T n_a n_b / n.
        self._centered_outer_sum += np.outer(delta, delta * (self.count * count / total))
        self._mean += delta * (count / total)
        self.count = total


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula).

    `||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2))` with unbiased covariances
    (`ddof=1`), computed in float64; the trace of the square root goes through symmetric
    eigendecompositions (module docstring), which agrees with the common
    `scipy.linalg.sqrtm` route to about 1e-9 relative on full-rank covariances and is several
    times faster (`benchmarks/fid_speed.py`). It is FID when the features are InceptionV3 pool
    features of images; report the extractor, the resizer and both sample counts with it (FID
    is biased upwards for small sets: compare scores only at equal sample counts).

    Args:
        features_a: array `(N_a, D)` of finite features, `N_a >= 2`.
        features_b: array `(N_b, D)` of finite features, `N_b >= 2`, same `D`.

    Returns:
        The distance, a Python float `>= 0` (rounding below 0 is clipped).

    Raises:
        ValueError: if a set is not rank 2, has fewer than 2 samples or non-finite values, or if
            the feature dimensions differ.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> a = rng.normal(size=(2000, 4))
        >>> round(frechet_distance(a, a), 6)
        0.0
        >>> round(frechet_distance(a, a + 1.0), 3)  # the mean shift: ||(1, 1, 1, 1)||^2
        4.0

    Reference:
        Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
        Nash Equilibrium", equation 6, https://arxiv.org/abs/1706.08500.
    """
    features_a = _check_features("features_a", features_a, cast=False)
    features_b = _check_features("features_b", features_b, cast=False)
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            "features_a and features_b must have the same feature dimension; got "
            f"{features_a.shape[1]} and {features_b.shape[1]}"
        )
    statistics = []
    for features in (features_a, features_b):
        stats = FeatureStatistics(features.shape[1])
        stats._update_checked(features)
        statistics.append(stats)
    return frechet_distance_from_statistics(*statistics)


def frechet_distance_from_statistics(stats_a, stats_b):
    """Fréchet distance between two `FeatureStatistics` (streamed FID).

    Same formula and computation as `frechet_distance`, from accumulated means and covariances.

    Args:
        stats_a: a `FeatureStatistics` with at least 2 samples.
        stats_b: a `FeatureStatistics` with at least 2 samples, same feature dimension.

    Returns:
        The distance, a Python float `>= 0`.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> real, fake = FeatureStatistics(), FeatureStatistics()
        >>> for _ in range(3):
        ...     _ = real.update(rng.normal(size=(500, 4)))
        ...     _ = fake.update(rng.normal(size=(500, 4)) + 1.0)
        >>> 3.8 < frechet_distance_from_statistics(real, fake) < 4.2
        True

    Reference:
        Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
        Nash Equilibrium", equation 6, https://arxiv.org/abs/1706.08500.
    """
    for name, stats in (("stats_a", stats_a), ("stats_b", stats_b)):
        if not isinstance(stats, FeatureStatistics):
            raise TypeError(f"{name} must be a FeatureStatistics; got {type(stats).__name__}")
        if stats.count < 2:
            raise ValueError(f"{name} must hold at least 2 samples; got {stats.count}")
    if stats_a.num_features != stats_b.num_features:
        raise ValueError(
            "stats_a and stats_b must have the same feature dimension; got "
            f"{stats_a.num_features} and {stats_b.num_features}"
        )
    covariance_a, covariance_b = stats_a._lower_covariance(), stats_b._lower_covariance()
    mean_term = float(np.sum((stats_a.mean - stats_b.mean) ** 2))
    trace_term = float(np.trace(covariance_a) + np.trace(covariance_b))
    distance = mean_term + trace_term - 2.0 * _trace_sqrt_product(covariance_a, covariance_b)
    return max(distance, 0.0)


def trace_sqrt_product(covariance_a, covariance_b):
    """`tr((S_a S_b)^(1/2))` for two symmetric positive semi-definite matrices.

    The eigenvalues of `S_a S_b` are those of `K K^T` with `K = C_a^T C_b` for factors
    `S = C C^T` (Cholesky, or `V sqrt(W)` from a symmetric eigendecomposition where the matrix is
    singular); the result is the sum of their square roots (negative rounding clipped to 0).

    Args:
        covariance_a: array `(D, D)`, symmetric positive semi-definite.
        covariance_b: array `(D, D)`, symmetric positive semi-definite.

    Returns:
        The trace, a Python float.

    Example:
        >>> import numpy as np
        >>> round(trace_sqrt_product(np.diag([1.0, 4.0]), np.diag([9.0, 1.0])), 6)  # 3 + 2
        5.0
    """
    covariance_a = _check_covariance("covariance_a", covariance_a)
    covariance_b = _check_covariance("covariance_b", covariance_b)
    if covariance_a.shape != covariance_b.shape:
        raise ValueError(
            "covariance_a and covariance_b must have the same shape; got "
            f"{covariance_a.shape} and {covariance_b.shape}"
        )
    return _trace_sqrt_product(covariance_a, covariance_b)


def _trace_sqrt_product(covariance_a, covariance_b):
    """`trace_sqrt_product` on checked float64 matrices; reads their lower triangles only."""
    factor_a, triangular_a = _psd_factor(covariance_a)
    factor_b, triangular_b = _psd_factor(covariance_b)
    if factor_a.shape[1] == 0 or factor_b.shape[1] == 0:
        return 0.0
    if triangular_a and triangular_b:  # L_a^T L_b with a triangular product (BLAS trmm)
        cross = blas.dtrmm(1.0, factor_a, factor_b, side=0, lower=1, trans_a=1, overwrite_b=1)
    else:
        cross = factor_a.T @ factor_b  # (r_a, r_b)
    # The smaller Gram matrix (BLAS syrk, upper triangle): its eigenvalues are the nonzero ones
    # of S_a S_b.
    cross = np.asfortranarray(cross)
    transpose = int(cross.shape[0] > cross.shape[1])
    gram_upper = blas.dsyrk(1.0, cross, trans=transpose, lower=0)
    eigenvalues = scipy.linalg.eigh(
        gram_upper, lower=False, eigvals_only=True, overwrite_a=True, check_finite=False
    )
    return float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def _psd_factor(matrix):
    """`(C, triangular)` with `C C^T = matrix` up to its numerical null space.

    The Cholesky factor (lower triangular, Fortran-ordered) where the matrix is numerically
    positive definite; else `V sqrt(W)` over the eigenvalues `W` above the rounding level.
    """
    size = matrix.shape[0]
    scale = float(np.max(np.abs(np.diag(matrix)), initial=0.0))
    if scale == 0.0:
        return np.zeros((size, 0)), False
    tolerance = scale * size * np.finfo(np.float64).eps
    try:
        lower = scipy.linalg.cholesky(matrix, lower=True, check_finite=False)
        # A pivot L_ii^2 bounds the smallest eigenvalue from above; a tiny one means a
        # (numerically) singular matrix, whose null space the eigendecomposition drops.
        if np.min(np.diag(lower)) ** 2 > tolerance:
            return np.asfortranarray(lower), True
    except np.linalg.LinAlgError:
        pass
    eigenvalues, eigenvectors = scipy.linalg.eigh(matrix, driver="evd", check_finite=False)
    keep = eigenvalues > tolerance
    return eigenvectors[:, keep] * np.sqrt(eigenvalues[keep]), False


def _lower_outer_sum(rows):
    """The lower triangle of `rows^T rows` (one BLAS syrk; zeros above the diagonal)."""
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    # rows.T is Fortran-ordered (no copy); syrk computes the lower triangle of rows^T rows.
    return blas.dsyrk(1.0, rows.T, trans=0, lower=1)


def _check_features(name, features, min_samples=2, cast=True):
    """Checks features `(N, D)`; returns them as float64 (`cast`) or as real floats."""
    try:
        features = np.asarray(features)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a numeric array (N, D); got {error}") from None
    if features.dtype.kind in "biu":
        features = features.astype(np.float64)
    elif features.dtype.kind != "f":
        raise TypeError(f"{name} must be a real numeric array (N, D); got dtype {features.dtype}")
    if cast:
        features = features.astype(np.float64, copy=False)
    if features.ndim != 2:
        raise ValueError(
            f"{name} must be rank 2 (num_samples, num_features); got shape {features.shape}"
        )
    if len(features) < min_samples:
        raise ValueError(
            f"{name} must hold at least {min_samples} samples; got shape {features.shape}"
        )
    if features.shape[1] == 0:
        raise ValueError(f"{name} must have at least 1 feature; got shape {features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{name} must be finite; got NaN or infinite values")
    return features


def _check_covariance(name, matrix):
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square matrix (D, D); got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} must be finite; got NaN or infinite values")
    return matrix


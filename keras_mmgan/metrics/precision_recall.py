"""Improved precision and recall (k-NN manifolds), density and coverage.

FID and KID mix two failures into one number: samples that look wrong (fidelity) and parts of
the data the generator never produces (diversity, mode collapse). These metrics separate them.

Improved precision and recall (Kynkäänniemi et al. 2019, section 2) estimate each set's
manifold as the union of balls around its samples, each ball reaching the sample's k-th nearest
neighbour within its own set (k = 3 in the paper):

* precision: the fraction of generated samples inside the real manifold (fidelity);
* recall: the fraction of real samples inside the generated manifold (diversity).

Density and coverage (Naeem et al. 2020, section 3) use only the real balls (k = 5 in the
paper), which makes them robust to outliers among the generated samples:

* density: `1 / (k M) sum_j #{real balls containing generated sample j}`, about 1 when the
  generated samples follow the real distribution, above 1 when they crowd dense regions;
* coverage: the fraction of real samples whose ball contains at least one generated sample,
  about `1 - 2^-k` (0.97 for k = 5) for two samples of one distribution.

A sample's k-th nearest neighbour excludes the sample itself. All distances are Euclidean,
computed in float64 in blocks of `batch_size` rows (`(batch_size, N)` at a time), so 10,000 x
10,000 comparisons take a few hundred MB, not the full 800 MB matrix; each function makes one
pass per set for the radii and one pass over the real x generated distances. Compute them on
features (InceptionV3 pool features, or those of the digit classifier), never on pixels, and
report the extractor, k and the sample counts.

References:
    Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing Generative
    Models", https://arxiv.org/abs/1904.06991.
    Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models",
    https://arxiv.org/abs/2002.09797.
"""

import numpy as np

from keras_mmgan.metrics.fid import _check_features
from keras_mmgan.validation import check_positive_int


def precision_recall(real_features, generated_features, k=3, batch_size=1000):
    """Improved precision and recall of generated samples against real ones.

    Args:
        real_features: array `(N, D)` of finite features of real samples, `N > k`.
        generated_features: array `(M, D)` of finite features of generated samples, `M > k`.
        k: the neighbour that sets each ball's radius, a positive int (3 in the paper).
        batch_size: rows per block of the distance computation, a positive int; memory grows
            as `batch_size * max(N, M) * 8` bytes.

    Returns:
        A dict `{"precision": float, "recall": float}`, both in [0, 1].

    Raises:
        ValueError: for invalid features (rank, dimension, non-finite) or sets of at most `k`
            samples.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> real = rng.normal(size=(1000, 8))
        >>> collapsed = real[0] + 0.01 * rng.normal(size=(1000, 8))  # all near one real point
        >>> scores = precision_recall(real, collapsed)
        >>> scores["precision"] > 0.9, scores["recall"] < 0.05
        (True, True)

    Reference:
        Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing
        Generative Models", section 2, https://arxiv.org/abs/1904.06991.
    """
    real, generated, k, batch_size = _check_inputs(
        real_features, generated_features, k, batch_size
    )
    real_radii2 = _kth_neighbour_distances2(real, k, batch_size)
    generated_radii2 = _kth_neighbour_distances2(generated, k, batch_size)
    # One pass over the real x generated distances serves both: rows for recall, columns for
    # precision.
    inside_generated = 0
    inside_real = np.zeros(len(generated), dtype=bool)
    for rows, block in _distance_blocks2(real, generated, batch_size):
        inside_generated += int(np.count_nonzero(np.any(block <= generated_radii2, axis=1)))
        inside_real |= np.any(block <= real_radii2[rows, None], axis=0)
    return {
        "precision": int(np.count_nonzero(inside_real)) / len(generated),
        "recall": inside_generated / len(real),
    }


def density_coverage(real_features, generated_features, k=5, batch_size=1000):
    """Density and coverage of generated samples against real ones.

    Args:
        real_features: array `(N, D)` of finite features of real samples, `N > k`.
        generated_features: array `(M, D)` of finite features of generated samples, `M > k`.
        k: the neighbour that sets each real ball's radius, a positive int (5 in the paper).
        batch_size: rows per block of the distance computation, a positive int.

    Returns:
        A dict `{"density": float, "coverage": float}`: density is `>= 0` (about 1 for matching
        distributions, unbounded above), coverage is in [0, 1].

    Raises:
        ValueError: for invalid features (rank, dimension, non-finite) or sets of at most `k`
            samples.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> real, fake = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
        >>> scores = density_coverage(real, fake)
        >>> 0.8 < scores["density"] < 1.2, 0.9 < scores["coverage"] <= 1.0
        (True, True)

    Reference:
        Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models",
        section 3, https://arxiv.org/abs/2002.09797.
    """
    real, generated, k, batch_size = _check_inputs(
        real_features, generated_features, k, batch_size
    )
    real_radii2 = _kth_neighbour_distances2(real, k, batch_size)
    ball_count, covered = 0, 0
    for rows, block in _distance_blocks2(real, generated, batch_size):
        inside = block <= real_radii2[rows, None]  # generated sample j in the ball of real i
        ball_count += int(np.count_nonzero(inside))
        covered += int(np.count_nonzero(np.any(inside, axis=1)))
    return {
        "density": ball_count / (k * len(generated)),
        "coverage": covered / len(real),
    }


def _distance_blocks2(rows, columns, batch_size):
    """Yields `(row slice, squared distances (block, len(columns)))`, clipped at 0."""
    column_norms2 = np.einsum("ij,ij->i", columns, columns)
    for start in range(0, len(rows), batch_size):
        rows_slice = slice(start, min(start + batch_size, len(rows)))
        block = rows[rows_slice]
        distances2 = block @ columns.T
        distances2 *= -2.0
        distances2 += np.einsum("ij,ij->i", block, block)[:, None]
        distances2 += column_norms2[None, :]
        np.maximum(distances2, 0.0, out=distances2)
        yield rows_slice, distances2


def _kth_neighbour_distances2(features, k, batch_size):
    """Squared distance of each sample to its k-th nearest other sample of the same set."""
    radii2 = np.empty(len(features))
    for rows, distances2 in _distance_blocks2(features, features, batch_size):
        local = np.arange(rows.stop - rows.start)
        distances2[local, rows.start + local] = 0.0  # the sample itself, exactly
        # Sorted, position 0 is the sample itself; position k is its k-th neighbour.
        radii2[rows] = np.partition(distances2, k, axis=1)[:, k]
    return radii2


def _check_inputs(real_features, generated_features, k, batch_size):
    k = check_positive_int("k", k)
    batch_size = check_positive_int("batch_size", batch_size)
    real = _check_features("real_features", real_features, min_samples=k + 1)
    generated = _check_features("generated_features", generated_features, min_samples=k + 1)
    if real.shape[1] != generated.shape[1]:
        raise ValueError(
            "real_features and generated_features must have the same feature dimension; got "
            f"{real.shape[1]} and {generated.shape[1]}"
        )
    return real, generated, k, batch_size

"""Mode coverage of samples from a mixture with known modes: the PacGAN 2D protocol.

For the 2D grid and ring mixtures (`keras_mmgan.datasets.gaussian_mixture`), each generated
sample is assigned to its nearest mean; it is "high quality" when it lies within `threshold`
standard deviations (Euclidean distance) of that mean. The scores (Lin et al. 2018, section 5
and Table 1, after Srivastava et al. 2017, section 5.1) are the number of modes that receive at
least one high-quality sample, the fraction of high-quality samples, and the KL divergence of
the histogram of high-quality samples over the modes to the uniform distribution (the
"reverse KL" of PacGAN), computed by `metrics.mode_histogram_kl`.

For a perfect generator of a 2D isotropic Gaussian mixture whose modes are far apart, the
distance of a sample to its mean is Rayleigh distributed, so the expected high-quality
fraction is `1 - exp(-threshold^2 / 2)`: 98.9 % for `threshold=3` (not the 99.7 % of the 1D
three-sigma rule).

References:
    Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks",
    https://arxiv.org/abs/1712.04086.
    Srivastava et al. 2017, "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational
    Learning", https://arxiv.org/abs/1705.07761.
"""

import numpy as np

from keras_mmgan.metrics.classifier import mode_histogram_kl
from keras_mmgan.validation import as_numpy, check_positive_number

# Samples per chunk are chosen so that a chunk's (samples, means) distance matrix holds at most
# this many entries (8 MB of float64), whatever the number of samples.
_MAX_DISTANCES_PER_CHUNK = 2**20


def mode_coverage(samples, means, std, threshold=3.0):
    """Scores how many modes of a mixture samples cover, and how well.

    Each sample is assigned to its nearest mean (Euclidean distance); it is high quality when
    that distance is at most `threshold * std`. The histogram counts the high-quality samples
    of each mean; `kl` is `KL(histogram / its sum || uniform over the means)` in nats, as in
    `mode_histogram_kl`: 0 when every mean has the same count, `log(num_modes)` when all
    high-quality samples sit at one mean.

    Non-finite samples (NaN or infinite, e.g. from a diverged generator) are never high
    quality; they count in the denominator of `high_quality`.

    When no sample is high quality the histogram is empty and the KL is undefined; `kl` is then
    `float("inf")` (worse than any collapse onto modes), and `modes` is 0. Note that
    `json.dump` writes infinity as the non-standard `Infinity`.

    The distances are computed in chunks of samples, so memory stays bounded for any number of
    samples (at most about 2^20 sample-mean pairs at a time).

    Args:
        samples: array `(N, D)` of generated samples, N >= 1.
        means: array `(M, D)` of the mixture's means, M >= 1, e.g. from
            `keras_mmgan.datasets.mixture_modes`.
        std: the standard deviation of each mixture component along each axis, a positive
            number.
        threshold: how many standard deviations from its nearest mean a sample may lie and
            still count as high quality, a positive number.

    Returns:
        A dict with `modes` (int, the number of means with at least one high-quality sample),
        `num_modes` (int, M), `high_quality` (float in [0, 1], the fraction of high-quality
        samples), `kl` (float, nats; `inf` when no sample is high quality) and `histogram`
        (list of M ints, the high-quality samples nearest to each mean).

    Example:
        >>> means = np.array([[0.0, 0.0], [1.0, 0.0]])
        >>> scores = mode_coverage([[0.0, 0.0], [0.01, 0.0], [5.0, 5.0]], means, std=0.1)
        >>> scores["modes"], scores["histogram"], round(scores["high_quality"], 3)
        (1, [2, 0], 0.667)
        >>> round(scores["kl"], 3)  # log 2: both high-quality samples at one of two modes
        0.693

    Reference:
        Lin et al. 2018, "PacGAN", section 5 and Table 1.
    """
    samples = _as_float_matrix("samples", samples)
    means = _as_float_matrix("means", means)
    if not np.all(np.isfinite(means)):
        raise ValueError("means must be finite; got NaN or infinite values")
    if samples.shape[1] != means.shape[1]:
        raise ValueError(
            "samples and means must have the same number of dimensions D; got samples of shape "
            f"{samples.shape} and means of shape {means.shape}"
        )
    std = check_positive_number("std", std)
    threshold = check_positive_number("threshold", threshold)

    nearest, distances = _nearest_means(samples, means)
    high_quality = distances <= threshold * std
    num_modes = len(means)
    histogram = np.bincount(nearest[high_quality], minlength=num_modes)
    if np.any(high_quality):
        kl = mode_histogram_kl(nearest[high_quality], num_modes=num_modes)["kl"]
    else:
        kl = float("inf")
    return {
        "modes": int(np.count_nonzero(histogram)),
        "num_modes": int(num_modes),
        "high_quality": float(np.mean(high_quality)),
        "kl": float(kl),
        "histogram": [int(count) for count in histogram],
    }


def _nearest_means(samples, means):
    """Index of and Euclidean distance to the nearest mean of each sample, chunk by chunk."""
    chunk = max(1, _MAX_DISTANCES_PER_CHUNK // len(means))
    means_squared = np.sum(means**2, axis=1)
    nearest = np.empty(len(samples), dtype="int64")
    distances = np.empty(len(samples), dtype="float64")
    for start in range(0, len(samples), chunk):
        block = samples[start : start + chunk]
        # Non-finite samples give NaN rows and distances: never high quality, and no warning.
        with np.errstate(invalid="ignore", over="ignore"):
            # |x - m|^2 = |x|^2 - 2 x.m + |m|^2: an (n, M) matrix, never (n, M, D).
            squared = (
                np.sum(block**2, axis=1, keepdims=True) - 2.0 * block @ means.T + means_squared
            )
            index = np.argmin(squared, axis=1)
            # Recompute the distance to the chosen mean directly: the expansion above cancels
            # catastrophically for samples close to a mean far from the origin.
            distances[start : start + chunk] = np.linalg.norm(block - means[index], axis=1)
        nearest[start : start + chunk] = index
    return nearest, distances


def _as_float_matrix(name, values):
    values = as_numpy(name, values)
    if values.ndim != 2:
        raise ValueError(
            f"{name} must be rank 2 (num_points, dimensions); got shape {values.shape}"
        )
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one point of at least one dimension; got shape "
            f"{values.shape}"
        )
    if values.dtype == bool or not (
        np.issubdtype(values.dtype, np.floating) or np.issubdtype(values.dtype, np.integer)
    ):
        raise TypeError(f"{name} must hold real numbers; got dtype {values.dtype}")
    return values.astype("float64")



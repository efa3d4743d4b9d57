"""2D Gaussian mixtures: the grid and ring benchmarks of mode collapse.

Two synthetic data sets whose modes are known exactly, so that mode coverage can be scored
from the samples alone (`keras_mmgan.metrics.mode_coverage`):

- "grid": 25 isotropic Gaussians with means on the grid `{-4, -2, 0, 2, 4}^2` and standard
  deviation 0.05 (Lin et al. 2018, section 5, after Srivastava et al. 2017);
- "ring": 8 isotropic Gaussians with means `(cos 2 pi k / 8, sin 2 pi k / 8)`, `k = 0..7`, on
  the unit circle, and standard deviation 0.01 (Metz et al. 2017, section 3.1; Lin et al. 2018).

Each sample picks a mode uniformly at random and adds `N(0, std^2 I)` noise.

References:
    Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks",
    https://arxiv.org/abs/1712.04086.
    Metz et al. 2017, "Unrolled Generative Adversarial Networks",
    https://arxiv.org/abs/1611.02163.
    Srivastava et al. 2017, "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational
    Learning", https://arxiv.org/abs/1705.07761.
"""

import numpy as np

from keras_mmgan.validation import check_positive_int

MIXTURE_KINDS = ("grid", "ring")
"""The names of the mixtures that `mixture_modes` and `gaussian_mixture` know."""

_GRID_COORDINATES = (-4.0, -2.0, 0.0, 2.0, 4.0)
_GRID_STD = 0.05
_RING_NUM_MODES = 8
_RING_STD = 0.01


def mixture_modes(kind):
    """Returns the means and the standard deviation of a 2D Gaussian mixture.

    "grid" has 25 means on `{-4, -2, 0, 2, 4}^2`, in row-major order (the first coordinate
    varies slowest), and std 0.05. "ring" has 8 means `(cos 2 pi k / 8, sin 2 pi k / 8)` for
    `k = 0..7` on the unit circle, and std 0.01. (The angles are `2 pi k / 8`, not
    `np.linspace(0, 2 pi, 8)`, whose first and last points coincide and give 7 distinct modes.)

    Args:
        kind: `"grid"` or `"ring"`.

    Returns:
        A tuple `(means, std)`: `means` a float32 array `(num_modes, 2)` (a fresh copy on each
        call), `std` a float, the standard deviation of every component along each axis.

    Example:
        >>> means, std = mixture_modes("grid")
        >>> means.shape, std
        ((25, 2), 0.05)
        >>> means, std = mixture_modes("ring")
        >>> means.shape, std, means[2].round(6).tolist()
        ((8, 2), 0.01, [0.0, 1.0])

    Reference:
        Lin et al. 2018, "PacGAN", section 5; Metz et al. 2017, "Unrolled GANs", section 3.1.
    """
    _check_kind(kind)
    if kind == "grid":
        coordinates = np.asarray(_GRID_COORDINATES)
        first, second = np.meshgrid(coordinates, coordinates, indexing="ij")
        means = np.stack([first.ravel(), second.ravel()], axis=-1)
        return means.astype("float32"), _GRID_STD
    angles = 2.0 * np.pi * np.arange(_RING_NUM_MODES) / _RING_NUM_MODES
    means = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    return means.astype("float32"), _RING_STD


def gaussian_mixture(kind="grid", num_samples=2500, seed=0):
    """Draws samples from a 2D Gaussian mixture with uniform weights.

    Each sample picks one of the means of `mixture_modes(kind)` uniformly at random and adds
    isotropic Gaussian noise `N(0, std^2 I)`. Both draws come from
    `np.random.default_rng(seed)`, so the output is fully determined by `seed`. The default of
    2,500 samples is the evaluation sample count of the PacGAN protocol.

    Args:
        kind: `"grid"` (25 modes, std 0.05) or `"ring"` (8 modes, std 0.01).
        num_samples: number of samples, a positive int.
        seed: seed of `np.random.default_rng`.

    Returns:
        A float32 array `(num_samples, 2)`.

    Example:
        >>> samples = gaussian_mixture("ring", num_samples=1000, seed=0)
        >>> samples.shape, samples.dtype
        ((1000, 2), dtype('float32'))
        >>> bool(np.allclose(np.linalg.norm(samples, axis=-1), 1.0, atol=0.1))
        True

    Reference:
        Lin et al. 2018, "PacGAN", section 5; Metz et al. 2017, "Unrolled GANs", section 3.1.
    """
    means, std = mixture_modes(kind)
    num_samples = check_positive_int("num_samples", num_samples)
    rng = np.random.default_rng(seed)
    components = rng.integers(0, len(means), size=num_samples)
    noise = rng.normal(0.0, std, size=(num_samples, means.shape[1]))
    return (means[components].astype("float64") + noise).astype("float32")


def _check_kind(kind):
    if not isinstance(kind, str):
        raise TypeError(f"kind must be one of {MIXTURE_KINDS}; got {kind!r}")
    if kind not in MIXTURE_KINDS:
        raise ValueError(f"kind must be one of {MIXTURE_KINDS}; got {kind!r}")

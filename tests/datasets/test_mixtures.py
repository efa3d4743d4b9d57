"""Tests of the 2D Gaussian mixtures (grid and ring)."""

import itertools

import numpy as np
import pytest

from keras_mmgan.datasets import gaussian_mixture
from keras_mmgan.datasets import mixture_modes


def test_grid_modes():
    means, std = mixture_modes("grid")
    assert means.shape == (25, 2) and means.dtype == np.float32
    assert std == 0.05
    expected = set(itertools.product((-4.0, -2.0, 0.0, 2.0, 4.0), repeat=2))
    assert set(map(tuple, means.tolist())) == expected


def test_ring_has_eight_distinct_modes_on_the_unit_circle():
    means, std = mixture_modes("ring")
    assert means.shape == (8, 2) and means.dtype == np.float32
    assert std == 0.01
    angles = 2 * np.pi * np.arange(8) / 8
    np.testing.assert_allclose(means, np.stack([np.cos(angles), np.sin(angles)], -1), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 1.0, atol=1e-6)
    distances = np.linalg.norm(means[:, None] - means[None], axis=-1)
    off_diagonal = distances[~np.eye(8, dtype=bool)]
    # Neighbours are 2 sin(pi / 8) = 0.765 apart: no two modes coincide.
    assert off_diagonal.min() == pytest.approx(2 * np.sin(np.pi / 8), abs=1e-5)


def test_modes_are_fresh_copies():
    means, _ = mixture_modes("grid")
    means[:] = 0
    assert np.abs(mixture_modes("grid")[0]).max() == 4.0


@pytest.mark.parametrize("kind", ["grid", "ring"])
def test_samples_are_deterministic_per_seed(kind):
    a = gaussian_mixture(kind, num_samples=100, seed=3)
    assert a.shape == (100, 2) and a.dtype == np.float32
    np.testing.assert_array_equal(a, gaussian_mixture(kind, num_samples=100, seed=3))
    assert not np.array_equal(a, gaussian_mixture(kind, num_samples=100, seed=4))


@pytest.mark.parametrize("kind", ["grid", "ring"])
def test_samples_spread_std_around_their_means(kind):
    means, std = mixture_modes(kind)
    samples = gaussian_mixture(kind, num_samples=4000, seed=0)
    nearest = np.argmin(np.linalg.norm(samples[:, None] - means[None], axis=-1), axis=1)
    residuals = samples - means[nearest]
    # Per-axis std of the noise, over 8,000 values: within 5 %.
    assert np.std(residuals) == pytest.approx(std, rel=0.05)
    assert np.abs(residuals.mean(axis=0)).max() < 0.1 * std
    # Modes are picked uniformly: every mode holds about 1 / M of the samples.
    counts = np.bincount(nearest, minlength=len(means))
    expected = len(samples) / len(means)
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))


def test_default_sample_count():
    assert gaussian_mixture().shape == (2500, 2)


@pytest.mark.parametrize(
    "kind, error", [("square", ValueError), ("Grid", ValueError), (None, TypeError)]
)
def test_bad_kind(kind, error):
    with pytest.raises(error, match="kind"):
        mixture_modes(kind)
    with pytest.raises(error, match="kind"):
        gaussian_mixture(kind, num_samples=10)


@pytest.mark.parametrize(
    "num_samples, error", [(0, ValueError), (-5, ValueError), (2.0, TypeError), (True, TypeError)]
)
def test_bad_num_samples(num_samples, error):
    with pytest.raises(error, match="num_samples"):
        gaussian_mixture("grid", num_samples=num_samples)

"""Tests of mode coverage on the 2D mixtures (PacGAN protocol)."""

import numpy as np
import pytest

from keras_mmgan.datasets import gaussian_mixture
from keras_mmgan.datasets import mixture_modes
from keras_mmgan.metrics import mode_coverage

# A 2D isotropic Gaussian's distance to its mean is Rayleigh distributed:
# P(|x - mu| <= 3 std) = 1 - exp(-3^2 / 2) = 0.98889 (not the 1D 0.9973).
RAYLEIGH_WITHIN_3_STD = 1 - np.exp(-4.5)


def binomial_std(p, n):
    return np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("kind", ["grid", "ring"])
def test_exact_samples_cover_every_mode(kind):
    means, std = mixture_modes(kind)
    scores = mode_coverage(gaussian_mixture(kind, num_samples=2500, seed=0), means, std)
    assert scores["modes"] == scores["num_modes"] == len(means)
    assert len(scores["histogram"]) == len(means)
    assert sum(scores["histogram"]) == round(scores["high_quality"] * 2500)
    # 2,500 samples: binomial std 0.0021; 4 of them.
    tolerance = 4 * binomial_std(RAYLEIGH_WITHIN_3_STD, 2500)
    assert scores["high_quality"] == pytest.approx(RAYLEIGH_WITHIN_3_STD, abs=tolerance)
    # A multinomial draw of 2,500 over M uniform modes has KL about (M - 1) / (2 * 2500).
    assert 0 <= scores["kl"] < 0.02


def test_many_exact_samples_match_the_rayleigh_fraction_tightly():
    means, std = mixture_modes("grid")
    scores = mode_coverage(gaussian_mixture("grid", num_samples=25000, seed=0), means, std)
    tolerance = 4 * binomial_std(RAYLEIGH_WITHIN_3_STD, 25000)  # 0.0026
    assert scores["high_quality"] == pytest.approx(RAYLEIGH_WITHIN_3_STD, abs=tolerance)
    assert scores["kl"] < 0.002


def test_threshold_follows_the_rayleigh_law():
    means, std = mixture_modes("ring")
    samples = gaussian_mixture("ring", num_samples=25000, seed=1)
    for threshold in (1.0, 2.0):
        expected = 1 - np.exp(-(threshold**2) / 2)
        scores = mode_coverage(samples, means, std, threshold=threshold)
        assert scores["high_quality"] == pytest.approx(
            expected, abs=4 * binomial_std(expected, 25000)
        )


def test_exactly_uniform_histogram_has_zero_kl():
    means, std = mixture_modes("grid")
    scores = mode_coverage(np.tile(means, (4, 1)), means, std)
    assert scores == {
        "modes": 25,
        "num_modes": 25,
        "high_quality": 1.0,
        "kl": 0.0,
        "histogram": [4] * 25,
    }


def test_collapse_onto_one_mode():
    means, std = mixture_modes("grid")
    samples = np.tile(means[7], (100, 1)) + np.random.default_rng(0).normal(0, std, (100, 2))
    scores = mode_coverage(samples, means, std)
    assert scores["modes"] == 1
    assert scores["kl"] == pytest.approx(np.log(25))
    assert scores["histogram"][7] == sum(scores["histogram"])


def test_samples_far_from_every_mode():
    means, std = mixture_modes("grid")
    # Half-way between grid points: 1 (or sqrt 2) from the nearest mean, 20+ std.
    samples = np.random.default_rng(0).choice([-3.0, -1.0, 1.0, 3.0], size=(500, 2))
    scores = mode_coverage(samples, means, std)
    assert scores["high_quality"] == 0.0
    assert scores["modes"] == 0
    assert scores["histogram"] == [0] * 25
    assert scores["kl"] == float("inf")


def test_non_finite_samples_are_low_quality():
    means, std = mixture_modes("ring")
    samples = np.concatenate([means, [[np.nan, 0.0], [np.inf, 1.0]]])
    scores = mode_coverage(samples, means, std)
    assert scores["modes"] == 8
    assert scores["high_quality"] == pytest.approx(8 / 10)


def test_many_samples_are_chunked_without_a_blow_up():
    means = np.random.default_rng(0).normal(size=(300, 3))
    samples = np.repeat(means, 400, axis=0)  # 120,000 samples x 300 means: several chunks
    scores = mode_coverage(samples, means, std=0.1)
    assert scores["modes"] == 300 and scores["high_quality"] == 1.0
    assert scores["histogram"] == [400] * 300


def test_far_from_origin_distances_are_exact():
    # |x|^2 - 2 x.m + |m|^2 cancels badly here; the distance to the chosen mean must not.
    means = np.array([[1e4, 1e4], [-1e4, -1e4]])
    samples = means + np.array([[2e-4, 0.0], [4e-4, 0.0]])
    scores = mode_coverage(samples, means, std=1e-4)
    assert scores["histogram"] == [1, 0]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"samples": np.zeros((5,))}, ValueError, "samples must be rank 2"),
        ({"samples": np.zeros((0, 2))}, ValueError, "samples"),
        ({"samples": np.zeros((4, 3))}, ValueError, "same number of dimensions"),
        ({"samples": [["a", "b"]]}, TypeError, "samples"),
        ({"means": np.zeros((2, 2, 1))}, ValueError, "means must be rank 2"),
        ({"means": np.full((2, 2), np.nan)}, ValueError, "means must be finite"),
        ({"std": 0.0}, ValueError, "std"),
        ({"std": "0.1"}, TypeError, "std"),
        ({"std": float("nan")}, ValueError, "std"),
        ({"threshold": -1.0}, ValueError, "threshold"),
        ({"threshold": True}, TypeError, "threshold"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    arguments = {"samples": np.zeros((4, 2)), "means": np.zeros((3, 2)), "std": 0.1}
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        mode_coverage(**arguments)

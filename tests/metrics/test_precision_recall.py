"""Improved precision/recall and density/coverage: brute-force agreement and known cases."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from keras_mmgan.metrics.precision_recall import density_coverage
from keras_mmgan.metrics.precision_recall import precision_recall


def reference_scores(real, generated, k_pr, k_dc):
    """The four metrics from full distance matrices (scipy cdist), written out."""
    real_real, generated_generated = cdist(real, real), cdist(generated, generated)
    real_generated = cdist(real, generated)  # (N, M)
    # Sorted distances to the own set: position 0 is the sample itself.
    real_radii = np.sort(real_real, axis=1)[:, k_pr]
    generated_radii = np.sort(generated_generated, axis=1)[:, k_pr]
    precision = np.mean([np.any(real_generated[:, j] <= real_radii) for j in range(len(generated))])
    recall = np.mean([np.any(real_generated[i] <= generated_radii) for i in range(len(real))])
    real_radii_dc = np.sort(real_real, axis=1)[:, k_dc]
    density = np.sum(real_generated <= real_radii_dc[:, None]) / (k_dc * len(generated))
    coverage = np.mean(real_generated.min(axis=1) <= real_radii_dc)
    return precision, recall, density, coverage


@pytest.mark.parametrize("batch_size", [7, 1000])
def test_matches_brute_force_distances(batch_size):
    rng = np.random.default_rng(0)
    real = rng.normal(size=(60, 5))
    generated = rng.normal(size=(50, 5)) * 1.3 + 0.4
    precision, recall, density, coverage = reference_scores(real, generated, 3, 5)
    scores = precision_recall(real, generated, k=3, batch_size=batch_size)
    assert scores == {"precision": pytest.approx(precision), "recall": pytest.approx(recall)}
    scores = density_coverage(real, generated, k=5, batch_size=batch_size)
    assert scores == {"density": pytest.approx(density), "coverage": pytest.approx(coverage)}
    assert 0 < precision < 1 and 0 < recall < 1 and 0 < coverage < 1  # a non-trivial case


def test_identical_sets():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(1000, 8))
    assert precision_recall(real, real.copy()) == {"precision": 1.0, "recall": 1.0}
    scores = density_coverage(real, real.copy(), k=5)
    assert scores["coverage"] == 1.0
    # Each real ball holds its centre and its k nearest neighbours: density (k + 1) / k.
    assert scores["density"] == pytest.approx(6 / 5, abs=0.01)


def test_two_samples_of_one_distribution():
    rng = np.random.default_rng(2)
    real, generated = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
    scores = precision_recall(real, generated)
    assert 0.8 < scores["precision"] < 1.0 and 0.8 < scores["recall"] < 1.0
    scores = density_coverage(real, generated)
    assert 0.8 < scores["density"] < 1.2
    assert scores["coverage"] == pytest.approx(1 - 2.0**-5, abs=0.03)  # Naeem et al., eq. 5


def test_collapsed_generator_keeps_precision_and_loses_recall():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(1000, 8))
    collapsed = real[0] + 0.01 * rng.normal(size=(1000, 8))  # all near one real point
    scores = precision_recall(real, collapsed)
    assert scores["precision"] > 0.95
    assert scores["recall"] < 0.01
    scores = density_coverage(real, collapsed)
    assert scores["coverage"] < 0.05
    # Every sample lies inside the ball of real[0] at least: density >= 1 / k.
    assert scores["density"] >= 1 / 5


def test_shifted_generator_loses_precision_and_recall():
    rng = np.random.default_rng(4)
    real, generated = rng.normal(size=(500, 8)), rng.normal(size=(500, 8)) + 3.0
    scores = precision_recall(real, generated)
    assert scores["precision"] < 0.2 and scores["recall"] < 0.2
    scores = density_coverage(real, generated)
    assert scores["density"] < 0.2 and scores["coverage"] < 0.2


def test_invalid_inputs_name_the_argument():
    good = np.zeros((10, 3))
    with pytest.raises(ValueError, match="generated_features must hold at least 4 samples"):
        precision_recall(good, np.zeros((3, 3)), k=3)
    with pytest.raises(ValueError, match="real_features must be rank 2"):
        density_coverage(np.zeros(10), good)
    with pytest.raises(ValueError, match="same feature dimension"):
        precision_recall(good, np.zeros((10, 4)))
    with pytest.raises(ValueError, match="k must be a positive int"):
        precision_recall(good, good, k=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        density_coverage(good, good, batch_size=0)

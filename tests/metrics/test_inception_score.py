"""Inception Score: its bounds, logits, splits, and an independent computation."""

import numpy as np
import pytest
import scipy.special

from keras_mmgan.metrics.inception_score import inception_score


def reference_inception_score(probabilities, num_splits):
    scores = []
    for part in np.array_split(probabilities, num_splits):
        marginal = part.mean(axis=0)
        kl = [sum(p * np.log(p / q) for p, q in zip(row, marginal) if p > 0) for row in part]
        scores.append(np.exp(np.mean(kl)))
    return np.mean(scores), np.std(scores)


@pytest.mark.parametrize("num_classes", [10, 7])
def test_confident_predictions_with_a_uniform_marginal_score_num_classes(num_classes):
    predictions = np.eye(num_classes)[np.arange(100 * num_classes) % num_classes]
    mean, std = inception_score(predictions, num_splits=10)
    assert mean == pytest.approx(num_classes, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_constant_predictions_score_one():
    rng = np.random.default_rng(0)
    row = rng.dirichlet(np.ones(10))
    mean, std = inception_score(np.tile(row, (500, 1)), num_splits=5)
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_matches_an_independent_computation():
    rng = np.random.default_rng(1)
    probabilities = rng.dirichlet(np.full(10, 0.3), size=1003)
    mean, std = inception_score(probabilities, num_splits=10)
    expected_mean, expected_std = reference_inception_score(probabilities, 10)
    assert mean == pytest.approx(expected_mean, rel=1e-10)
    assert std == pytest.approx(expected_std, rel=1e-8)
    assert 1.0 < mean < 10.0


def test_logits_give_the_score_of_their_softmax():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(400, 10)) * 3
    from_logits = inception_score(logits, num_splits=4, from_logits=True)
    from_softmax = inception_score(scipy.special.softmax(logits, axis=1), num_splits=4)
    np.testing.assert_allclose(from_logits, from_softmax, rtol=1e-10)
    # Very confident logits (huge margins) are handled without overflow.
    one_hot = inception_score(1e4 * np.eye(10)[np.arange(1000) % 10], from_logits=True)
    assert one_hot[0] == pytest.approx(10.0, rel=1e-9)


def test_float32_softmax_rows_are_accepted():
    rng = np.random.default_rng(3)
    probabilities = scipy.special.softmax(rng.normal(size=(100, 1000)), axis=1).astype("float32")
    mean, _ = inception_score(probabilities, num_splits=2)
    assert mean >= 1.0


def test_invalid_inputs_name_the_argument():
    with pytest.raises(ValueError, match="rows must sum to 1.*from_logits=True"):
        inception_score(np.ones((20, 10)))
    with pytest.raises(ValueError, match="must be non-negative"):
        inception_score(np.array([[1.5, -0.5]] * 20))
    with pytest.raises(ValueError, match="must be rank 2"):
        inception_score(np.ones(10) / 10)
    with pytest.raises(ValueError, match="num_splits must be at most the number of samples"):
        inception_score(np.eye(5), num_splits=10)
    with pytest.raises(ValueError, match="must be finite"):
        inception_score(np.full((20, 2), np.nan), from_logits=True)

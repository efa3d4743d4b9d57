"""Inception Score (IS) from a classifier's predictions.

IS (Salimans et al. 2016, section 4) rewards samples that a classifier labels confidently (low
entropy of `p(y|x)`) and that together cover many classes (high entropy of the marginal `p(y)`):

    IS = exp( E_x KL( p(y|x) || p(y) ) ),     p(y) = E_x p(y|x).

As in the original code, the `N` predictions are cut into `num_splits` consecutive splits of
(nearly) equal size; the marginal `p(y)` and the score are computed per split, and the mean and
the standard deviation of the split scores are reported. IS lies in `[1, num_classes]`: 1 when
every sample gets the same prediction, `num_classes` for confident predictions spread evenly
over the classes. It needs only predictions, so it is computed from the softmax outputs (or
logits) of whatever classifier judges the images: InceptionV3 with its ImageNet top for natural
images, the shipped digit classifier (`metrics.digit_classifier`) for digits. Report which.

Reference:
    Salimans et al. 2016, "Improved Techniques for Training GANs", section 4,
    https://arxiv.org/abs/1606.03498.
"""

import numpy as np
import scipy.special

from keras_mmgan.validation import check_positive_int

# Softmax outputs in float32 sum to 1 to within about 1e-6 per class; 1e-3 leaves room for
# rounded or stored predictions, and still catches logits or unnormalized scores.
ROW_SUM_TOLERANCE = 1e-3


def inception_score(class_probabilities, num_splits=10, from_logits=False):
    """Inception Score of predictions: mean and standard deviation over splits.

    Args:
        class_probabilities: array `(N, num_classes)`: softmax outputs, each row non-negative and
            summing to 1 (within 1e-3; rows are renormalized), or logits with `from_logits=True`.
        num_splits: number of consecutive splits, a positive int at most `N` (10 in the paper,
            on 50,000 samples).
        from_logits: whether `class_probabilities` are logits (a log-softmax is applied).

    Returns:
        A tuple `(mean, std)` of Python floats over the splits (`std` with `ddof=0`, as the
        original code).

    Raises:
        ValueError: if the input is not rank 2 or not finite, if probabilities are negative or
            their rows do not sum to 1 (pass `from_logits=True` for logits), or if
            `num_splits > N`.

    Example:
        >>> import numpy as np
        >>> confident = np.eye(10)[np.arange(1000) % 10]  # every class equally often
        >>> [round(value, 6) for value in inception_score(confident)]
        [10.0, 0.0]
        >>> round(inception_score(np.full((1000, 10), 0.1))[0], 6)  # the same prediction for all
        1.0

    Reference:
        Salimans et al. 2016, "Improved Techniques for Training GANs", section 4,
        https://arxiv.org/abs/1606.03498.
    """
    values = np.asarray(class_probabilities, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] == 0:
        raise ValueError(
            "class_probabilities must be rank 2 (num_samples, num_classes); got shape "
            f"{values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError("class_probabilities must be finite; got NaN or infinite values")
    num_splits = check_positive_int("num_splits", num_splits)
    if num_splits > len(values):
        raise ValueError(
            f"num_splits must be at most the number of samples ({len(values)}); got {num_splits}"
        )
    if from_logits:
        log_probabilities = scipy.special.log_softmax(values, axis=1)
        probabilities = np.exp(log_probabilities)
    else:
        if np.any(values < 0):
            raise ValueError(
                "class_probabilities must be non-negative (softmax outputs); got a minimum of "
                f"{values.min():.4g}; pass from_logits=True for logits"
            )
        row_sums = values.sum(axis=1)
        worst = int(np.argmax(np.abs(row_sums - 1.0)))
        if abs(row_sums[worst] - 1.0) > ROW_SUM_TOLERANCE:
            raise ValueError(
                f"class_probabilities rows must sum to 1 (within {ROW_SUM_TOLERANCE}); row "
                f"{worst} sums to {row_sums[worst]:.6g}; pass from_logits=True for logits"
            )
        probabilities = values / row_sums[:, None]
        log_probabilities = None
    scores = []
    for indices in np.array_split(np.arange(len(probabilities)), num_splits):
        part = probabilities[indices]
        marginal = part.mean(axis=0)
        # KL(p(y|x) || p(y)) = sum_y p log p - p log p(y); xlogy makes 0 log 0 = 0.
        if log_probabilities is None:
            entropy_term = scipy.special.xlogy(part, part).sum(axis=1)
        else:
            entropy_term = (part * log_probabilities[indices]).sum(axis=1)
        cross_term = scipy.special.xlogy(part, marginal[None, :]).sum(axis=1)
        scores.append(np.exp(np.mean(entropy_term - cross_term)))
    return float(np.mean(scores)), float(np.std(scores))

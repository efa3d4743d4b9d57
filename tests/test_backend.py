"""The backend seam (`keras_mmgan.backend`), on whichever backend the suite runs."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_mmgan import backend


def test_an_embedding_row_drawn_twice_takes_adams_dense_step():
    # Adam's first step is lr * sign(gradient) on every row with a gradient. A sparse
    # update of a row whose id repeats in the batch must square the summed gradient,
    # not sum the squares of its parts (which gives a larger step).
    embedding = keras.layers.Embedding(10, 4)
    embedding.build((None,))
    start = np.array(embedding.embeddings)
    ids = ops.convert_to_tensor(np.array([0, 1, 2, 0, 1, 3], "int32"))
    weights = ops.convert_to_tensor(np.arange(1.0, 7.0, dtype="float32")[:, None])
    backend.apply_phase(
        lambda: (ops.sum(ops.square(embedding(ids)) * weights), {}),
        embedding.trainable_variables,
        keras.optimizers.Adam(1e-3),
    )
    step = np.abs(np.array(embedding.embeddings) - start)
    np.testing.assert_allclose(step[:4], 1e-3, rtol=1e-2)  # the sparse bug: +20 %
    np.testing.assert_array_equal(step[4:], 0.0)


def test_a_nan_loss_applies_no_update_and_names_the_step():
    w = keras.Variable(np.ones(3, "float32"))
    optimizer = keras.optimizers.SGD(0.1)
    with pytest.raises(ValueError, match="step 8: the loss became NaN"):
        with backend.nonfinite_errors(lambda: 7):
            backend.apply_phase(lambda: (ops.sum(w) * np.nan, {}), [w], optimizer)
    np.testing.assert_array_equal(np.array(w), 1.0)


def test_input_gradients_of_a_list_and_the_state_they_write():
    # Batch normalization in training mode writes its moving mean while the gradient is
    # taken; the write must land in the variable (not be lost inside the transformation).
    norm = keras.layers.BatchNormalization(momentum=0.5)
    norm.build((None, 2))
    x = ops.convert_to_tensor(np.array([[1.0, 2.0], [3.0, 6.0]], "float32"))
    y = ops.convert_to_tensor(np.array([[2.0, 0.0], [1.0, 1.0]], "float32"))
    def fn(xs):
        return norm(xs[0], training=True) * 0 + xs[0] * xs[1]

    gx, gy = backend.input_gradients(fn, [x, y])
    np.testing.assert_allclose(np.array(gx), np.array(y))
    np.testing.assert_allclose(np.array(gy), np.array(x))
    np.testing.assert_allclose(np.array(norm.moving_mean), [1.0, 2.0])  # 0.5 * mean [2, 4]

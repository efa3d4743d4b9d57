import os

import keras
import numpy as np
import pytest

from keras_mmgan.layers import ImagePool


def batch(start, n=4, shape=(2, 2, 1)):
    """Images whose pixels all equal their id, so each image is recognisable."""
    ids = np.arange(start, start + n, dtype="float32")
    return np.broadcast_to(ids.reshape(-1, 1, 1, 1), (n, *shape)).copy()


def ids(images):
    return sorted(np.asarray(images)[:, 0, 0, 0].round().astype(int).tolist())


def make_pool(size=6, seed=0):
    pool = ImagePool(size, seed=seed)
    pool.build((None, 2, 2, 1))
    return pool


def test_fills_first_and_returns_the_batch_unchanged():
    pool = make_pool(6)
    for start in (0, 4):
        x = batch(start)
        np.testing.assert_array_equal(np.array(pool(x, training=True)), x)
    assert int(pool.count) == 6
    assert ids(pool.buffer) == [0, 1, 2, 3, 4, 5]  # 6 and 7 found it full


def test_once_full_swaps_images_and_keeps_every_image_somewhere():
    pool = make_pool(6)
    pool(batch(0, 6), training=True)
    swapped = 0
    for step in range(20):
        x = batch(100 + 10 * step)
        before = ids(pool.buffer)
        returned = np.array(pool(x, training=True))
        after = ids(pool.buffer)
        # An image is returned or stored, never lost or duplicated.
        assert sorted(ids(returned) + after) == sorted(ids(x) + before)
        # Returned images are either this batch's or came out of the pool.
        for image_id in ids(returned):
            assert image_id in ids(x) or image_id in before
        swapped += sum(i in before for i in ids(returned))
    # About half of 80 images are swapped.
    assert 25 <= swapped <= 55


def test_a_batch_larger_than_the_pool():
    pool = make_pool(3)
    pool(batch(0, 3), training=True)
    x = batch(10, 8)
    before = ids(pool.buffer)
    returned = np.array(pool(x, training=True))
    assert sorted(ids(returned) + ids(pool.buffer)) == sorted(ids(x) + before)
    # Only the first `size` images can be swapped.
    np.testing.assert_array_equal(returned[3:], x[3:])


def test_inference_and_size_zero_pass_through():
    pool = make_pool(6)
    x = batch(0)
    np.testing.assert_array_equal(np.array(pool(x)), x)
    assert int(pool.count) == 0
    empty = ImagePool(0)
    empty.build((None, 2, 2, 1))
    np.testing.assert_array_equal(np.array(empty(x, training=True)), x)


def test_the_same_seed_gives_the_same_choices():
    results = []
    for _ in range(2):
        pool = make_pool(6, seed=3)
        pool(batch(0, 6), training=True)
        results.append(np.array(pool(batch(50, 6), training=True)))
    np.testing.assert_array_equal(results[0], results[1])


def test_state_round_trips_in_a_model(tmp_path):
    inputs = keras.Input((2, 2, 1))
    model = keras.Model(inputs, ImagePool(5, seed=1)(inputs, training=True))
    pool = model.layers[-1]
    pool(batch(0, 5), training=True)
    pool(batch(10, 5), training=True)
    path = os.path.join(tmp_path, "pool.keras")
    model.save(path)
    loaded = keras.saving.load_model(path).layers[-1]
    np.testing.assert_array_equal(np.array(loaded.buffer), np.array(pool.buffer))
    assert int(loaded.count) == 5
    # The random stream continues where it was.
    np.testing.assert_array_equal(
        np.array(loaded(batch(20, 5), training=True)), np.array(pool(batch(20, 5), training=True))
    )


@pytest.mark.parametrize("size", [-1, 2.5, "50"])
def test_bad_size(size):
    with pytest.raises(ValueError, match="size"):
        ImagePool(size)

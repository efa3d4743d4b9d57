"""Tests of the tf.data pipelines and the caption vectorizer."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_mmgan.datasets.pipeline import make_dataset
from keras_mmgan.datasets.pipeline import set_epoch
from keras_mmgan.datasets.pipeline import shapes_dataset
from keras_mmgan.datasets.pipeline import unpaired_dataset
from keras_mmgan.datasets.shapes import all_captions
from keras_mmgan.datasets.text import text_vectorizer


@pytest.fixture(scope="module")
def vectorizer():
    return text_vectorizer(all_captions(), sequence_length=10)


def _images(n, shape=(8, 8, 1)):
    return np.arange(n * int(np.prod(shape)), dtype=np.float64).reshape((n,) + shape)


def test_images_only_batches():
    dataset = make_dataset(_images(100), batch_size=32)
    batches = list(dataset)
    assert len(batches) == 3  # remainder dropped
    for batch in batches:
        assert batch.shape == (32, 8, 8, 1)
        assert batch.dtype == tf.float32  # float64 input is cast


def test_keep_remainder_and_no_shuffle_keeps_order():
    images = _images(10)
    dataset = make_dataset(images, batch_size=4, shuffle=False, drop_remainder=False)
    batches = list(dataset)
    assert [b.shape[0] for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(batches), images.astype(np.float32))


def test_label_conditions():
    labels = np.arange(50) % 10
    images = np.repeat(labels.astype(np.float32)[:, None, None, None], 4, axis=1)
    dataset = make_dataset(images, labels, batch_size=16)
    batches = list(dataset)
    assert len(batches) == 3
    for batch_images, batch_labels in batches:
        assert batch_images.shape == (16, 4, 1, 1)
        assert batch_labels.shape == (16,)
        assert batch_labels.dtype.is_integer
        # Pairs stay together through the shuffle.
        np.testing.assert_array_equal(batch_images.numpy()[:, 0, 0, 0], batch_labels.numpy())


def test_string_conditions():
    captions = [f"caption {i}" for i in range(20)]
    images = np.arange(20, dtype=np.float32)[:, None]
    dataset = make_dataset(images, captions, batch_size=5)
    for batch_images, batch_captions in dataset:
        assert batch_captions.dtype == tf.string
        assert batch_captions.shape == (5,)
        for value, text in zip(batch_images.numpy()[:, 0], batch_captions.numpy()):
            assert text.decode() == f"caption {int(value)}"


def test_shuffle_is_seeded_and_reshuffles_each_epoch():
    images = np.arange(64, dtype=np.float32)[:, None]
    first = make_dataset(images, batch_size=64, seed=3)
    second = make_dataset(images, batch_size=64, seed=3)
    epoch_1 = next(iter(first)).numpy()[:, 0]
    epoch_2 = next(iter(first)).numpy()[:, 0]
    np.testing.assert_array_equal(epoch_1, next(iter(second)).numpy()[:, 0])
    assert not np.array_equal(epoch_1, epoch_2)
    assert not np.array_equal(epoch_1, np.arange(64))
    np.testing.assert_array_equal(np.sort(epoch_1), np.arange(64))


def test_mismatched_sizes_raise():
    with pytest.raises(ValueError, match=r"images and conditions.*10 images and 9 conditions"):
        make_dataset(_images(10), np.zeros(9), batch_size=2)


def test_invalid_batch_size_raises():
    with pytest.raises(ValueError, match="batch_size"):
        make_dataset(_images(10), batch_size=0)
    with pytest.raises(TypeError, match="batch_size"):
        make_dataset(_images(10), batch_size=2.0)
    with pytest.raises(ValueError, match=r"batch_size \(64\).*10"):
        make_dataset(_images(10), batch_size=64)


def test_text_vectorizer(vectorizer):
    captions = ["a red circle at the top left", "a cyan triangle at the center"]
    ids = np.asarray(vectorizer(captions))
    assert ids.shape == (2, 10)
    assert (ids[:, :7] > 1).sum() == 13  # 7 + 6 known tokens, no OOV (id 1)
    assert (ids[0, 7:] == 0).all() and (ids[1, 6:] == 0).all()
    vocabulary = vectorizer.get_vocabulary()
    # padding, OOV, plus: a at the / 6 colours / 3 shapes / top bottom left right center
    assert len(vocabulary) == 2 + 3 + 6 + 3 + 5
    assert ids[0, 0] == ids[1, 0] == vocabulary.index("a")


def test_text_vectorizer_accepts_numpy_and_rejects_non_strings():
    layer = text_vectorizer(np.array(["a red circle", "a blue square"]), vocab_size=20,
                            sequence_length=4)
    assert layer(["a red square"]).shape == (1, 4)
    with pytest.raises(TypeError, match="captions"):
        text_vectorizer([1, 2, 3])
    with pytest.raises(TypeError, match="captions"):
        text_vectorizer(np.arange(3))
    with pytest.raises(TypeError, match="captions"):
        text_vectorizer("a red circle")


def test_shapes_dataset_with_vectorizer(vectorizer):
    dataset, data = shapes_dataset(num_samples=200, image_size=16, batch_size=32,
                                   vectorizer=vectorizer, seed=1)
    assert data["images"].shape == (200, 16, 16, 3)
    assert data["token_ids"].dtype == np.int32 and data["token_ids"].shape == (200, 10)
    batches = list(dataset)
    assert len(batches) == 6
    images, token_ids = batches[0]
    assert images.shape == (32, 16, 16, 3) and images.dtype == tf.float32
    assert token_ids.shape == (32, 10) and token_ids.dtype == tf.int32
    np.testing.assert_array_equal(data["token_ids"], np.asarray(vectorizer(data["captions"])))


def test_shapes_dataset_with_strings():
    dataset, data = shapes_dataset(num_samples=64, image_size=8, batch_size=64, shuffle=False)
    images, captions = next(iter(dataset))
    assert images.shape == (64, 8, 8, 3)
    assert [c.decode() for c in captions.numpy()] == data["captions"]
    np.testing.assert_array_equal(images.numpy(), data["images"])


def _orders(dataset):
    return np.concatenate([batch.numpy()[:, 0] for batch in dataset])


def test_epoch_order_is_a_function_of_seed_and_epoch_alone():
    images = np.arange(40, dtype=np.float32)[:, None]
    dataset = make_dataset(images, batch_size=8, seed=5)
    in_turn = [_orders(dataset) for _ in range(3)]  # each pass moves to the next epoch
    fresh = make_dataset(images, batch_size=8, seed=5)  # as in a restarted process
    np.testing.assert_array_equal(_orders(set_epoch(fresh, 2)), in_turn[2])
    np.testing.assert_array_equal(_orders(set_epoch(fresh, 0)), in_turn[0])
    assert not np.array_equal(in_turn[1], in_turn[2])
    other_seed = make_dataset(images, batch_size=8, seed=6)
    assert not np.array_equal(_orders(other_seed), in_turn[0])
    with pytest.raises(ValueError, match="epoch must be an int >= 0"):
        set_epoch(dataset, -1)


def test_unpaired_dataset_sides_follow_the_epoch():
    x, y = np.arange(16.0)[:, None], np.arange(100.0, 124.0)[:, None]

    def pairs(dataset, epoch):
        return np.concatenate([np.stack([bx, by]) for bx, by in set_epoch(dataset, epoch)])

    first, restarted = (unpaired_dataset(x, y, batch_size=4) for _ in range(2))
    np.testing.assert_array_equal(pairs(restarted, 3), pairs(first, 3))
    assert not np.array_equal(pairs(first, 4), pairs(first, 3))


class _Recorder(keras.Model):
    """Trains nothing; records every batch `fit` gives it."""

    def __init__(self):
        super().__init__()
        self.seen = []
        self.built = True

    def train_step(self, *args):  # (data), or (state, data) on JAX
        self.seen.append(np.asarray(args[-1]))
        logs = {"batches": len(self.seen)}
        return logs if len(args) == 1 else (logs, args[0])


def test_fit_trains_epoch_k_on_the_order_drawn_for_k():
    import keras_mmgan as mm

    images = np.arange(24, dtype=np.float32)[:, None]
    dataset = make_dataset(images, batch_size=8, seed=0)
    for _ in range(5):  # passes outside fit do not shift the epochs fit trains
        list(dataset)
    model = _Recorder()
    with mm.datasets.pipeline.follow_fit_epochs(dataset, []) as callbacks:
        model.compile(run_eagerly=True)
        model.fit(dataset, epochs=3, callbacks=callbacks, shuffle=False, verbose=0)
    trained = [np.asarray(batch)[:, 0] for batch in model.seen]
    expected = [_orders(set_epoch(make_dataset(images, batch_size=8, seed=0), k))
                for k in range(3)]
    np.testing.assert_array_equal(np.concatenate(trained), np.concatenate(expected))
    resumed = _Recorder()
    with mm.datasets.pipeline.follow_fit_epochs(dataset, None) as callbacks:
        resumed.compile(run_eagerly=True)
        resumed.fit(dataset, epochs=3, initial_epoch=2, callbacks=callbacks, shuffle=False, verbose=0)
    np.testing.assert_array_equal(
        np.concatenate([np.asarray(b)[:, 0] for b in resumed.seen]), expected[2])


def test_shapes_dataset_follows_the_epoch():
    def captions(epoch):
        dataset, _ = shapes_dataset(num_samples=32, image_size=8, batch_size=8, seed=2)
        return [c for _, batch in set_epoch(dataset, epoch) for c in batch.numpy()]

    assert captions(5) == captions(5)  # two processes' datasets, epoch 5
    assert captions(5) != captions(6)

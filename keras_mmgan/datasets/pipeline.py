"""Input pipelines: numpy arrays -> batched, shuffled, prefetched `tf.data.Dataset`s."""

import contextlib

import keras
import numpy as np
import tensorflow as tf

from keras_mmgan.datasets.shapes import shapes as _shapes
from keras_mmgan.datasets.text import _as_string_array
from keras_mmgan.validation import check_positive_int


def make_dataset(
    images,
    conditions=None,
    batch_size=64,
    shuffle=True,
    seed=0,
    cache=True,
    drop_remainder=True,
):
    """Builds a batched, shuffled, prefetched `tf.data.Dataset` that `model.fit` takes.

    The dataset yields batches of `images` alone (unconditional GANs), or `(images, conditions)`
    tuples where `conditions` are integer class labels, integer token ids or caption strings
    (conditional and text-to-image GANs). Floating-point images are cast to float32. The data are
    shuffled over the whole data set with a new order every epoch, batched, and prefetched with
    `tf.data.AUTOTUNE`.

    Epoch k's order is a pure function of `(seed, k)`: a permutation drawn by a stateless
    random op (Philox) seeded with `(seed, k)`, the same on every machine and in every process.
    The models' `fit` tells the dataset which epoch it is training (Keras's epoch index, which
    `initial_epoch` and `callbacks.BackupAndRestore` restore), so a run that is killed and
    started again trains epoch k on the very batches an uninterrupted run trained it on. Outside
    `fit`, each pass over the dataset moves to the next epoch, as a reshuffled dataset does
    (`set_epoch` picks one). The guarantee holds for the dataset as returned (one that is
    mapped or zipped further is no longer told the epoch; `unpaired_dataset` zips and keeps
    it) and when every epoch is one pass over it (`steps_per_epoch=None`). As the order follows
    Keras's epoch index, `fit(dataset, epochs=1)` called again trains epoch 0's order again;
    continue a run with `fit(dataset, epochs=n + 1, initial_epoch=n)`, as Keras intends.

    Args:
        images: array of shape `(N, ...)`: images `(N, H, W, C)` in [-1, 1], or vectors.
        conditions: optional array (or list) of shape `(N, ...)`: labels `(N,)`, token ids
            `(N, sequence_length)` or strings `(N,)`.
        batch_size: number of samples per batch, a positive int.
        shuffle: whether to shuffle (over all N samples, a new order each epoch).
        seed: shuffle seed, an int: epoch k's order is a function of `(seed, k)` alone.
        cache: whether to cache the samples in memory after the first pass (without
            `shuffle`; a shuffled dataset holds the samples in memory and gathers each batch).
        drop_remainder: whether to drop the last, smaller batch, so that every batch has
            `batch_size` samples (GAN losses and minibatch statistics prefer full batches).

    Returns:
        A `tf.data.Dataset` of `images` batches, or of `(images, conditions)` batch tuples.

    Example:
        >>> import numpy as np
        >>> images = np.zeros((100, 28, 28, 1), "float32")
        >>> labels = np.arange(100) % 10
        >>> dataset = make_dataset(images, labels, batch_size=32)
        >>> [tuple(x.shape) for x in next(iter(dataset))]
        [(32, 28, 28, 1), (32,)]
        >>> len(list(dataset))   # 100 // 32 batches an epoch
        3
    """
    batch_size = check_positive_int("batch_size", batch_size)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int; got {seed!r}")
    images = _as_array("images", images)
    if images.ndim < 1:
        raise ValueError(f"images must have a batch dimension; got a scalar of shape {images.shape}")
    if np.issubdtype(images.dtype, np.floating) and images.dtype != np.float32:
        images = images.astype(np.float32)
    num_samples = images.shape[0]
    if num_samples == 0:
        raise ValueError("images must hold at least one sample; got 0")
    if drop_remainder and batch_size > num_samples:
        raise ValueError(
            f"batch_size ({batch_size}) is larger than the number of samples ({num_samples}) "
            "with drop_remainder=True, so the dataset would be empty; lower batch_size or set "
            "drop_remainder=False"
        )

    data = images
    if conditions is not None:
        conditions = _as_array("conditions", conditions)
        if conditions.ndim < 1 or conditions.shape[0] != num_samples:
            size = conditions.shape[0] if conditions.ndim else "a scalar"
            raise ValueError(
                "images and conditions must have the same first dimension (one condition per "
                f"image); got {num_samples} images and {size} conditions"
            )
        data = (images, conditions)

    if not shuffle:
        dataset = tf.data.Dataset.from_tensor_slices(data)
        if cache:
            dataset = dataset.cache()
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
        return dataset.prefetch(tf.data.AUTOTUNE)

    tensors = tf.nest.map_structure(tf.convert_to_tensor, data)
    indices, counter = epoch_permutation(num_samples, seed)
    dataset = indices.batch(batch_size, drop_remainder=drop_remainder).map(
        lambda batch: tf.nest.map_structure(lambda t: tf.gather(t, batch), tensors)
    )
    return with_epochs(dataset.prefetch(tf.data.AUTOTUNE), [counter])


def epoch_permutation(num_samples, seed):
    """The indices `0 .. num_samples - 1` in epoch k's order, a function of `(seed, k)` alone.

    The building block of the library's shuffled pipelines (`make_dataset`, the folder
    loaders): gather the data with these indices, and attach the counter to the final
    dataset (`with_epochs`), so that `fit` (or `set_epoch`) can tell it which epoch it is.

    Args:
        num_samples: the number of samples, a positive int.
        seed: an int.

    Returns:
        `(indices, counter)`: a `tf.data.Dataset` of int64 indices, one pass a permutation,
        and the `_EpochCounter` that picks the epoch.

    Example:
        >>> indices, counter = epoch_permutation(5, seed=0)
        >>> sorted(int(i) for i in indices)
        [0, 1, 2, 3, 4]
    """
    counter = _EpochCounter()

    def permutation(_):
        keys = tf.random.stateless_uniform(
            [num_samples], seed=tf.stack([tf.constant(seed, tf.int64), counter.next()]),
            minval=None, maxval=None, dtype=tf.int64, alg="philox",
        )
        return tf.argsort(keys, stable=True)

    indices = tf.data.Dataset.range(1).map(permutation).unbatch()
    return indices.apply(tf.data.experimental.assert_cardinality(num_samples)), counter


class _EpochCounter:
    """The epoch a shuffled `make_dataset` draws its order for, read when a pass starts.

    Free, each pass takes the current epoch and moves to the next one. Pinned (by the models'
    `fit`, through `follow_fit_epochs`), a pass only reads the epoch that `set` gave: Keras opens
    a spare iterator at the end of each epoch, which must not move the count.
    """

    def __init__(self):
        with tf.init_scope(), tf.device("/cpu:0"):
            self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
            self.step = tf.Variable(1, dtype=tf.int64, trainable=False, name="epoch_step")

    def next(self):
        step = self.step.read_value()
        return self.epoch.assign_add(step) - step

    def set(self, epoch, pinned=None):
        self.epoch.assign(int(epoch))
        if pinned is not None:
            self.step.assign(0 if pinned else 1)


_EPOCHS = "_keras_mmgan_epoch_counters"


def with_epochs(dataset, counters):
    """`dataset`, carrying the epoch counters of the shuffles it is built on (see `set_epoch`)."""
    setattr(dataset, _EPOCHS, tuple(counters))
    return dataset


def _epoch_counters(dataset):
    return getattr(dataset, _EPOCHS, ()) if is_dataset(dataset) else ()


def set_epoch(dataset, epoch):
    """Makes the next pass over a shuffled `make_dataset` (or `unpaired_dataset`) yield `epoch`.

    For loops written by hand; the models' `fit` sets the epoch itself. As
    PyTorch's `DistributedSampler.set_epoch`: epoch k's order is a function of
    the dataset's seed and k alone.

    Args:
        dataset: a dataset returned by `make_dataset`, `shapes_dataset` or
            `unpaired_dataset` (others are left as they are).
        epoch: the epoch index, an int >= 0.

    Returns:
        `dataset`.

    Example:
        >>> import numpy as np
        >>> dataset = make_dataset(np.arange(8.0)[:, None], batch_size=8, seed=1)
        >>> first = next(iter(set_epoch(dataset, 3)))
        >>> again = next(iter(set_epoch(dataset, 3)))
        >>> bool((first.numpy() == again.numpy()).all())
        True
    """
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"epoch must be an int >= 0; got {epoch!r}")
    for counter in _epoch_counters(dataset):
        counter.set(epoch)
    return dataset


@contextlib.contextmanager
def follow_fit_epochs(dataset, callbacks):
    """Makes a library dataset draw each epoch's order from the epoch `fit` trains.

    Adds to `callbacks` a callback that sets the dataset's epoch at the start
    of every epoch, and pins the dataset meanwhile so that spare iterators do
    not move its count; when `fit` ends the dataset goes back to moving to the
    next epoch on each pass.

    Args:
        dataset: what `fit` takes as `x`; anything but a library dataset is left alone.
        callbacks: the callbacks passed to `fit` (a list, or `None`).

    Returns:
        A context manager that yields the callbacks to pass to `fit`.

    Example:

    ```python
    with follow_fit_epochs(dataset, callbacks) as callbacks:
        model.fit(dataset, epochs=3, callbacks=callbacks)
    ```
    """
    counters = _epoch_counters(dataset)
    if not counters:
        yield callbacks
        return
    follow = _FollowEpochs(counters)
    if isinstance(callbacks, keras.callbacks.CallbackList):
        callbacks.append(follow)
    else:
        callbacks = [follow] + list(callbacks or [])
    after = [int(counter.epoch.numpy()) for counter in counters]
    for counter in counters:
        counter.set(counter.epoch.numpy(), pinned=True)
    try:
        yield callbacks
    finally:
        for counter, epoch in zip(counters, after):
            counter.set(max(epoch, int(counter.epoch.numpy()) + 1), pinned=False)


class _FollowEpochs(keras.callbacks.Callback):
    """Sets the epoch of library datasets when `fit` begins an epoch (see `follow_fit_epochs`)."""

    def __init__(self, counters):
        super().__init__()
        self.counters = counters

    def on_epoch_begin(self, epoch, logs=None):
        for counter in self.counters:
            counter.set(epoch)


def unpaired_dataset(images_x, images_y, batch_size=1, seed=0):
    """Zips two image sets into `(batch_x, batch_y)` pairs for unpaired translation.

    Each side is shuffled on its own (a different order every epoch), so a
    pair is never a fixed correspondence; an epoch lasts as long as the
    smaller side. Each side's order in epoch k is a function of its seed and
    k, as in `make_dataset`, so a resumed run sees the pairs an uninterrupted
    one saw. Either side may be an array or a `tf.data.Dataset` of
    batches already.

    Args:
        images_x: images of domain X, `(N, H, W, C)` in [-1, 1], or a dataset.
        images_y: images of domain Y, or a dataset.
        batch_size: images per side per batch (for arrays).
        seed: shuffle seed (Y uses `seed + 1`).

    Returns:
        A `tf.data.Dataset` of `(images_x, images_y)` batches, as `CycleGAN.fit` takes.

    Example:
        >>> import numpy as np
        >>> x, y = np.zeros((6, 8, 8, 1), "float32"), np.ones((9, 8, 8, 3), "float32")
        >>> [tuple(b.shape) for b in next(iter(unpaired_dataset(x, y, batch_size=2)))]
        [(2, 8, 8, 1), (2, 8, 8, 3)]
    """
    sides = [
        side if is_dataset(side) else make_dataset(side, batch_size=batch_size, seed=seed + i)
        for i, side in enumerate((images_x, images_y))
    ]
    counters = [counter for side in sides for counter in _epoch_counters(side)]
    return with_epochs(tf.data.Dataset.zip(tuple(sides)), counters)


def shapes_dataset(
    num_samples=4000,
    image_size=28,
    batch_size=64,
    vectorizer=None,
    seed=0,
    colors=None,
    shapes=None,
    positions=None,
    shuffle=True,
    cache=True,
    drop_remainder=True,
):
    """Builds the coloured-shapes data set with captions, ready for `model.fit`.

    Generates `keras_mmgan.datasets.shapes(...)` and wraps it with `make_dataset`. With a
    `vectorizer` (e.g. from `text_vectorizer`), the captions are turned into int32 token ids once,
    up front, and the dataset yields `(images, token_ids)`; without one it yields
    `(images, caption_strings)`, for a model that holds its own vectorizer. As with
    `make_dataset`, epoch k's order is a function of `(seed, k)` alone, so `fit` resumes exactly.

    Args:
        num_samples: number of images, a positive int.
        image_size: height and width of the images, an int >= 8.
        batch_size: number of samples per batch.
        vectorizer: optional callable (typically an adapted `TextVectorization`) mapping a batch
            of strings to token ids `(N, sequence_length)`.
        seed: seed of both the generated images and the shuffle order.
        colors: optional subset of colour names to sample from (see `shapes`).
        shapes: optional subset of shape names to sample from.
        positions: optional subset of position names to sample from.
        shuffle: whether to shuffle every epoch.
        cache: whether to cache the samples after the first pass.
        drop_remainder: whether to drop the last, smaller batch.

    Returns:
        A tuple `(dataset, data)`: the `tf.data.Dataset`, and the dict returned by `shapes`
        (`images`, `captions`, `colors`, `shapes`, `positions`), with `token_ids` added when a
        vectorizer is given.

    Example:
        >>> from keras_mmgan.datasets.shapes import all_captions
        >>> from keras_mmgan.datasets.text import text_vectorizer
        >>> vectorizer = text_vectorizer(all_captions())
        >>> dataset, data = shapes_dataset(256, batch_size=32, vectorizer=vectorizer)
        >>> images, token_ids = next(iter(dataset))
        >>> tuple(images.shape), tuple(token_ids.shape)
        ((32, 28, 28, 3), (32, 10))
    """
    data = _shapes(
        num_samples,
        image_size=image_size,
        seed=seed,
        colors=colors,
        shapes=shapes,
        positions=positions,
    )
    captions = _as_string_array("captions", data["captions"])
    if vectorizer is None:
        conditions = captions
    else:
        token_ids = np.asarray(vectorizer(tf.constant(captions))).astype(np.int32)
        data["token_ids"] = token_ids
        conditions = token_ids
    dataset = make_dataset(
        data["images"],
        conditions,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        cache=cache,
        drop_remainder=drop_remainder,
    )
    return dataset, data


def _as_array(name, values):
    """Converts arrays, tensors and lists to numpy; lists of str become unicode arrays."""
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, tf.Tensor):
        return values.numpy()
    try:
        return np.asarray(values)
    except Exception as error:
        raise TypeError(
            f"{name} must be an array, a tensor or a list; got {type(values).__name__} ({error})"
        ) from None


def peek_batch(x, y=None):
    """Returns the first batch that `fit(x, y)` would train on, as NumPy.

    Lets a model check shapes and dtypes before any training step runs, and
    refuses data with nothing to train on (Keras would train zero steps and
    return as if all went well).

    Args:
        x: what `fit` takes as `x`: arrays, tensors, a tuple of them, a
            `tf.data.Dataset` or a `keras.utils.PyDataset`.
        y: what `fit` takes as `y`.

    Returns:
        The batch (an array or a tuple of arrays; for arrays, the whole
        arrays), or `None` for inputs that cannot be read without consuming
        them (Python generators and iterators).

    Raises:
        ValueError: if `x` or `y` holds no samples, a dataset yields no batch,
            or its first batch holds no samples.

    Example:

    >>> peek_batch(np.zeros((10, 2)), np.ones(10))[1].shape
    (10,)
    """
    if isinstance(x, tf.data.Dataset):
        for element in x.take(1):
            batch = tf.nest.map_structure(lambda t: t.numpy(), element)
            _check_samples(batch, "the first batch of the dataset passed to fit()")
            return batch
        raise ValueError(
            "the dataset passed to fit() is empty: it yields no batch (fewer samples than "
            "one batch with drop_remainder=True, or a filter or take that leaves nothing?)"
        )
    if isinstance(x, keras.utils.PyDataset):
        if x.num_batches == 0:
            raise ValueError("the PyDataset passed to fit() is empty: its len() is 0")
        return x[0]
    if x is None or not hasattr(x, "shape") and not isinstance(x, (tuple, list)):
        return None
    to_array = lambda v: v if hasattr(v, "shape") else np.asarray(v)
    x = tuple(map(to_array, x)) if isinstance(x, (tuple, list)) else x
    _check_samples(x, "x passed to fit()")
    if y is not None:
        y = to_array(y)
        _check_samples(y, "y passed to fit()")
    return x if y is None else (*(x if isinstance(x, tuple) else (x,)), y)


def _check_samples(data, name):
    """Raises a `ValueError` if an array of `data` has no sample (a first dimension of 0)."""
    for array in tf.nest.flatten(data):
        shape = tuple(getattr(array, "shape", ()))
        if shape and shape[0] == 0:
            raise ValueError(
                f"{name} holds no samples: got an array of shape {shape}; fit needs at least "
                "one sample to train on"
            )


def strings_as_tensors(data):
    """Turns NumPy string arrays (or lists of str) into string tensors.

    Keras's array adapter cannot batch NumPy unicode arrays; string tensors it
    can. Anything else is returned unchanged; tuples are converted item-wise.

    Args:
        data: what `fit` takes as `x` or `y`.

    Returns:
        `data` with string arrays replaced by `tf.string` tensors.

    Example:

    >>> strings_as_tensors(np.array(["a red circle"])).dtype
    tf.string
    """
    if isinstance(data, tuple):
        return tuple(strings_as_tensors(item) for item in data)
    if isinstance(data, list) and data and all(isinstance(item, str) for item in data):
        return tf.constant(data)
    if isinstance(data, np.ndarray) and data.dtype.kind in "USO":
        return tf.constant(data.astype(str))
    return data


def is_dataset(data):
    """Whether `data` is a `tf.data.Dataset`."""
    return isinstance(data, tf.data.Dataset)

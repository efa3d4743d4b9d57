"""A history of generated images for the discriminator (Shrivastava et al. 2017)."""

import keras
from keras import ops

from keras_mmgan.layers.seed_state import SavesSeedState


@keras.saving.register_keras_serializable(package="keras_mmgan")
class ImagePool(SavesSeedState, keras.layers.Layer):
    """Shows the discriminator past fakes as well as current ones.

    The pool stores up to `size` generated images. Until it is full, each
    call stores the batch's images and returns them unchanged. Once full,
    each image of the batch is, with probability 1/2, swapped with a random
    stored image: the stored one is returned and the new one takes its slot.
    This is CycleGAN's `ImagePool` (size 50), vectorised: the swapped slots of
    one call are distinct, and only the first `size` images of a batch larger
    than the pool can be swapped. Images are stored without gradient; with
    `training=False` the pool returns its input and changes nothing.

    The buffer, fill count and random state are saved with the model, so a
    resumed run continues the pool exactly.

    Args:
        size: number of images kept (`0` turns the pool off).
        seed: int seed of the pool's random choices.
        **kwargs: passed to `keras.layers.Layer`.

    Returns:
        Called on images `(N, ...)`, a tensor of the same shape.

    Example:

    ```python
    pool = keras_mmgan.layers.ImagePool(50)
    fakes_for_d = pool(ops.stop_gradient(fakes), training=True)
    # or, for an unconditional GAN: GAN(generator, discriminator, 64, pool_size=50)
    ```

    Reference:
        Shrivastava et al., "Learning from Simulated and Unsupervised Images
        through Adversarial Training", CVPR 2017, section 2.3; Zhu et al.,
        "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017, section 4.
    """

    def __init__(self, size=50, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"size must be an int >= 0; got {size!r}")
        self.size = size
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="pool_seed")

    def build(self, input_shape):
        item_shape = tuple(input_shape[1:])
        if any(d is None for d in item_shape):
            raise ValueError(
                f"ImagePool needs fully known image shapes; got {tuple(input_shape)}"
            )
        self.buffer = self.add_weight(
            shape=(self.size,) + item_shape, initializer="zeros", trainable=False, name="buffer"
        )
        self.count = self.add_weight(
            shape=(), initializer="zeros", dtype="int32", trainable=False, name="count"
        )

    def call(self, images, training=False):
        if not training or self.size == 0:
            return images
        images = ops.stop_gradient(images)
        n = ops.shape(images)[0]
        flat = ops.reshape(images, (n, -1))
        stored = ops.reshape(ops.cast(self.buffer, images.dtype), (self.size, -1))

        order = keras.random.shuffle(ops.arange(self.size), seed=self.seed_generator)
        coin = keras.random.uniform((n,), seed=self.seed_generator) < 0.5

        position = ops.arange(n)
        full = self.count >= self.size
        # Before the pool is full, sample i fills slot count + i; after, it may
        # take slot order[i] (distinct for i < size).
        candidate = ops.take(order, ops.minimum(position, self.size - 1))
        slot = ops.where(full, candidate, self.count + position)
        writes = ops.where(full, ops.logical_and(coin, position < self.size), slot < self.size)
        slot_one_hot = ops.one_hot(ops.where(writes, slot, -1), self.size, dtype=images.dtype)

        returned = ops.where(
            ops.logical_and(full, writes)[:, None], ops.matmul(slot_one_hot, stored), flat
        )
        written = ops.max(slot_one_hot, axis=0)[:, None]
        new = stored * (1.0 - written) + ops.matmul(ops.transpose(slot_one_hot), flat)
        self.buffer.assign(ops.cast(ops.reshape(new, ops.shape(self.buffer)), self.buffer.dtype))
        self.count.assign(ops.minimum(self.count + n, self.size))
        return ops.reshape(returned, ops.shape(images))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(size=self.size, seed=self.seed)
        return config

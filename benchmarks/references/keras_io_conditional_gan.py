"""The keras.io "Conditional GAN" example's step (see `references`)."""

from keras import ops

from references.keras_io_dcgan import KerasIODCGAN


class KerasIOConditionalGAN(KerasIODCGAN):
    """keras.io "Conditional GAN": one-hot labels concatenated to z and, as maps, to images.

    keras.io builds the label maps with `ops.repeat(one_hot[:, :, None, None], [h * w])` and a
    reshape to `(-1, h, w, num_classes)`, which lays the repeated values out class-major, so
    its maps are stripes of several classes, not one-hot per pixel. Here they are broadcast
    (each pixel holds the one-hot label), as the library does; the cost is the same.
    """

    def __init__(self, discriminator, generator, latent_dim, num_classes, seed):
        super().__init__(discriminator, generator, latent_dim, seed)
        self.num_classes = num_classes

    def condition(self, data):
        real_images, labels = data
        one_hot_labels = ops.one_hot(ops.cast(labels, "int32"), self.num_classes)
        image_size = real_images.shape[1]
        image_one_hot_labels = ops.broadcast_to(
            one_hot_labels[:, None, None, :],
            (ops.shape(real_images)[0], image_size, image_size, self.num_classes),
        )
        return real_images, (one_hot_labels, image_one_hot_labels)

    def generator_input(self, latents, condition):
        return ops.concatenate([latents, condition[0]], axis=1)

    def discriminator_input(self, images, condition):
        return ops.concatenate([images, condition[1]], -1)

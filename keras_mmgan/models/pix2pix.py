"""Pix2Pix: paired image-to-image translation (Isola et al. 2017)."""

import keras
from keras import ops

from keras_mmgan import backend, losses
from keras_mmgan.models.gan import GAN
from keras_mmgan.validation import check_weight


@keras.saving.register_keras_serializable(package="keras_mmgan")
class Pix2Pix(GAN):
    """Paired translation: learns `G(source) ≈ target` from `(source, target)` pairs.

    The discriminator is conditional: it judges `(source, image)` pairs (a
    `networks.patchgan_discriminator(..., source_shape=...)` takes
    `[source, image]`), one logit per patch. The generator minimises the
    adversarial loss plus `l1_weight * mean|G(source) - target|`: L1 gets the
    low frequencies right, the patch discriminator the sharp detail. There is
    no latent z (the paper found the generator ignores it); `generate` is
    deterministic.

    Args:
        generator: a `keras.Model`, source images -> images in [-1, 1], e.g.
            `networks.unet_generator`.
        discriminator: a `keras.Model` taking `[source, image]` -> logits.
        l1_weight: the paper's `lambda` (100).
        seed: int seed of the model's noise stream.
        **kwargs: passed to `keras.Model`.

    Example:

    ```python
    generator = mm.networks.unet_generator((32, 32, 1), output_channels=3)
    discriminator = mm.networks.patchgan_discriminator((32, 32, 3), source_shape=(32, 32, 1))
    model = mm.models.Pix2Pix(generator, discriminator)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    model.fit(mm.datasets.make_dataset(gray, colour), epochs=10)   # (source, target) pairs
    coloured = model.generate(images=gray[:8])
    ```

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional
        Adversarial Networks", CVPR 2017.
    """

    conditional = True
    uses_latents = False

    def __init__(self, generator, discriminator, l1_weight=100.0, seed=None, **kwargs):
        # Pix2Pix has no code (get_config writes latent_dim=None); a subclass
        # with one (MultimodalPix2Pix) passes it on.
        latent_dim = kwargs.pop("latent_dim", None) if self.uses_latents else None
        kwargs.pop("latent_dim", None)
        super().__init__(generator, discriminator, latent_dim, seed=seed, **kwargs)
        self.l1_weight = check_weight("l1_weight", l1_weight)
        inputs = discriminator.inputs
        if len(inputs) != 2:
            raise ValueError(
                "discriminator must take [source, image] (a conditional patch "
                "discriminator, e.g. patchgan_discriminator(..., source_shape=...)); "
                f"it takes {len(inputs)} input(s)"
            )

    def auxiliary_loss_names(self):
        return ("l1_loss",)

    # ------------------------------------------------------------------ #
    # Batches.
    # ------------------------------------------------------------------ #
    def check_batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(
                "Pix2Pix.fit takes (source, target) pairs: a dataset of tuples, "
                "or x=source, y=target"
            )
        self.check_source(data[0])
        self.check_images(data[1], name="targets")
        if data[0].shape[0] is not None and data[1].shape[0] is not None:
            if data[0].shape[0] != data[1].shape[0]:
                raise ValueError(
                    f"source and target batches differ in size: {data[0].shape[0]} "
                    f"and {data[1].shape[0]}"
                )

    @property
    def source_shape(self):
        """Shape of one source image."""
        return tuple(self.generator.input_shape[1:])

    def check_source(self, source, name="source images"):
        """Checks that source images match the generator's input shape."""
        self.check_images(source, name, expected=self.source_shape)

    def prepare_batch(self, data):
        self.check_batch(data)
        source, target = data[0], data[1]
        return {
            "images": backend.guard(ops.cast(target, self.compute_dtype), "targets"),
            "source": backend.guard(ops.cast(source, self.compute_dtype), "source images"),
        }

    def batch_checks(self, batch):
        return {"images": batch["images"], "source": batch["source"]}

    # ------------------------------------------------------------------ #
    # Networks.
    # ------------------------------------------------------------------ #
    def generate_images(self, latents, batch, training=False):
        return self.generator(batch["source"], training=training)

    def discriminator_inputs(self, images, batch):
        return [batch["source"], images]

    def augment_for_discriminator(self, images, batch):
        # The source and the image it is judged with: the same transform, so a pair stays one.
        if self.augment is None or not batch.get("training", True):
            return images, batch
        source, images = self.augment([batch["source"], images], training=True)
        return images, dict(batch, source=source)

    def generator_loss(self, batch):
        loss, logs = super().generator_loss(batch)
        logs["l1_loss"] = losses.mean_absolute_difference(batch["fakes"], batch["images"])
        return loss + self.l1_weight * logs["l1_loss"], logs

    # ------------------------------------------------------------------ #
    # Inference.
    # ------------------------------------------------------------------ #
    def call(self, inputs, training=False):
        """Translates source images (or the source of a `(source, target)` batch)."""
        if isinstance(inputs, (tuple, list)):
            inputs = inputs[0]
        return self.generator(inputs, training=training)

    def generation_inputs(self, num_samples=None, labels=None, captions=None, images=None):
        images = self.source_images(images, self.source_shape, num_samples, labels, captions)
        return len(images), {"source": images}

    def serving_condition(self):
        spec = ((None,) + self.source_shape, "float32")
        return spec, lambda images: {"source": images}

    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "pack", "pool_size"):
            config.pop(key)
        config["l1_weight"] = self.l1_weight
        return config

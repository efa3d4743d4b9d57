"""CycleGAN: unpaired image-to-image translation (Zhu et al. 2017)."""

import keras
import numpy as np
from keras import ops

from keras_mmgan import backend
from keras_mmgan.losses import mean_absolute_difference as _l1
from keras_mmgan.datasets import pipeline
from keras_mmgan.layers.image_pool import ImagePool
from keras_mmgan.models.gan import GAN
from keras_mmgan.validation import check_weight


@keras.saving.register_keras_serializable(package="keras_mmgan")
class CycleGAN(GAN):
    """Unpaired translation between domains X and Y with two generators.

    `generator_g` maps X -> Y and `generator_f` maps Y -> X; `discriminator_y`
    judges Y images and `discriminator_x` X images. The generator phase
    updates both generators at once with the adversarial losses, the cycle loss
    `mean|F(G(x)) - x| + mean|G(F(y)) - y|` (weight `cycle_weight`) and the
    identity loss `mean|G(y) - y| + mean|F(x) - x|` (weight
    `identity_weight * cycle_weight`, as in the authors' code). The
    discriminator phase updates both discriminators, on real images and on
    fakes drawn from a history pool of the last `pool_size` fakes. LSGAN is
    the default loss, and the discriminator loss is halved, as in the paper.
    Regularizers of the discriminator phase (R1, gradient penalty) act on
    `discriminator_y`.

    By default (`reuse_fakes=True`) a step computes the fakes `G(x)`, `F(y)`
    once, as the authors' code does: the generator phase runs first and
    records them (without gradient), and the discriminator phase then judges
    those, through the pools, instead of running both generators again (two
    generator passes fewer per step). The generators are judged by the
    discriminators of the step before. With `reuse_fakes=False` the
    discriminator phase runs first on fakes of its own, and the generator
    phase is judged by the discriminators it has just updated.

    Args:
        generator_g: `keras.Model`, X images -> Y images in [-1, 1].
        generator_f: `keras.Model`, Y images -> X images.
        discriminator_x: `keras.Model`, X images -> logits (per patch).
        discriminator_y: `keras.Model`, Y images -> logits.
        cycle_weight: the paper's `lambda` (10).
        identity_weight: identity loss relative to `cycle_weight` (0.5);
            needs X and Y images of the same shape, set 0 otherwise.
        pool_size: fakes kept per discriminator (50; 0 for none).
        seed: int seed of the pools' random choices.
        reuse_fakes: whether the discriminator phase judges the fakes that
            the generator phase made in the same step (True, the generator
            phase first) or generates its own (False, the discriminator
            phase first).
        **kwargs: passed to `keras.Model`.

    Example:

    ```python
    g = mm.networks.resnet_generator((64, 64, 3), num_blocks=6)
    f = mm.networks.resnet_generator((64, 64, 3), num_blocks=6)
    d_x, d_y = mm.networks.patchgan_discriminator((64, 64, 3)), mm.networks.patchgan_discriminator((64, 64, 3))
    model = mm.models.CycleGAN(g, f, d_x, d_y)
    lr = mm.schedules.ConstantThenLinearDecay(2e-4, 100 * steps, 100 * steps)
    model.compile(d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5))
    model.train(horses, zebras, epochs=200)       # = fit(unpaired_dataset(horses, zebras))
    zebra_like = model.generate(images=horses[:4])
    horse_like = model.translate(zebras[:4], direction="y_to_x")
    ```

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks", ICCV 2017.
    """

    conditional = True
    uses_latents = False

    def __init__(
        self,
        generator_g,
        generator_f,
        discriminator_x,
        discriminator_y,
        cycle_weight=10.0,
        identity_weight=0.5,
        pool_size=50,
        seed=None,
        reuse_fakes=True,
        **kwargs,
    ):
        for key in ("latent_dim", "pack"):
            kwargs.pop(key, None)  # from get_config
        super().__init__(generator_g, discriminator_y, None, seed=seed, **kwargs)
        for name, network in (("generator_f", generator_f), ("discriminator_x", discriminator_x)):
            if not isinstance(network, keras.Model):
                raise TypeError(f"{name} must be a keras.Model; got {type(network).__name__}")
        self.generator_f = generator_f
        self.discriminator_x = discriminator_x
        self.cycle_weight = check_weight("cycle_weight", cycle_weight)
        self.identity_weight = check_weight("identity_weight", identity_weight)
        x_shape = tuple(generator_g.input_shape[1:])
        y_shape = tuple(generator_g.output_shape[1:])
        if tuple(generator_f.input_shape[1:]) != y_shape or (
            tuple(generator_f.output_shape[1:]) != x_shape
        ):
            raise ValueError(
                f"generator_f must map Y {y_shape} back to X {x_shape} (generator_g maps "
                f"X to Y); it maps {generator_f.input_shape} to {generator_f.output_shape}"
            )
        if self.identity_weight and x_shape != y_shape:
            raise ValueError(
                f"identity_weight needs X and Y images of one shape; got {x_shape} and "
                f"{y_shape}: set identity_weight=0"
            )
        if not isinstance(reuse_fakes, bool):
            raise TypeError(f"reuse_fakes must be True or False; got {reuse_fakes!r}")
        self.reuse_fakes = reuse_fakes
        self.cycle_pool_size = pool_size
        self.pool_x = ImagePool(pool_size, seed=seed, name="pool_x")
        self.pool_y = ImagePool(pool_size, seed=None if seed is None else seed + 1, name="pool_y")
        self.pool_x.build((None,) + x_shape)
        self.pool_y.build((None,) + y_shape)

    @property
    def generator_g(self):
        return self.generator

    @property
    def discriminator_y(self):
        return self.discriminator

    def auxiliary_loss_names(self):
        return ("cycle_loss", "identity_loss")

    def generator_networks(self):
        return [self.generator, self.generator_f]

    def discriminator_networks(self):
        return [self.discriminator_x, self.discriminator]

    def compile(self, d_optimizer=None, g_optimizer=None, loss="lsgan", **kwargs):
        """As `GAN.compile`, with LSGAN as the default loss (the paper's)."""
        super().compile(d_optimizer, g_optimizer, loss=loss, **kwargs)

    def phases(self):
        """The discriminator phase, then the generator phase; the reverse with `reuse_fakes`."""
        discriminator_phase, generator_phase = super().phases()
        if self.reuse_fakes:
            return [generator_phase, discriminator_phase]
        return [discriminator_phase, generator_phase]

    # ------------------------------------------------------------------ #
    # Batches.
    # ------------------------------------------------------------------ #
    def check_batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(
                "CycleGAN.fit takes (images_x, images_y) batches, e.g. "
                "datasets.unpaired_dataset(images_x, images_y), or use train(x, y)"
            )
        self.check_images(data[0], "images_x", expected=self.generator.input_shape[1:])
        self.check_images(data[1], "images_y")

    def prepare_batch(self, data):
        self.check_batch(data)
        return {
            "images": backend.guard(ops.cast(data[1], self.compute_dtype), "images_y"),
            "images_x": backend.guard(ops.cast(data[0], self.compute_dtype), "images_x"),
            # The fakes the generator phase made, for the discriminator phase of the same
            # step: each phase gets its own copy of the batch, but this dict is shared.
            "generated": {},
        }

    def batch_checks(self, batch):
        return {"images": batch["images"], "images_x": batch["images_x"]}

    def generate_images(self, latents, batch, training=False):
        return self.generator(batch["images_x"], training=training)

    # ------------------------------------------------------------------ #
    # Phase losses.
    # ------------------------------------------------------------------ #
    def judge(self, discriminator, images, batch):
        """One domain's discriminator on images, augmented while training (per domain)."""
        if self.augment is not None and batch.get("training", True):
            images = self.augment(images, training=True)
        return discriminator(images, training=True)

    def discriminator_fakes(self, batch):
        """The fakes `(G(x), F(y))` the discriminator phase judges, without gradient.

        With `reuse_fakes`, those the generator phase recorded in the batch; otherwise (or
        when no generator phase ran on this batch) both generators run on the real images.

        Args:
            batch: the phase's batch dict.

        Returns:
            A tuple `(fake_y, fake_x)`.

        Example:

        ```python
        batch = model.prepare_batch((images_x, images_y))
        model.generator_loss(dict(batch))                # records G(x), F(y) in batch["generated"]
        fake_y, fake_x = model.discriminator_fakes(batch)  # those, with no generator call
        ```
        """
        generated = batch.get("generated") or {}
        if self.reuse_fakes and generated:
            return generated["y"], generated["x"]
        real_x, real_y = batch["images_x"], batch["images"]
        return (
            ops.stop_gradient(self.generator(real_x, training=True)),
            ops.stop_gradient(self.generator_f(real_y, training=True)),
        )

    def discriminator_loss(self, batch):
        real_x, real_y = batch["images_x"], batch["images"]
        fake_y, fake_x = self.discriminator_fakes(batch)
        batch["fakes"] = fake_y
        loss = self.adversarial_loss
        pooling = batch.get("training", True)  # evaluate leaves the pools alone
        real_y_output = self.judge(self.discriminator, real_y, batch)
        real_x_output = self.judge(self.discriminator_x, real_x, batch)
        # Halved, as in the paper: D learns slower than G.
        d_y = 0.5 * loss.discriminator_loss(
            real_y_output,
            self.judge(self.discriminator, self.pool_y(fake_y, training=pooling), batch),
        )
        d_x = 0.5 * loss.discriminator_loss(
            real_x_output,
            self.judge(self.discriminator_x, self.pool_x(fake_x, training=pooling), batch),
        )
        logs = self.augmentation_logs(real_y_output, real_x_output)
        return d_x + d_y, {"d_loss": d_x + d_y, **logs}

    def generator_loss(self, batch):
        real_x, real_y = batch["images_x"], batch["images"]
        fake_y = self.generator(real_x, training=True)
        fake_x = self.generator_f(real_y, training=True)
        batch["fakes"] = fake_y
        if self.reuse_fakes and "generated" in batch:
            batch["generated"].update(y=ops.stop_gradient(fake_y), x=ops.stop_gradient(fake_x))
        loss = self.adversarial_loss

        def adversarial(discriminator, fake, real):
            # D in training mode, as in its own phase; the engine puts back what that writes.
            real_output = self.judge(discriminator, real, batch) if loss.needs_real_output else None
            return loss.generator_loss(self.judge(discriminator, fake, batch), real_output)

        g_loss = adversarial(self.discriminator, fake_y, real_y) + adversarial(
            self.discriminator_x, fake_x, real_x
        )
        cycle = _l1(self.generator_f(fake_y, training=True), real_x) + _l1(
            self.generator(fake_x, training=True), real_y
        )
        logs = {"g_loss": g_loss, "cycle_loss": cycle}
        total = g_loss + self.cycle_weight * cycle
        if self.identity_weight:
            identity = _l1(self.generator(real_y, training=True), real_y) + _l1(
                self.generator_f(real_x, training=True), real_x
            )
            total = total + self.identity_weight * self.cycle_weight * identity
        else:
            identity = ops.zeros(())
        logs["identity_loss"] = identity
        return total, logs

    # ------------------------------------------------------------------ #
    # Training and inference.
    # ------------------------------------------------------------------ #
    def train(self, dataset_a, dataset_b, epochs=1, batch_size=1, **kwargs):
        """Trains on two unpaired sets: `fit(unpaired_dataset(a, b), epochs)`.

        The guide's `CycleGAN().train(data_loader_A, data_loader_B)`, as a thin
        convenience over `fit`.

        Args:
            dataset_a: images of domain X (array or dataset of batches).
            dataset_b: images of domain Y.
            epochs: passes over the smaller set.
            batch_size: images per side per batch (1 in the paper), for arrays.
            **kwargs: passed to `fit` (callbacks, verbose, ...).

        Returns:
            The `History` of `fit`.
        """
        dataset = pipeline.unpaired_dataset(dataset_a, dataset_b, batch_size=batch_size)
        return self.fit(dataset, epochs=epochs, **kwargs)

    def translate(self, images, direction="x_to_y", batch_size=64):
        """Translates images X -> Y (`generator_g`) or Y -> X (`generator_f`).

        Args:
            images: images of the source domain, `(N, H, W, C)` in [-1, 1].
            direction: `"x_to_y"` or `"y_to_x"`.
            batch_size: images per forward pass.

        Returns:
            A float32 NumPy array of translated images.
        """
        if direction == "x_to_y":
            return self.generate(images=images, batch_size=batch_size)
        if direction != "y_to_x":
            raise ValueError(f"direction must be 'x_to_y' or 'y_to_x'; got {direction!r}")
        images = np.asarray(images, dtype="float32")
        self.check_images(images, "images")
        return np.concatenate([
            ops.convert_to_numpy(self.generator_f(images[i : i + batch_size], training=False))
            for i in range(0, len(images), batch_size)
        ]).astype("float32")

    def call(self, inputs, training=False):
        """Translates X images (or the X side of an `(images_x, images_y)` batch)."""
        if isinstance(inputs, (tuple, list)):
            inputs = inputs[0]
        return self.generator(inputs, training=training)

    def generation_inputs(self, num_samples=None, labels=None, captions=None, images=None):
        expected = self.generator.input_shape[1:]
        images = self.source_images(images, expected, num_samples, labels, captions)
        return len(images), {"images_x": images}

    def serving_condition(self):
        spec = ((None,) + tuple(self.generator.input_shape[1:]), "float32")
        return spec, lambda images: {"images_x": images}

    def extra_serving_endpoints(self):
        spec = ((None,) + tuple(self.generator_f.input_shape[1:]), "float32")
        return {"serve_y_to_x": (lambda images: self.generator_f(images, training=False), [spec])}

    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "pack", "pool_size", "generator", "discriminator"):
            config.pop(key)
        serialize = keras.saving.serialize_keras_object
        config.update(
            generator_g=serialize(self.generator),
            generator_f=serialize(self.generator_f),
            discriminator_x=serialize(self.discriminator_x),
            discriminator_y=serialize(self.discriminator),
            cycle_weight=self.cycle_weight,
            identity_weight=self.identity_weight,
            pool_size=self.cycle_pool_size,
            reuse_fakes=self.reuse_fakes,
        )
        return config

"""Class-conditional GANs: concatenation, projection, and AC-GAN.

Reference:
    Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014.
    Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary
    Classifier GANs", ICML 2017.
"""

import keras
import numpy as np
from keras import ops

from keras_mmgan import backend
from keras_mmgan.models.gan import GAN
from keras_mmgan.validation import check_positive_int, check_weight

_CONDITIONINGS = ("concat", "projection")


@keras.saving.register_keras_serializable(package="keras_mmgan")
class ConditionalGAN(GAN):
    """A GAN whose mode is chosen by a class label.

    Conditioning, by `conditioning`:

    - `"concat"`: the model concatenates the one-hot label to z for the
      generator, and label maps (the one-hot label broadcast over height and
      width) to the images for the discriminator, so both networks are plain
      unconditional ones with wider inputs: G takes `latent_dim +
      num_classes`, D takes `channels + num_classes`.
    - `"projection"`: the networks take the labels themselves, G as
      `[z, labels]` and D as `[images, labels]`, e.g.
      `networks.dcgan_discriminator(num_classes=...)`, whose logit adds
      `<embed(y), features>` (Miyato & Koyama 2018), the stronger choice.

    With `auxiliary_classifier=True` it is AC-GAN (Odena et al. 2017): D sees
    images only and outputs `[logit, class logits]`; the discriminator phase
    adds the cross-entropy of the classes of real images (`d_class_loss`),
    the generator phase that of generated ones (`g_class_loss`), both
    weighted by `class_weight`. G is conditioned as `conditioning` says. The
    paper's D also learns to classify generated images (`classify_fakes=True`);
    then D's classifier learns G's own class cues and G can satisfy it with
    poor digits (measured on digits: 86 % vs 92 % held-out-judge accuracy), so by
    default D's classifier learns from real images only.

    Args:
        generator: `keras.Model`, see `conditioning`.
        discriminator: `keras.Model`, see `conditioning` and
            `auxiliary_classifier`.
        latent_dim: size of z.
        num_classes: number of classes; labels are ints in `[0, num_classes)`.
        auxiliary_classifier: AC-GAN.
        conditioning: `"concat"` or `"projection"`.
        class_weight: weight of the auxiliary classification losses.
        classify_fakes: AC-GAN's D also classifies generated images (the
            paper's eq. 2); off by default.
        seed: int seed of the latent noise stream.
        **kwargs: passed to `keras.Model`.

    Example:

    ```python
    import keras, keras_mmgan as mm
    data = mm.datasets.digits()
    gan = mm.models.ConditionalGAN(
        mm.networks.dcgan_generator(64, (28, 28, 1), num_classes=10),
        mm.networks.dcgan_discriminator((28, 28, 1), num_classes=10),
        latent_dim=64, num_classes=10, conditioning="projection")
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    gan.fit(mm.datasets.make_dataset(data["images"], data["labels"]), epochs=20)
    sevens = gan.generate(labels=[7] * 8, seed=0)
    ```

    Reference:
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018;
        Odena et al., "Conditional Image Synthesis with Auxiliary Classifier
        GANs", ICML 2017.
    """

    conditional = True

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        num_classes,
        auxiliary_classifier=False,
        conditioning="concat",
        class_weight=1.0,
        classify_fakes=False,
        seed=None,
        **kwargs,
    ):
        if conditioning not in _CONDITIONINGS:
            raise ValueError(
                f"conditioning must be one of {_CONDITIONINGS}; got {conditioning!r}"
            )
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.auxiliary_classifier = bool(auxiliary_classifier)
        self.conditioning = conditioning
        self.class_weight = check_weight("class_weight", class_weight)
        self.classify_fakes = bool(classify_fakes)
        super().__init__(generator, discriminator, latent_dim, seed=seed, **kwargs)
        self._check_networks()

    def _check_networks(self):
        k = self.num_classes
        if self.conditioning == "concat":
            if self.generator.input_shape[-1] != self.latent_dim + k:
                raise ValueError(
                    f"with conditioning='concat' the generator takes latent_dim + "
                    f"num_classes = {self.latent_dim + k} inputs; its input shape is "
                    f"{self.generator.input_shape}"
                )
        elif len(self.generator.inputs) != 2:
            raise ValueError(
                "with conditioning='projection' the generator takes [latents, labels]; "
                f"its inputs are {self.generator.input_shape}"
            )
        if self.auxiliary_classifier:
            outputs = self.discriminator.output_shape
            if not isinstance(outputs, list) or len(outputs) != 2 or outputs[1][-1] != k:
                raise ValueError(
                    "with auxiliary_classifier=True the discriminator takes images and "
                    f"outputs [logit, class logits (N, {k})]; its outputs are {outputs}"
                )
        elif self.conditioning == "concat":
            expected = self.image_shape[-1] + k
            if self.discriminator.input_shape[-1] != expected:
                raise ValueError(
                    f"with conditioning='concat' the discriminator takes images with "
                    f"channels + num_classes = {expected} channels; its input shape is "
                    f"{self.discriminator.input_shape}"
                )
        elif len(self.discriminator.inputs) != 2:
            raise ValueError(
                "with conditioning='projection' the discriminator takes [images, labels]; "
                f"its inputs are {self.discriminator.input_shape}"
            )

    @property
    def image_shape(self):
        return tuple(self.generator.output_shape[1:])

    def auxiliary_loss_names(self):
        return ("d_class_loss", "g_class_loss") if self.auxiliary_classifier else ()

    # ------------------------------------------------------------------ #
    # Batches and conditions.
    # ------------------------------------------------------------------ #
    def check_batch(self, data):
        images, labels = self.check_pair(data, "labels")
        self.check_labels(labels, batch_size=images.shape[0])

    def check_labels(self, labels, batch_size=None, name="labels"):
        """Checks dtype, shape and (for concrete arrays) range of labels."""
        dtype = keras.backend.standardize_dtype(labels.dtype)
        if "int" not in dtype:
            raise TypeError(
                f"{name} must be int class ids in [0, {self.num_classes}); got dtype {dtype}"
            )
        shape = tuple(labels.shape)
        if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
            raise ValueError(
                f"{name} must be int class ids of shape (batch,) (not one-hot); "
                f"got shape {shape}"
            )
        if batch_size is not None and shape[0] is not None and shape[0] != batch_size:
            raise ValueError(
                f"{name} must have one entry per image: got {shape[0]} labels for "
                f"{batch_size} images"
            )
        if isinstance(labels, np.ndarray) and labels.size:
            low, high = int(labels.min()), int(labels.max())
            if low < 0 or high >= self.num_classes:
                raise ValueError(
                    f"{name} must be in [0, {self.num_classes}); got values from "
                    f"{low} to {high}"
                )

    def prepare_batch(self, data):
        batch = super().prepare_batch(data)
        labels = ops.reshape(ops.cast(data[1], "int32"), (-1,))
        in_range = ops.logical_and(labels >= 0, labels < self.num_classes)
        batch["labels"] = backend.guard(
            labels, f"labels must be in [0, {self.num_classes})", in_range
        )
        return batch

    def _label_maps(self, images, labels):
        one_hot = ops.one_hot(labels, self.num_classes, dtype=images.dtype)
        if len(images.shape) == 2:
            return one_hot
        spatial = (1,) * (len(images.shape) - 2)
        maps = ops.reshape(one_hot, (-1,) + spatial + (self.num_classes,))
        return ops.broadcast_to(maps, tuple(ops.shape(images)[:-1]) + (self.num_classes,))

    def generate_images(self, latents, batch, training=False):
        latents = ops.convert_to_tensor(latents)
        labels = ops.convert_to_tensor(batch["labels"])
        if self.conditioning == "concat":
            one_hot = ops.one_hot(labels, self.num_classes, dtype=latents.dtype)
            return self.generator(ops.concatenate([latents, one_hot], -1), training=training)
        return self.generator([latents, labels], training=training)

    def discriminator_inputs(self, images, batch):
        if self.auxiliary_classifier:
            return images
        if self.conditioning == "concat":
            return ops.concatenate([images, self._label_maps(images, batch["labels"])], -1)
        return [images, batch["labels"]]

    def discriminator_outputs(self, images, batch, training=True):
        """`(logits, class logits or None)` of the discriminator for images (augmented)."""
        images, batch = self.augment_for_discriminator(images, batch)
        outputs = self.discriminator(self.discriminator_inputs(images, batch), training=training)
        if self.auxiliary_classifier:
            return outputs[0], outputs[1]
        return outputs, None

    def discriminate(self, images, batch, training=True):
        return self.discriminator_outputs(images, batch, training)[0]

    def _class_loss(self, labels, class_logits):
        return ops.mean(
            ops.sparse_categorical_crossentropy(
                labels, ops.cast(class_logits, "float32"), from_logits=True
            )
        )

    # ------------------------------------------------------------------ #
    # Phase losses.
    # ------------------------------------------------------------------ #
    def discriminator_loss(self, batch):
        if not self.auxiliary_classifier:
            return super().discriminator_loss(batch)
        real, labels = batch["images"], batch["labels"]
        fake = ops.stop_gradient(self.generate_fakes(batch))
        batch["fakes"] = fake
        real_logits, real_classes = self.discriminator_outputs(real, batch)
        fake_logits, fake_classes = self.discriminator_outputs(fake, batch)
        loss = self.adversarial_loss.discriminator_loss(real_logits, fake_logits)
        class_loss = self._class_loss(labels, real_classes)
        if self.classify_fakes:  # Odena et al. eq. 2
            class_loss = class_loss + self._class_loss(labels, fake_classes)
        logs = {"d_loss": loss, "d_class_loss": class_loss, **self.augmentation_logs(real_logits)}
        return loss + self.class_weight * class_loss, logs

    def generator_loss(self, batch):
        if not self.auxiliary_classifier:
            return super().generator_loss(batch)
        labels = batch["labels"]
        fake = self.generate_fakes(batch)
        logits, classes = self.discriminator_outputs(fake, batch, training=True)
        loss = self.adversarial_generator_loss(logits, batch)
        class_loss = self._class_loss(labels, classes)
        logs = {"g_loss": loss, "g_class_loss": class_loss}
        return loss + self.class_weight * class_loss, logs

    # ------------------------------------------------------------------ #
    # Inference.
    # ------------------------------------------------------------------ #
    def call(self, inputs, training=False):
        """Generates one image per label (int `(N,)`), with fresh noise.

        Also accepts an `(images, labels)` batch, and images alone (as Keras
        passes when building on a batch; drawn for class 0).
        """
        if isinstance(inputs, (tuple, list)):
            inputs = inputs[1]
        if len(ops.shape(inputs)) > 2 or "float" in str(inputs.dtype):
            inputs = ops.zeros((ops.shape(inputs)[0],), "int32")
        labels = ops.reshape(ops.cast(inputs, "int32"), (-1,))
        latents = self.sample_latents(ops.shape(labels)[0])
        return self.generate_images(latents, {"labels": labels}, training=training)

    def generation_inputs(self, num_samples=None, labels=None, captions=None, images=None):
        for name, value in (("captions", captions), ("images", images)):
            if value is not None:
                raise ValueError(f"ConditionalGAN conditions on labels: {name} must be None")
        if labels is None:
            raise ValueError(f"labels are required: ints in [0, {self.num_classes})")
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.full((num_samples or 1,), labels)
        self.check_labels(labels)
        labels = labels.reshape(-1).astype("int32")
        if num_samples is not None and num_samples != len(labels):
            raise ValueError(f"num_samples={num_samples} differs from the {len(labels)} labels")
        return len(labels), {"labels": labels}

    def serving_condition(self):
        return ((None,), "int32"), lambda labels: {"labels": labels}

    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes,
            auxiliary_classifier=self.auxiliary_classifier,
            conditioning=self.conditioning,
            class_weight=self.class_weight,
            classify_fakes=self.classify_fakes,
        )
        return config

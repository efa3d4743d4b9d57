"""A keras.io-style text-to-image GAN step, written as the keras.io GAN examples are (see `references`)."""

import keras
import tensorflow as tf
from keras import ops


class KerasIOTextToImageGAN(keras.Model):
    """A keras.io-style text-to-image GAN (GAN-CLS + latent regression), the library's math.

    keras.io has no text-to-image example; this is the step a reader of its DCGAN example
    writes for `build_gan`'s networks: D sees [real; fake; real with a rolled caption] in one
    pass; G, the text encoder and the image encoder train on the non-saturating loss plus
    `mean |E(G(z, t)) - z|`.
    """

    def __init__(self, generator, discriminator, text_encoder, image_encoder, latent_dim, seed):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.text_encoder = text_encoder
        self.image_encoder = image_encoder
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.trackers = {n: keras.metrics.Mean(name=n) for n in ("d_loss", "g_loss", "latent_loss")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def train_step(self, data):
        images, tokens = data
        batch_size = ops.shape(images)[0]
        latents = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        text = self.text_encoder(tokens, training=True)
        fakes = self.generator(ops.concatenate([latents, text], -1), training=True)
        mismatched = ops.roll(tokens, 1, axis=0)
        ones, zeros = ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(
                [
                    ops.concatenate([images, fakes, images], 0),
                    ops.concatenate([tokens, tokens, mismatched], 0),
                ],
                training=True,
            )
            real, fake, wrong = ops.split(predictions, 3)
            real_loss = self.loss_fn(ones, real)
            d_loss = 0.5 * (
                (real_loss + self.loss_fn(zeros, fake)) + (real_loss + self.loss_fn(zeros, wrong))
            )
        variables = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))

        latents = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            text = self.text_encoder(tokens, training=True)
            fakes = self.generator(ops.concatenate([latents, text], -1), training=True)
            g_loss = self.loss_fn(ones, self.discriminator([fakes, tokens], training=False))
            regressed = self.image_encoder(fakes, training=True)
            latent_loss = ops.mean(ops.abs(regressed - latents))
            total = g_loss + latent_loss
        variables = (
            self.generator.trainable_weights
            + self.text_encoder.trainable_weights
            + self.image_encoder.trainable_weights
        )
        self.g_optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        for name, value in (("d_loss", d_loss), ("g_loss", g_loss), ("latent_loss", latent_loss)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

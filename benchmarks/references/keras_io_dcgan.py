"""The keras.io "DCGAN to generate face images" example's step (see `references`)."""

import keras
import tensorflow as tf
from keras import ops


class KerasIODCGAN(keras.Model):
    """keras.io "DCGAN to generate face images": one D pass on [real; fake], then a G step."""

    def __init__(self, discriminator, generator, latent_dim, seed):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def condition(self, data):
        """(images, generator input extras, discriminator input maker): none for DCGAN."""
        return data, None

    def generator_input(self, latents, condition):
        return latents

    def discriminator_input(self, images, condition):
        return images

    def train_step(self, data):
        real_images, condition = self.condition(data)
        batch_size = ops.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        generated_images = self.generator(
            self.generator_input(random_latent_vectors, condition), training=True
        )
        combined_images = ops.concatenate(
            [
                self.discriminator_input(real_images, condition),
                self.discriminator_input(generated_images, condition),
            ],
            axis=0,
        )
        labels = ops.concatenate(
            [ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0
        )
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images, training=True)
            d_loss = 2.0 * self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        misleading_labels = ops.ones((batch_size, 1))
        with tf.GradientTape() as tape:
            fakes = self.generator(
                self.generator_input(random_latent_vectors, condition), training=True
            )
            predictions = self.discriminator(
                self.discriminator_input(fakes, condition), training=False
            )
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}

"""The keras.io "CycleGAN" example's step, and its exact variant (see `references`)."""

import keras
import tensorflow as tf
from keras import ops


def _mse(target, output):
    return ops.mean(ops.square(output - target))


def _mae(target, output):
    return ops.mean(ops.abs(output - target))


class KerasIOCycleGAN(keras.Model):
    """keras.io "CycleGAN" written as the library's math: a D step, then a G step.

    The loss functions are keras.io's (`MeanSquaredError` adversarial, `MeanAbsoluteError`
    cycle and identity, lambda_cycle 10, lambda_identity 0.5), weighted as the library weights
    them (LSGAN's 0.5, D loss halved); the step updates both discriminators first, then both
    generators on the sum of all generator losses, as the library (and the authors' code) do.
    The generators run again in the G step, as in the library.
    """

    def __init__(self, gen_g, gen_f, disc_x, disc_y, lambda_cycle=10.0, lambda_identity=0.5):
        super().__init__()
        self.gen_G, self.gen_F, self.disc_X, self.disc_Y = gen_g, gen_f, disc_x, disc_y
        self.lambda_cycle = lambda_cycle
        self.lambda_identity = lambda_identity

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.trackers = {
            n: keras.metrics.Mean(name=n)
            for n in ("d_loss", "g_loss", "cycle_loss", "identity_loss")
        }

    @property
    def metrics(self):
        return list(self.trackers.values())

    def generator_loss_fn(self, fake):
        return 0.5 * _mse(ops.ones_like(fake), fake)

    def discriminator_loss_fn(self, real, fake):
        return 0.5 * (0.5 * (_mse(ops.ones_like(real), real) + _mse(ops.zeros_like(fake), fake)))

    def train_step(self, batch_data):
        real_x, real_y = batch_data
        fake_y = self.gen_G(real_x, training=True)
        fake_x = self.gen_F(real_y, training=True)
        with tf.GradientTape() as tape:
            disc_y_loss = self.discriminator_loss_fn(
                self.disc_Y(real_y, training=True), self.disc_Y(fake_y, training=True)
            )
            disc_x_loss = self.discriminator_loss_fn(
                self.disc_X(real_x, training=True), self.disc_X(fake_x, training=True)
            )
            d_loss = disc_x_loss + disc_y_loss
        variables = self.disc_X.trainable_variables + self.disc_Y.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))

        with tf.GradientTape() as tape:
            fake_y = self.gen_G(real_x, training=True)
            fake_x = self.gen_F(real_y, training=True)
            cycled_x = self.gen_F(fake_y, training=True)
            cycled_y = self.gen_G(fake_x, training=True)
            same_x = self.gen_F(real_x, training=True)
            same_y = self.gen_G(real_y, training=True)
            g_loss = self.generator_loss_fn(
                self.disc_Y(fake_y, training=False)
            ) + self.generator_loss_fn(self.disc_X(fake_x, training=False))
            cycle_loss = _mae(real_x, cycled_x) + _mae(real_y, cycled_y)
            identity_loss = _mae(real_y, same_y) + _mae(real_x, same_x)
            total = (
                g_loss
                + self.lambda_cycle * cycle_loss
                + self.lambda_cycle * self.lambda_identity * identity_loss
            )
        variables = self.gen_G.trainable_variables + self.gen_F.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        for name, value in (
            ("d_loss", d_loss),
            ("g_loss", g_loss),
            ("cycle_loss", cycle_loss),
            ("identity_loss", identity_loss),
        ):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class KerasIOCycleGANExact(keras.Model):
    """keras.io "CycleGAN" as written: one persistent tape, four optimizers, one update.

    A different algorithm from the library's: the generators' adversarial losses are taken
    against the discriminators before their update, G's gradient leaves out F's cycle loss (and
    vice versa), there is no history pool, and the losses are weighted differently. It does
    less work per step (no second generator pass); timed for information only.
    """

    def __init__(self, gen_g, gen_f, disc_x, disc_y, lambda_cycle=10.0, lambda_identity=0.5):
        super().__init__()
        self.gen_G, self.gen_F, self.disc_X, self.disc_Y = gen_g, gen_f, disc_x, disc_y
        self.lambda_cycle = lambda_cycle
        self.lambda_identity = lambda_identity

    def compile(self, gen_G_optimizer, gen_F_optimizer, disc_X_optimizer, disc_Y_optimizer):
        super().compile()
        self.gen_G_optimizer = gen_G_optimizer
        self.gen_F_optimizer = gen_F_optimizer
        self.disc_X_optimizer = disc_X_optimizer
        self.disc_Y_optimizer = disc_Y_optimizer
        self.generator_loss_fn = lambda fake: _mse(ops.ones_like(fake), fake)
        self.discriminator_loss_fn = lambda real, fake: 0.5 * (
            _mse(ops.ones_like(real), real) + _mse(ops.zeros_like(fake), fake)
        )
        self.cycle_loss_fn = keras.losses.MeanAbsoluteError()
        self.identity_loss_fn = keras.losses.MeanAbsoluteError()

    def train_step(self, batch_data):
        real_x, real_y = batch_data
        with tf.GradientTape(persistent=True) as tape:
            fake_y = self.gen_G(real_x, training=True)
            fake_x = self.gen_F(real_y, training=True)
            cycled_x = self.gen_F(fake_y, training=True)
            cycled_y = self.gen_G(fake_x, training=True)
            same_x = self.gen_F(real_x, training=True)
            same_y = self.gen_G(real_y, training=True)
            disc_real_x = self.disc_X(real_x, training=True)
            disc_fake_x = self.disc_X(fake_x, training=True)
            disc_real_y = self.disc_Y(real_y, training=True)
            disc_fake_y = self.disc_Y(fake_y, training=True)
            gen_G_loss = self.generator_loss_fn(disc_fake_y)
            gen_F_loss = self.generator_loss_fn(disc_fake_x)
            cycle_loss_G = self.cycle_loss_fn(real_y, cycled_y) * self.lambda_cycle
            cycle_loss_F = self.cycle_loss_fn(real_x, cycled_x) * self.lambda_cycle
            id_loss_G = (
                self.identity_loss_fn(real_y, same_y) * self.lambda_cycle * self.lambda_identity
            )
            id_loss_F = (
                self.identity_loss_fn(real_x, same_x) * self.lambda_cycle * self.lambda_identity
            )
            total_loss_G = gen_G_loss + cycle_loss_G + id_loss_G
            total_loss_F = gen_F_loss + cycle_loss_F + id_loss_F
            disc_X_loss = self.discriminator_loss_fn(disc_real_x, disc_fake_x)
            disc_Y_loss = self.discriminator_loss_fn(disc_real_y, disc_fake_y)
        grads_G = tape.gradient(total_loss_G, self.gen_G.trainable_variables)
        grads_F = tape.gradient(total_loss_F, self.gen_F.trainable_variables)
        disc_X_grads = tape.gradient(disc_X_loss, self.disc_X.trainable_variables)
        disc_Y_grads = tape.gradient(disc_Y_loss, self.disc_Y.trainable_variables)
        self.gen_G_optimizer.apply_gradients(zip(grads_G, self.gen_G.trainable_variables))
        self.gen_F_optimizer.apply_gradients(zip(grads_F, self.gen_F.trainable_variables))
        self.disc_X_optimizer.apply_gradients(zip(disc_X_grads, self.disc_X.trainable_variables))
        self.disc_Y_optimizer.apply_gradients(zip(disc_Y_grads, self.disc_Y.trainable_variables))
        return {
            "G_loss": total_loss_G,
            "F_loss": total_loss_F,
            "D_X_loss": disc_X_loss,
            "D_Y_loss": disc_Y_loss,
        }

"""A prototype of a fused CycleGAN step, timed by `throughput.py` (measurement only)."""

import tensorflow as tf
from keras import ops

import keras_mmgan as mm
from keras_mmgan import backend as mm_backend


class FusedCycleGAN(mm.models.CycleGAN):
    """Prototype of a fused CycleGAN step (measurement only): the library's math, less work.

    The generators do not change during the discriminator phase, so the fakes `G(x)`, `F(y)`
    that the generator phase needs are the ones the discriminator phase judges. Here they are
    computed once, under the generator phase's tape, which is opened before the discriminator
    phase runs (on their `stop_gradient`) and closed after the generator losses, which read the
    updated discriminators. Finiteness checks as in `backend.apply_phase` are kept.
    """

    def train_step(self, data):
        batch = self.prepare_batch(data)
        real_x, real_y = batch["images_x"], batch["images"]
        phases = self.phases()
        d_phase, g_phase = phases
        loss = self.adversarial_loss
        checks = self.batch_checks(batch)
        with tf.GradientTape() as g_tape:
            fake_y = self.generator(real_x, training=True)
            fake_x = self.generator_f(real_y, training=True)

            def d_loss_fn():
                stopped_y, stopped_x = ops.stop_gradient(fake_y), ops.stop_gradient(fake_x)
                d_y = 0.5 * loss.discriminator_loss(
                    self.discriminator(real_y, training=True),
                    self.discriminator(self.pool_y(stopped_y, training=True), training=True),
                )
                d_x = 0.5 * loss.discriminator_loss(
                    self.discriminator_x(real_x, training=True),
                    self.discriminator_x(self.pool_x(stopped_x, training=True), training=True),
                )
                return d_x + d_y, {"d_loss": d_x + d_y}

            with g_tape.stop_recording():
                logs = mm_backend.apply_phase(d_loss_fn, d_phase.variables, d_phase.optimizer, checks)
            self._update_trackers(logs)
            g_loss = loss.generator_loss(self.discriminator(fake_y, training=False)) + (
                loss.generator_loss(self.discriminator_x(fake_x, training=False))
            )
            cycle = ops.mean(ops.abs(self.generator_f(fake_y, training=True) - real_x)) + ops.mean(
                ops.abs(self.generator(fake_x, training=True) - real_y)
            )
            identity = ops.mean(ops.abs(self.generator(real_y, training=True) - real_y)) + (
                ops.mean(ops.abs(self.generator_f(real_x, training=True) - real_x))
            )
            total = (
                g_loss
                + self.cycle_weight * cycle
                + self.identity_weight * self.cycle_weight * identity
            )
        gradients = g_tape.gradient(total, g_phase.variables)
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in gradients])
        with tf.control_dependencies([tf.debugging.Assert(finite, ["gradients"])]):
            g_phase.optimizer.apply_gradients(zip(gradients, g_phase.variables))
        self._update_trackers({"g_loss": g_loss, "cycle_loss": cycle, "identity_loss": identity})
        return self._tracker_results()

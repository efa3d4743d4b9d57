"""Training on several devices or processes: run as a script, one process per call.

    KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \\
        python multi_process.py jax-devices OUT
        # one device, then keras.distribution.DataParallel on the process's two CPUs
    KERAS_BACKEND=jax python multi_process.py jax-process RANK PORT OUT
        # one of two processes (keras.distribution.initialize, one CPU each), DataParallel
    KERAS_BACKEND=tensorflow TF_CONFIG=... python multi_process.py tf-worker OUT
        # one of two workers of tf.distribute.MultiWorkerMirroredStrategy

Every run trains each model of `FAMILIES` (and, on one JAX process's devices, of
`SPMD_FAMILIES`) for `STEPS` steps of a global batch of `BATCH` from the same seed and
writes `<family>_<run>.npz` into OUT: the logs of `fit` and the model's and the generator
optimizer's variables. Where several processes train one model, the chief writes them, and
the processes that save the model (JAX: every one; TensorFlow: the chief) write
`<family>_<run>_<process>.keras`. `test_multi_process.py` starts the processes and compares
the runs with one device. The factories also serve `test_distribution.py` (MirroredStrategy).
"""

import json
import os
import sys

# The repository's keras_mmgan, as the tests import it. No test module is imported: the
# tests' helpers run TensorFlow ops on import, and MultiWorkerMirroredStrategy must
# configure TensorFlow's collective ops before the first one.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_mmgan as mm  # noqa: E402

SHAPE, CLASSES, LATENT = (8, 8, 1), 3, 4
BATCH, STEPS = 8, 3


def _adam():
    return keras.optimizers.Adam(1e-2)


def unconditional():
    """An MLP GAN on 2D points with a gradient penalty, R1 and the generator's EMA, and its data."""
    generator = mm.networks.mlp_generator(LATENT, units=16, num_layers=1)
    discriminator = mm.networks.mlp_discriminator(units=16, num_layers=1)
    gan = mm.models.GAN(generator, discriminator, LATENT, seed=1)
    gan.compile(
        d_optimizer=_adam(),
        g_optimizer=keras.optimizers.Adam(1e-2, use_ema=True, ema_momentum=0.9),
        regularizers=[mm.regularizers.GradientPenalty(1.0), mm.regularizers.R1Penalty(0.5)],
    )
    return gan, np.random.default_rng(0).uniform(-1, 1, (BATCH * STEPS, 2)).astype("float32")


def conditional():
    """A conditional GAN (labels concatenated to z and to D's input), hinge loss, and its data."""
    latents = keras.Input((LATENT + CLASSES,))
    x = keras.layers.Dense(int(np.prod(SHAPE)), activation="tanh")(latents)
    generator = keras.Model(latents, keras.layers.Reshape(SHAPE)(x))
    images = keras.Input(SHAPE[:2] + (SHAPE[2] + CLASSES,))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(images)
    discriminator = keras.Model(images, keras.layers.Dense(1)(keras.layers.Flatten()(x)))
    gan = mm.models.ConditionalGAN(
        generator, discriminator, LATENT, CLASSES, conditioning="concat", seed=1
    )
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam(), loss="hinge")
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (BATCH * STEPS,) + SHAPE).astype("float32")
    return gan, (images, (np.arange(BATCH * STEPS) % CLASSES).astype("int32"))


def batch_coupled():
    """A GAN whose losses read the batch as a whole: batch norm in G, minibatch std in D,
    feature matching. One SPMD program on the global batch (JAX) computes them as one device
    does; TensorFlow's replicas compute them per replica (see `test_distribution.py`)."""
    latents = keras.Input((LATENT,))
    # No bias before batch norm: its true gradient is 0, and Adam would turn float noise in
    # it into full-size steps of either sign.
    x = keras.layers.Dense(16, use_bias=False)(latents)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    generator = keras.Model(latents, keras.layers.Dense(2)(x))
    discriminator = mm.networks.mlp_discriminator(units=16, num_layers=1, minibatch_std=True)
    gan = mm.models.GAN(generator, discriminator, LATENT, seed=1)
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam(),
                regularizers=[mm.regularizers.FeatureMatching(1.0)])
    return gan, np.random.default_rng(0).uniform(-1, 1, (BATCH * STEPS, 2)).astype("float32")


FAMILIES = {"unconditional": unconditional, "conditional": conditional}
# Where every device computes on the global batch (JAX on one process's devices).
SPMD_FAMILIES = {**FAMILIES, "batch_coupled": batch_coupled}


def train(factory, scope=None):
    """Builds a family's model from seed 0 (in `scope`, if given) and fits it one epoch.

    Returns:
        `(model, logs)`: the logs of `fit` (`history.history`).
    """
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    if scope is None:
        model, data = factory()
    else:
        with scope:
            model, data = factory()
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(BATCH, drop_remainder=True)
    # Several JAX processes read Keras's per-process shards of the dataset, whose length
    # tf.data does not know: without steps_per_epoch, Keras warns when the epoch ends.
    history = model.fit(dataset, epochs=1, steps_per_epoch=STEPS, verbose=0)
    return model, history.history


def state(model, logs):
    """What a run is compared by: its logs, the model's weights and G's optimizer variables.

    Variables are named by their index (the layers' names depend on how many models the
    process built before).
    """
    arrays = {f"log/{name}": np.asarray(values) for name, values in logs.items()}
    optimizer = model.g_optimizer
    for prefix, variables in (("weight", model.weights), ("g_optimizer", optimizer.variables)):
        for index, variable in enumerate(variables):
            # On several JAX processes a replicated array: this process has the whole value.
            arrays[f"{prefix}/{index}"] = keras.ops.convert_to_numpy(variable.value)
    return arrays


def _save(out, name, model, logs):
    np.savez(os.path.join(out, f"{name}.npz"), **state(model, logs))


def _jax_devices(out):
    import jax

    devices = jax.devices()
    for family, factory in SPMD_FAMILIES.items():
        keras.distribution.set_distribution(None)
        _save(out, f"{family}_one_device", *train(factory))
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        model, logs = train(factory)
        _save(out, f"{family}_two_devices", model, logs)
    distribution = keras.distribution.distribution()
    _write_info(out, "jax-devices", devices=[str(d) for d in devices],
                batch_layout=list(distribution.get_data_layout((BATCH, 2)).axes),
                weight_devices=len(model.weights[0].value.sharding.device_set))


def _jax_process(rank, port, out):
    import jax

    keras.distribution.initialize(f"localhost:{port}", num_processes=2, process_id=rank)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
    for family, factory in FAMILIES.items():
        model, logs = train(factory)
        # Every process saves: Keras creates a variable while saving (an optimizer, to list
        # the attributes not to save), and under a multi-process distribution creating one is
        # a collective that waits for every process.
        model.save(os.path.join(out, f"{family}_two_processes_{rank}.keras"))
        if rank == 0:
            _save(out, f"{family}_two_processes", model, logs)
    if rank == 0:
        _write_info(out, "jax-process", devices=[str(d) for d in jax.devices()],
                    local_devices=[str(d) for d in jax.local_devices()],
                    processes=jax.process_count())


def _tf_worker(out):
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    chief = strategy.cluster_resolver.task_id == 0
    for family, factory in FAMILIES.items():
        model, logs = train(factory, strategy.scope())
        assert model.distribute_strategy is strategy
        if chief:  # saving is local here: the chief alone saves
            model.save(os.path.join(out, f"{family}_two_workers_0.keras"))
            _save(out, f"{family}_two_workers", model, logs)
    if chief:
        _write_info(out, "tf-worker", replicas=strategy.num_replicas_in_sync,
                    workers=len(json.loads(os.environ["TF_CONFIG"])["cluster"]["worker"]))


def _write_info(out, run, **info):
    with open(os.path.join(out, f"{run}.json"), "w") as file:
        json.dump(info, file)


def main(argv):
    command, args = argv[0], argv[1:]
    if command == "jax-devices":
        _jax_devices(args[0])
    elif command == "jax-process":
        _jax_process(int(args[0]), int(args[1]), args[2])
    elif command == "tf-worker":
        _tf_worker(args[0])
    else:
        raise SystemExit(f"unknown command {command!r}; see the module's docstring")


if __name__ == "__main__":
    main(sys.argv[1:])

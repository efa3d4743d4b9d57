"""How much of a trained generator's flaws can a discriminator of a given width still see?

Loads the Stacked MNIST generator from a `stacked_digits.py --backup-dir` backup (the EMA
weights, as that benchmark scores them), then trains fresh DCGAN discriminators of several
widths to tell its samples from real stacked digits, and reports their accuracy on held-out
samples and new real triples after each epoch. A wider discriminator that separates them much
better than the GAN's own width says the GAN's discriminator is too small to push the generator
further; equal accuracies say the limit is elsewhere.

    python benchmarks/discriminator_capacity.py \
        --backup-dir benchmarks/results/stacked_digits/backups/r1_ema_lazy_seed0 --filters 32 64
"""

import argparse
import json
import os
import time

import keras
import numpy as np

import keras_mmgan as mm
from stacked_digits import CONFIGS, LATENT_DIM, build_gan, compile_gan, learning_rate


def load_generator(backup_dir, config):
    """The generator of a backup, with its EMA weights when the config keeps them."""
    # The rate's kind (a schedule or a constant) must be the run's: it sets the optimizers'
    # variables, which restore_backup checks.
    gan = compile_gan(build_gan(config, seed=0), config, learning_rate(config, total_steps=2))
    mm.callbacks.restore_backup(gan, backup_dir)
    if CONFIGS[config]["ema"]:
        gan.g_optimizer.finalize_variable_values(gan.generator.trainable_variables)
    return gan.generator


def samples(generator, num_samples, seed):
    noise = keras.random.normal((num_samples, LATENT_DIM), seed=seed)
    return np.asarray(generator.predict(noise, batch_size=500, verbose=0))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backup-dir", required=True)
    parser.add_argument("--config", default="r1_ema_lazy", choices=list(CONFIGS))
    parser.add_argument("--filters", nargs="+", type=int, default=[32, 64, 128])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--num-train", type=int, default=20_000)
    parser.add_argument("--num-test", type=int, default=5_000)
    parser.add_argument("--out", default="benchmarks/results/stacked_digits/discriminator_capacity.json")
    args = parser.parse_args(argv)
    with open(os.path.join(args.backup_dir, "training_metadata.json")) as f:
        epochs_trained = json.load(f)["epoch"]
    generator = load_generator(args.backup_dir, args.config)
    # Real training images are the GAN's own (seed 0); the held-out real ones are new triples.
    real = mm.datasets.stacked_digits(args.num_train, seed=0)["images"]
    real_test = mm.datasets.stacked_digits(args.num_test, seed=777)["images"]
    x = np.concatenate([real, samples(generator, args.num_train, seed=100)])
    y = np.repeat(np.array([1.0, 0.0], "float32"), args.num_train)
    x_test = np.concatenate([real_test, samples(generator, args.num_test, seed=900)])
    y_test = np.repeat(np.array([1.0, 0.0], "float32"), args.num_test)
    rows = []
    for filters in args.filters:
        keras.utils.set_random_seed(1)
        discriminator = mm.networks.dcgan_discriminator((28, 28, 3), base_filters=filters)
        discriminator.compile(
            keras.optimizers.Adam(2e-4, beta_1=0.5),
            keras.losses.BinaryCrossentropy(from_logits=True),
            metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)],
        )
        start = time.perf_counter()
        for epoch in range(1, args.epochs + 1):
            discriminator.fit(x, y, batch_size=64, epochs=1, verbose=0)
            row = {
                "filters": filters, "epoch": epoch,
                "held_out_accuracy": discriminator.evaluate(x_test, y_test, verbose=0)[1],
                "seconds": round(time.perf_counter() - start, 1),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    with open(args.out, "w") as f:
        json.dump({"backup_dir": args.backup_dir, "config": args.config,
                   "generator_epochs": epochs_trained, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()

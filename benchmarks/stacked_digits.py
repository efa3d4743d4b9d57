"""Stacked MNIST mode coverage: DCGAN against its remedies (VEEGAN/PacGAN protocol).

Each image stacks three real digits as its R, G and B channels: 1,000 modes.
A GAN is trained per configuration; 26,000 samples are labelled channel by
channel by the shipped digit classifier (`metrics.stacked_digit_modes`), and
the number of modes found and the KL of their histogram to uniform are
written to `results.json` and `table.md` under `--out`, with each run's mode
ids (`modes.npy`) and its first 256 samples (`samples.npy`, uint8).

    python benchmarks/stacked_digits.py --out benchmarks/results/stacked_digits
"""

import argparse
import json
import os
import time

import keras
import numpy as np

import keras_mmgan as mm

LATENT_DIM = 64

# name -> (GAN options, discriminator options, regularizers, generator EMA)
CONFIGS = {
    "dcgan": ({}, {}, [], False),
    "pacdcgan2": ({"pack": 2}, {}, [], False),
    "minibatch_std": ({}, {"minibatch_std": True}, [], False),
    "r1_ema": ({}, {}, [("R1Penalty", 1.0)], True),
}


def train(config, seed, epochs, num_images, batch_size, num_samples):
    options, d_options, regularizers, ema = CONFIGS[config]
    pack = options.get("pack", 1)
    keras.utils.set_random_seed(seed)
    data = mm.datasets.stacked_digits(num_images, seed=seed)
    generator = mm.networks.dcgan_generator(LATENT_DIM, (28, 28, 3), base_filters=64)
    discriminator = mm.networks.dcgan_discriminator((28, 28, 3 * pack), base_filters=32, **d_options)
    gan = mm.models.GAN(generator, discriminator, LATENT_DIM, seed=seed, **options)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5, use_ema=ema, ema_momentum=0.999),
        regularizers=[getattr(mm.regularizers, name)(weight) for name, weight in regularizers],
    )
    dataset = mm.datasets.make_dataset(data["images"], batch_size=batch_size, seed=seed)
    start = time.perf_counter()
    gan.fit(dataset, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    # First with Keras's running batch-norm averages, then with statistics recomputed for the
    # weights that generate (the EMA weights when kept): the reported score.
    running = mm.metrics.mode_histogram_kl(
        mm.metrics.stacked_digit_modes(gan.generate(num_samples, seed=seed + 1000)), num_modes=1000
    )
    mm.callbacks.recompute_batch_norm(gan, dataset)
    samples = gan.generate(num_samples, seed=seed + 1000)
    modes = mm.metrics.stacked_digit_modes(samples)
    score = mm.metrics.mode_histogram_kl(modes, num_modes=1000)
    result = {
        "config": config, "seed": seed, "modes": score["modes"], "kl": score["kl"],
        "modes_running_bn": running["modes"], "kl_running_bn": running["kl"],
        "samples": num_samples, "epochs": epochs, "training_images": num_images,
        "train_seconds": round(seconds, 1),
    }
    return samples, modes, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/stacked_digits")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--num-images", type=int, default=25_600)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-samples", type=int, default=26_000)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    results_path = os.path.join(args.out, "results.json")
    results = json.load(open(results_path)) if os.path.exists(results_path) else []
    for config in args.configs:
        for seed in args.seeds:
            samples, modes, result = train(
                config, seed, args.epochs, args.num_images, args.batch_size, args.num_samples
            )
            print(json.dumps(result), flush=True)
            run_dir = os.path.join(args.out, f"{config}_seed{seed}")
            os.makedirs(run_dir, exist_ok=True)
            np.save(os.path.join(run_dir, "modes.npy"), modes.astype("int16"))
            pixels = np.round((samples[:256] + 1.0) * 127.5).astype("uint8")
            np.save(os.path.join(run_dir, "samples.npy"), pixels)
            mm.callbacks.save_image_grid(os.path.join(run_dir, "grid.png"), samples[:64], 8)
            results = [
                r for r in results if (r["config"], r["seed"]) != (config, seed)
            ] + [result]
            with open(results_path, "w") as f:
                json.dump(results, f, indent=1)
    rows = ["| config | seed | modes of 1000 | KL to uniform | with running BN averages | "
            "epochs | train s |", "|---|---|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (r["config"], r["seed"])):
        running = (f"{r['modes_running_bn']} / {r['kl_running_bn']:.3f}"
                   if "modes_running_bn" in r else "")
        rows.append(
            f"| {r['config']} | {r['seed']} | {r['modes']} | {r['kl']:.3f} | {running} | "
            f"{r['epochs']} | {r['train_seconds']:.0f} |"
        )
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

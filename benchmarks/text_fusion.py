"""Does the generator read the shape word? concat vs FiLM vs attention fusion on shapes.

    nice -n 10 python benchmarks/text_fusion.py --fusion attention --steps 600 \
        --out benchmarks/results/text_fusion

Trains a `TextToImageGAN` on single-object `datasets.shapes` (32x32, 8,000 images, seed 0)
with `build_generator(..., fusion=FUSION)` (base_filters 32, two upsamplings 8 -> 16 -> 32),
the word-level text encoder (`build_text_encoder(..., return_words=True)`, the same for every
fusion, so only the fusion differs), the projection discriminator
(`build_discriminator(..., architecture="dcgan")`), the image encoder's latent regression,
Adam(--learning-rate, default 2e-4; beta_1=0.5), batch 64, non-saturating loss, for `--steps` steps. Then draws 11
samples for each of the 90 captions (seed 0) and scores them with `metrics.scene_accuracy`
(colour, shape, position read from the pixels; 1.0 on real images). Writes
`<out>/<fusion>_<steps>steps_lr<learning rate>_seed<seed>/results.json`, `samples.npy` and `captions.json`.
"""

import argparse
import json
import os
import time

import keras
import numpy as np

import keras_mmgan as mm

SIZE, LATENT_DIM, VOCAB = 32, 32, 64


def build(fusion, vectorizer, seed):
    shape = (SIZE, SIZE, 3)
    sequence_length = int(vectorizer.get_config()["output_sequence_length"])
    return mm.build_gan(
        mm.build_encoder(shape, latent_dim=LATENT_DIM),
        mm.build_text_encoder(VOCAB, sequence_length=sequence_length, return_words=True),
        mm.build_generator(
            LATENT_DIM, 128, image_shape=shape, fusion=fusion, base_filters=32,
            sequence_length=sequence_length,
        ),
        mm.build_discriminator(
            shape, VOCAB, sequence_length=sequence_length, architecture="dcgan"
        ),
        vectorizer=vectorizer,
        fusion=fusion,
        seed=seed,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fusion", choices=mm.networks.FUSIONS, required=True)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--num-images", type=int, default=8000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/text_fusion")
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    data = mm.datasets.shapes(args.num_images, image_size=SIZE, seed=args.seed)
    vectorizer = mm.datasets.text_vectorizer(mm.datasets.all_captions(), vocab_size=VOCAB)
    gan = build(args.fusion, vectorizer, args.seed)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5),
    )
    dataset = mm.datasets.make_dataset(
        data["images"], np.asarray(vectorizer(np.array(data["captions"]))),
        batch_size=args.batch_size,
    ).repeat()
    start = time.time()
    history = gan.fit(dataset, steps_per_epoch=args.steps, epochs=1, verbose=2)
    seconds = time.time() - start

    captions = mm.datasets.all_captions() * 11
    samples = gan.generate(captions=captions, seed=0)
    scores = mm.metrics.scene_accuracy(samples, captions)
    run = f"{args.fusion}_{args.steps}steps_lr{args.learning_rate:g}_seed{args.seed}"
    folder = os.path.join(args.out, run)
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "samples.npy"), samples)
    with open(os.path.join(folder, "captions.json"), "w") as file:
        json.dump(captions, file)
    results = {
        "fusion": args.fusion,
        "steps": args.steps,
        "learning_rate": args.learning_rate,
        "train_seconds": round(seconds, 1),
        "scene_accuracy": scores,
        "final_logs": {k: float(v[-1]) for k, v in history.history.items()},
        "protocol": (
            f"shapes {SIZE}x{SIZE}, {args.num_images} images seed {args.seed}, batch "
            f"{args.batch_size}, {args.steps} steps, Adam({args.learning_rate:g}, 0.5); 11 samples x 90 captions, generate seed 0; "
            "metrics.scene_accuracy, threshold 0"
        ),
    }
    with open(os.path.join(folder, "results.json"), "w") as file:
        json.dump(results, file, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

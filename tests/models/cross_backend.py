"""One model definition on two backends: run as a script under a `KERAS_BACKEND`.

    python cross_backend.py save DIR       # build every family, save it and its batch
    python cross_backend.py step DIR OUT   # load each, generate, train one step, save
    python cross_backend.py generate DIR OUT   # load what `step` saved, generate again

`step` replaces `keras.random.normal` / `uniform` by NumPy draws numbered by call (reset
every training step), so both backends train on the same noise: what differs is only
the backend. `test_cross_backend.py` compares the results.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import keras  # noqa: E402
import numpy as np  # noqa: E402
import test_discriminator_augmentation  # noqa: E402
import test_multimodal_pix2pix  # noqa: E402
import test_pix2pix  # noqa: E402

import keras_mmgan as mm  # noqa: E402
from keras_mmgan import regularizers  # noqa: E402

FAMILIES = ["gan", "conditional", "acgan", "text", "pix2pix", "cyclegan", "multimodal",
            "progressive"]
# Each family with a regularizer of its own kind, so that every input-gradient path runs.
REGULARIZERS = {
    "gan": [regularizers.R1Penalty(1.0)],
    "conditional": [regularizers.DRAGAN(1.0)],
    "acgan": [regularizers.GradientPenalty(1.0)],
    "text": [regularizers.MatchingAwareGradientPenalty()],
    "pix2pix": [regularizers.FeatureMatching(1.0)],
}


def build(name):
    """A compiled tiny model of a family and one batch for it."""
    if name == "multimodal":
        return test_multimodal_pix2pix.make_model(), test_pix2pix.pairs()
    model, batch = test_discriminator_augmentation.family(name, None)
    if name in REGULARIZERS:
        model.compile(
            d_optimizer=model.d_optimizer, g_optimizer=model.g_optimizer,
            loss=model.adversarial_loss,
            regularizers=REGULARIZERS[name] + model.regularizers,
        )
    return model, batch


def conditions(name, batch):
    """`generate`'s keyword arguments for four samples of the batch."""
    if name == "gan" or name == "progressive":
        return {"num_samples": 4}
    if name in ("conditional", "acgan"):
        return {"labels": batch[1][:4]}
    if name == "text":
        return {"captions": batch[1][:4]}
    return {"images": batch[0][:4]}


def numbered_draws():
    """Replaces Keras's random draws by NumPy's, numbered by call within a step."""
    calls = []

    def draw(shape, sample):
        rng = np.random.default_rng(len(calls))
        calls.append(1)
        return keras.ops.convert_to_tensor(sample(rng, tuple(int(d) for d in shape)))

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return draw(shape, lambda rng, s: (mean + stddev * rng.standard_normal(s)).astype(
            dtype or "float32"))

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return draw(shape, lambda rng, s: rng.uniform(minval, maxval, s).astype(
            dtype or "float32"))

    keras.random.normal, keras.random.uniform = normal, uniform
    train_phases = mm.models.GAN.train_phases

    def reset_then_train(self, data):
        calls.clear()
        return train_phases(self, data)

    mm.models.GAN.train_phases = reset_then_train


def save(directory):
    os.makedirs(directory, exist_ok=True)
    for name in FAMILIES:
        model, batch = build(name)
        model.save(os.path.join(directory, f"{name}.keras"))
        batch = batch if isinstance(batch, tuple) else (batch,)
        np.savez(os.path.join(directory, f"{name}.npz"), *batch)


def step(directory, out):
    os.makedirs(out, exist_ok=True)
    numbered_draws()
    results = {}
    for name in FAMILIES:
        model = mm.saving.load_model(os.path.join(directory, f"{name}.keras"))
        batch = load_batch(directory, name)
        np.save(os.path.join(out, f"{name}_before.npy"),
                model.generate(seed=0, **conditions(name, batch)))
        x, y = batch if len(batch) == 2 else (batch[0], None)
        history = model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
        results[name] = {key: values[0] for key, values in history.history.items()}
        np.save(os.path.join(out, f"{name}_after.npy"),
                model.generate(seed=1, **conditions(name, batch)))
        model.save(os.path.join(out, f"{name}.keras"))
    with open(os.path.join(out, "logs.json"), "w") as file:
        json.dump(results, file)


def load_batch(directory, name):
    stored = np.load(os.path.join(directory, f"{name}.npz"))
    return tuple(stored[f"arr_{i}"] for i in range(len(stored.files)))


def generate(directory, out):
    for name in FAMILIES:
        model = mm.saving.load_model(os.path.join(out, f"{name}.keras"))
        batch = load_batch(directory, name)
        np.save(os.path.join(out, f"{name}_reloaded.npy"),
                model.generate(seed=1, **conditions(name, batch)))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"save": save, "step": step, "generate": generate}[command](*args)

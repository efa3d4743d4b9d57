"""`keras-mmgan generate`: a grid of samples from a saved model, for every family."""

import json
import os

import numpy as np

from keras_mmgan import datasets
from keras_mmgan.callbacks import save_image_grid
from keras_mmgan.cli.errors import UsageError
from keras_mmgan.cli.loading import load_model_file


def model_kind(model):
    """What a model conditions on: `"text"`, `"label"`, `"image"` or `"noise"`.

    Args:
        model: a keras_mmgan model.

    Returns:
        The kind, which says which `generate` flag the model takes.

    Example:

    ```python
    model_kind(keras.saving.load_model("runs/pix2pix/pix2pix.keras"))   # 'image'
    ```
    """
    if hasattr(model, "text_encoder"):
        return "text"
    if getattr(model, "num_classes", None) is not None:
        return "label"
    if getattr(model, "latent_dim", None) is None or hasattr(model, "generator_f"):
        return "image"
    return "noise"


_FLAGS = {"text": "--caption TEXT", "label": "--label K", "image": "--images DIR", "noise": None}


def generate_grid(model_path, out, captions=None, labels=None, images=None, num=None, seed=0):
    """Generates samples from a saved model and saves them as a PNG grid.

    - text-to-image models: one row per `captions` entry, `num` samples each (8 by default);
    - conditional models: one row per label (all classes by default), `num` each (8);
    - translation models (Pix2Pix, CycleGAN): the first `num` images of the folder `images`
      (8 by default) in the first row, their translations in the second;
    - unconditional models: `num` samples (36 by default).

    Args:
        model_path: a `.keras` file.
        out: the PNG file to write.
        captions: list of captions, for a text-to-image model.
        labels: list of int labels, for a conditional model.
        images: a folder of source images, for a translation model.
        num: samples per row (per condition) or in all.
        seed: the sampling seed; the same seed gives the same grid.

    Returns:
        The generated images, float32 in [-1, 1].

    Raises:
        UsageError: if a flag does not fit the model (e.g. `--caption` for a digit GAN) or
            a label is out of range.

    Example:

    ```python
    generate_grid("runs/text2image/text2image.keras", "grid.png",
                  captions=["a red circle at the top left"], num=8)
    ```
    """
    model = load_model_file(model_path)
    kind = model_kind(model)
    given = {"text": captions, "label": labels, "image": images}
    for other, value in given.items():
        if value is not None and other != kind:
            raise UsageError(
                f"{_FLAGS[other].split()[0]} is for {_DESCRIPTIONS[other]}; {model_path} holds "
                f"a {type(model).__name__}" + (f", which takes {_FLAGS[kind]}" if _FLAGS[kind]
                                               else ", which takes no condition")
            )
    if num is not None and num < 1:
        raise UsageError(f"--num must be a positive int; got {num}")
    if kind == "text":
        if not captions:
            raise UsageError(f"{model_path} is a text-to-image model: pass --caption TEXT "
                             "(repeat it for several rows)")
        per_row = num or 8
        outputs = model.generate(captions=[c for c in captions for _ in range(per_row)], seed=seed)
        save_image_grid(out, outputs, per_row, row_labels=list(captions))
    elif kind == "label":
        labels = list(range(model.num_classes)) if labels is None else labels
        bad = [label for label in labels if not 0 <= label < model.num_classes]
        if bad:
            names = _class_names(model_path)
            hint = f" ({', '.join(f'{i}={n}' for i, n in enumerate(names))})" if names else ""
            raise UsageError(
                f"--label must be in [0, {model.num_classes - 1}]{hint}; got {bad[0]}"
            )
        per_row = num or 8
        outputs = model.generate(labels=np.repeat(labels, per_row), seed=seed)
        save_image_grid(out, outputs, per_row)
    elif kind == "image":
        if images is None:
            raise UsageError(f"{model_path} translates images: pass --images DIR")
        height, width, channels = model.generator.input_shape[1:]
        count = num or 8
        folder = datasets.image_folder(
            images, (height, width), batch_size=count, channels=channels, shuffle=False,
            drop_remainder=False,
        )
        sources = next(iter(folder)).numpy()
        outputs = model.generate(images=sources, seed=seed)
        if sources.shape[-1] != outputs.shape[-1]:
            sources = np.repeat(sources[..., :1], outputs.shape[-1], axis=-1)
        save_image_grid(out, np.concatenate([sources, outputs]), len(outputs))
    else:
        outputs = model.generate(num or 36, seed=seed)
        save_image_grid(out, outputs)
    return outputs


_DESCRIPTIONS = {
    "text": "text-to-image models",
    "label": "conditional models",
    "image": "translation models (Pix2Pix, CycleGAN)",
}


def _class_names(model_path):
    """The class names a `train conditional` run recorded beside its model, if any."""
    path = os.path.join(os.path.dirname(os.path.abspath(model_path)), "metrics.json")
    try:
        with open(path) as f:
            return json.load(f).get("class_names")
    except (OSError, ValueError):
        return None

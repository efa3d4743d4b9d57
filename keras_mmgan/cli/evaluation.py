"""`keras-mmgan evaluate`: scores a saved model against embedded data or a user's folder."""

import numpy as np
from keras import ops

from keras_mmgan import datasets
from keras_mmgan import metrics as metrics_module
from keras_mmgan.cli.errors import UsageError
from keras_mmgan.cli.loading import load_model_file
from keras_mmgan.datasets.shapes import shapes
from keras_mmgan.metrics import caption_accuracy

DATASETS = ("digits", "shapes")
SCORES = ("fid", "kid", "precision", "recall")
FOLDER_FEATURE_SIZE = 16
"""Side to which `evaluate_folder` area-resizes images before comparing their pixels."""


def evaluate_model(model_path, dataset, num_samples=1000, scores=SCORES, seed=0):
    """Scores a saved model against the embedded data set it was trained on.

    Real images: `num_samples` from `datasets.digits()` (shuffled with `seed`)
    or `datasets.shapes(num_samples, seed=seed)`. Generated images: as many,
    with `seed`; a conditional model gets the real images' labels (digits),
    a text model their captions (shapes). Features: the shipped digit
    classifier's for digits; raw pixels for shapes (no offline extractor
    exists for them). Conditional models also get their condition accuracy.

    Args:
        model_path: a `.keras` file of a keras_mmgan model.
        dataset: `"digits"` or `"shapes"`.
        num_samples: real and generated samples.
        scores: names among `"fid"`, `"kid"`, `"precision"`, `"recall"`.
        seed: sampling seed.

    Returns:
        A dict of scores with a `protocol` entry.

    Example:

    ```python
    evaluate_model("runs/text2image/text2image.keras", "shapes")["caption_color"]
    ```
    """
    from keras_mmgan.datasets.digits import digits

    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}; got {dataset!r}")
    model = load_model_file(model_path)
    _check_generator(model, model_path)
    kwargs = {}
    if dataset == "digits":
        data = digits()
        order = np.random.default_rng(seed).permutation(len(data["labels"]))[:num_samples]
        real, labels = data["images"][order], data["labels"][order]
        extractor, extractor_name = metrics_module.digit_extractor(), "digit_classifier/features"
        if hasattr(model, "num_classes"):
            kwargs["labels"] = labels
    else:
        data = shapes(num_samples, image_size=model.generator.output_shape[1], seed=seed)
        real, extractor, extractor_name = data["images"], None, "pixels"
        if hasattr(model, "text_encoder"):
            kwargs["captions"] = data["captions"]
    return _score(model, real, kwargs, extractor, extractor_name, scores, seed,
                  digit_labels="labels" in kwargs)


def evaluate_folder(model_path, images, captions=None, num_samples=1000, scores=SCORES, seed=0):
    """Scores a saved model against a user's folder of real images.

    Real images: up to `num_samples` images of `images` (shuffled with `seed`), resized to
    the model's output size and converted to its channels. Generated images: as many, with
    `seed`. A conditional model generates the real images' classes (the sub-folders, in
    alphabetical order, as it was trained with `train conditional --images`); a text model
    their captions (`captions`, a CSV or JSON-lines file, as `train text2image`).
    Features: the pixels, area-resized to at most `FOLDER_FEATURE_SIZE` squared (no offline
    extractor exists for arbitrary images, and the Frechet distance of 64x64x3 = 12,288 raw
    pixels would take minutes), so the scores compare models on one folder, not with
    published numbers.

    Args:
        model_path: a `.keras` file of a keras_mmgan model that generates images from
            noise (GAN, ConditionalGAN, TextToImageGAN).
        images: the folder of real images.
        captions: the caption file, for a text model.
        num_samples: the most real (and generated) images.
        scores: names among `"fid"`, `"kid"`, `"precision"`, `"recall"`.
        seed: seed of the real images' order and of the samples.

    Returns:
        A dict of scores with a `protocol` entry.

    Example:

    ```python
    evaluate_folder("runs/dcgan/dcgan.keras", "my_faces", num_samples=500)["fid"]
    ```
    """
    model = load_model_file(model_path)
    _check_generator(model, model_path)
    height, width, channels = model.generator.output_shape[1:]
    text = hasattr(model, "text_encoder")
    conditional = getattr(model, "num_classes", None) is not None
    if text and captions is None:
        raise UsageError(f"{model_path} is a text-to-image model: --images needs --captions FILE")
    if captions is not None and not text:
        raise UsageError(f"--captions is for text-to-image models; {model_path} holds a "
                         f"{type(model).__name__}")
    common = dict(image_size=(height, width), batch_size=1, channels=channels, seed=seed)
    if text:
        dataset = datasets.captioned_images(images, captions, **common)
    else:
        dataset = datasets.image_folder(images, labels="inferred" if conditional else None,
                                        **common)
        if conditional and len(dataset.class_names) != model.num_classes:
            raise UsageError(
                f"--images {images} has {len(dataset.class_names)} class sub-folders; "
                f"{model_path} was trained on {model.num_classes} classes"
            )
    batches = list(dataset.take(num_samples).as_numpy_iterator())
    kwargs = {}
    if text or conditional:
        real = np.concatenate([b[0] for b in batches])
        conditions = np.concatenate([b[1] for b in batches])
        if text:
            kwargs["captions"] = [c.decode() for c in conditions]
        else:
            kwargs["labels"] = conditions
    else:
        real = np.concatenate(batches)
    side = min(FOLDER_FEATURE_SIZE, height, width)

    def pixels(images):
        images = ops.image.resize(ops.convert_to_tensor(images), (side, side),
                                  interpolation="area")
        return ops.reshape(images, (ops.shape(images)[0], -1))

    return _score(model, real, kwargs, pixels, f"pixels/area-resized to {side}x{side}", scores,
                  seed, input_size=(side, side))


def _check_generator(model, model_path):
    if getattr(model, "generator", None) is None or getattr(model, "latent_dim", None) is None:
        raise UsageError(
            f"{model_path} holds a {type(model).__name__}; evaluate scores models that "
            "generate from noise (GAN, ConditionalGAN, TextToImageGAN)"
        )


def _score(model, real, kwargs, extractor, extractor_name, scores, seed, digit_labels=False,
           input_size=None):
    if not kwargs:
        kwargs["num_samples"] = len(real)
    fake = model.generate(seed=seed, **kwargs)
    real_features = metrics_module.extract_features(real, extractor)
    fake_features = metrics_module.extract_features(fake, extractor)
    results = {}
    if "fid" in scores:
        results["fid"] = metrics_module.frechet_distance(real_features, fake_features)
    if "kid" in scores:
        size = min(1000, len(real_features), len(fake_features))
        # A subset as large as the sets is the whole set: 100 of them give 100 equal
        # estimates (KID's 100 subsets only differ when the sets are larger than 1,000).
        whole = size == min(len(real_features), len(fake_features))
        results["kid"] = metrics_module.kernel_distance(
            real_features, fake_features, num_subsets=1 if whole else 100, subset_size=size
        )[0]
    if {"precision", "recall"} & set(scores):
        pr = metrics_module.precision_recall(real_features, fake_features)
        results.update({k: pr[k] for k in ("precision", "recall") if k in scores})
    if digit_labels:
        results["label_accuracy"] = metrics_module.classifier_accuracy(fake, kwargs["labels"])
    if "captions" in kwargs and _shapes_captions(kwargs["captions"]):
        accuracy = caption_accuracy(fake, kwargs["captions"])
        results["caption_color"], results["caption_position"] = (
            accuracy["color"],
            accuracy["position"],
        )
    results = {k: float(v) for k, v in results.items()}
    size = input_size or real.shape[1:3]
    results["protocol"] = metrics_module.score_protocol(
        extractor_name, size, None, len(real), len(fake)
    )
    return results


def _shapes_captions(captions):
    """Whether every caption is of the shapes grammar, which `caption_accuracy` reads."""
    from keras_mmgan.datasets.shapes import all_captions

    known = set(all_captions())
    return all(caption in known for caption in captions)

"""What `keras-mmgan train FAMILY` builds: for each family, its data, networks and model.

Each recipe takes the parsed `train` arguments and returns a `Recipe`: a compiled model, the
`tf.data.Dataset` it fits on, what its sample grids show, and the protocol written into
`metrics.json`. Without data flags a family trains on embedded data; with them, on the user's
folders (`keras_mmgan.datasets.image_folder` and its siblings):

| family | embedded data (default) | the user's data |
|---|---|---|
| `dcgan` | the shipped digits | `--images DIR` |
| `conditional` | the shipped digits with labels | `--images DIR`, class = sub-folder |
| `text2image` | the coloured shapes (see `text2image.py`) | `--images DIR --captions FILE` |
| `pix2pix` | grayscale -> colour shapes | `--source DIR --target DIR`, or `--pairs DIR` |
| `cyclegan` | the same, unpaired | `--domain-x DIR --domain-y DIR` |

The networks are those of the benchmarks: DCGAN networks for the GANs (conditioned by
projection), and for translation the recipe of `benchmarks/translation.py`: a U-Net with 32
base filters and no dropout against a 2-layer PatchGAN (Pix2Pix), ResNet generators (16
filters, 4 blocks) against instance-normalized PatchGANs (CycleGAN).
"""

import dataclasses

import keras
import numpy as np

from keras_mmgan import datasets
from keras_mmgan import models
from keras_mmgan import networks
from keras_mmgan.cli.errors import UsageError
from keras_mmgan.cli.text2image import VOCAB_SIZE
from keras_mmgan.cli.text2image import build_text2image_gan
from keras_mmgan.datasets.text import text_vectorizer

FOLDER_IMAGE_SIZE = 64
"""Default `--image-size` for a user's folders (the embedded data keep their own size)."""


@dataclasses.dataclass
class Recipe:
    """A model ready to `fit`, its data, and what the run reports.

    Attributes:
        model: the compiled model.
        dataset: the `tf.data.Dataset` that `model.fit` takes.
        grid: keyword arguments of `callbacks.SampleGrid` (what the grids show).
        protocol: the data and settings, for `metrics.json`.
        extra: further entries of `metrics.json` (e.g. `class_names`).

    Example:

    ```python
    recipe = RECIPES["dcgan"](args)
    recipe.model.fit(recipe.dataset, epochs=1)
    ```
    """

    model: keras.Model
    dataset: object
    grid: dict
    protocol: dict
    extra: dict = dataclasses.field(default_factory=dict)


def _adam():
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


def _num_halvings(size, flag="--image-size", minimum_side=4, maximum=4):
    """How many times a DCGAN halves `size` (down to a side >= `minimum_side`)."""
    if size < 8 or size % 4:
        raise UsageError(f"{flag} must be a multiple of 4, at least 8, for this family; got {size}")
    count = 0
    while count < maximum:
        side, remainder = divmod(size, 2 ** (count + 1))
        if remainder or side < minimum_side:
            break
        count += 1
    return count


def _folder_size(args, embedded_size):
    if args.image_size is not None:
        return args.image_size
    return embedded_size if _uses_embedded(args) else FOLDER_IMAGE_SIZE


def _uses_embedded(args):
    flags = ("images", "source", "target", "pairs", "domain_x", "domain_y")
    return not any(getattr(args, flag, None) for flag in flags)


def _embedded_count(args, default, available=None):
    count = args.num_samples if args.num_samples is not None else default
    if available is not None:
        count = min(count, available)
    if count < args.batch_size:
        raise UsageError(
            f"--num-samples ({count}) is smaller than --batch-size ({args.batch_size}); "
            "no full batch can be made"
        )
    return count


def _digits(args, size):
    data = datasets.digits(image_size=size)
    count = _embedded_count(args, len(data["labels"]), len(data["labels"]))
    order = np.random.default_rng(args.seed).permutation(len(data["labels"]))[:count]
    return data["images"][order], data["labels"][order], f"datasets.digits() ({data['source']})"


def _images(args, size, labeled):
    """`--images DIR` (classes from sub-folders if `labeled`), or the shipped digits.

    Returns:
        `(dataset, channels, data description, class names or None)`.
    """
    if args.images:
        channels = args.channels or 3
        dataset = datasets.image_folder(
            args.images, size, args.batch_size, labels="inferred" if labeled else None,
            channels=channels, seed=args.seed,
        )
        if not labeled:
            return dataset, channels, (
                f"image_folder({args.images!r}): {len(dataset.file_paths)} images"), None
        class_names = list(dataset.class_names)
        return dataset, channels, (
            f"image_folder({args.images!r}, labels='inferred'): "
            f"{len(dataset.file_paths)} images, {len(class_names)} classes"), class_names
    channels = args.channels or 1
    images, labels, data = _digits(args, size)
    if channels == 3:
        images = np.repeat(images, 3, axis=-1)
    dataset = datasets.make_dataset(
        images, labels if labeled else None, batch_size=args.batch_size, seed=args.seed
    )
    if not labeled:
        return dataset, channels, f"{data}, {len(images)} images", None
    return dataset, channels, f"{data}, {len(images)} images with labels", [
        str(k) for k in range(10)
    ]


def dcgan(args):
    """An unconditional DCGAN on the shipped digits or on `--images DIR`.

    Args:
        args: the parsed `train dcgan` arguments.

    Returns:
        A `Recipe`.

    Example:

    ```python
    recipe = dcgan(parser.parse_args(["train", "dcgan", "--images", "faces"]))
    ```
    """
    size = _folder_size(args, 28)
    halvings = _num_halvings(size)
    dataset, channels, data, _ = _images(args, size, labeled=False)
    shape = (size, size, channels)
    filters = args.base_filters or 64
    gan = models.GAN(
        networks.dcgan_generator(args.latent_dim, shape, filters, num_upsamplings=halvings),
        networks.dcgan_discriminator(shape, filters, num_downsamplings=halvings),
        latent_dim=args.latent_dim,
        seed=args.seed,
    )
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam())
    return Recipe(gan, dataset, {"num_samples": 64}, _protocol(args, data, shape, filters))


def conditional(args):
    """A class-conditional DCGAN (projection discriminator) on digits or on class sub-folders.

    Args:
        args: the parsed `train conditional` arguments.

    Returns:
        A `Recipe`; its `extra` holds `class_names` (label `i` = `class_names[i]`).

    Example:

    ```python
    recipe = conditional(parser.parse_args(["train", "conditional", "--images", "pets"]))
    ```
    """
    size = _folder_size(args, 28)
    halvings = _num_halvings(size)
    dataset, channels, data, class_names = _images(args, size, labeled=True)
    if len(class_names) < 2:
        raise UsageError(
            f"--images {args.images} has {len(class_names)} class sub-folder; a conditional "
            "GAN needs at least 2 (one sub-folder per class)"
        )
    num_classes = len(class_names)
    shape = (size, size, channels)
    filters = args.base_filters or 64
    gan = models.ConditionalGAN(
        networks.dcgan_generator(
            args.latent_dim, shape, filters, num_upsamplings=halvings, num_classes=num_classes
        ),
        networks.dcgan_discriminator(
            shape, filters, num_downsamplings=halvings, num_classes=num_classes
        ),
        latent_dim=args.latent_dim,
        num_classes=num_classes,
        conditioning="projection",
        seed=args.seed,
    )
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam())
    grid = {"labels": list(range(num_classes)), "per_condition": 8}
    return Recipe(
        gan, dataset, grid, _protocol(args, data, shape, filters), {"class_names": class_names}
    )


def text2image(args):
    """The text-to-image GAN on `--images DIR --captions FILE` (the shapes job is `text2image.py`).

    Args:
        args: the parsed `train text2image` arguments, with `--images` and `--captions`.

    Returns:
        A `Recipe`: a `TextToImageGAN` holding its vectorizer (adapted on the captions), fit
        on `(images, caption strings)`.

    Example:

    ```python
    recipe = text2image(parser.parse_args(
        ["train", "text2image", "--images", "photos", "--captions", "photos/captions.csv"]))
    ```
    """
    size = _folder_size(args, 28)
    if args.architecture == "dcgan":
        _num_halvings(size)
    keras.utils.set_random_seed(args.seed)
    dataset = datasets.captioned_images(
        args.images, args.captions, size, args.batch_size, channels=3, seed=args.seed
    )
    captions = list(dataset.captions)
    vectorizer = text_vectorizer(captions, vocab_size=VOCAB_SIZE)
    shape = (size, size, 3)
    gan = build_text2image_gan(shape, vectorizer, args.architecture, args.fusion, seed=args.seed)
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam())
    grid_captions = list(dict.fromkeys(captions))[:6]
    data = (f"captioned_images({args.images!r}, {args.captions!r}): {len(captions)} captioned "
            f"examples, {len(set(dataset.file_paths))} images")
    protocol = _protocol(args, data, shape, None)
    return Recipe(gan, dataset, {"captions": grid_captions, "per_condition": 8}, protocol)


def pix2pix(args):
    """Pix2Pix on the embedded colourisation pairs, or on the user's pairs.

    `--source DIR --target DIR` pair images by file name; `--pairs DIR` holds side-by-side
    `A|B` images (source on the `--source-side`).

    Args:
        args: the parsed `train pix2pix` arguments.

    Returns:
        A `Recipe`.

    Example:

    ```python
    recipe = pix2pix(parser.parse_args(["train", "pix2pix", "--pairs", "facades/train"]))
    ```
    """
    if bool(args.source) != bool(args.target):
        raise UsageError("--source and --target go together: pass both folders, or --pairs DIR")
    if args.pairs and args.source:
        raise UsageError("pass either --source DIR --target DIR or --pairs DIR, not both")
    size = _folder_size(args, 32)
    if size % 4 or size < 8:
        raise UsageError(f"--image-size must be a multiple of 4, at least 8; got {size}")
    if args.source or args.pairs:
        source_channels, target_channels = args.source_channels or 3, args.target_channels or 3
        if args.pairs:
            dataset = datasets.side_by_side_pairs(
                args.pairs, size, args.batch_size, source_channels, target_channels,
                source_side=args.source_side, seed=args.seed,
            )
            data = f"side_by_side_pairs({args.pairs!r}): {len(dataset.file_paths)} pairs"
        else:
            dataset = datasets.paired_folders(
                args.source, args.target, size, args.batch_size, source_channels,
                target_channels, seed=args.seed,
            )
            data = (f"paired_folders({args.source!r}, {args.target!r}): "
                    f"{len(dataset.file_paths)} pairs")
        sources = next(iter(dataset))[0].numpy()[:8]
    else:
        source_channels, target_channels = 1, 3
        if args.source_channels not in (None, 1) or args.target_channels not in (None, 3):
            raise UsageError("the embedded pairs are grayscale -> RGB: --source-channels and "
                             "--target-channels apply to --source/--target or --pairs only")
        count = _embedded_count(args, 2000)
        pairs = datasets.colorization_pairs(count, image_size=size, seed=args.seed)
        dataset = datasets.make_dataset(
            pairs["source"], pairs["target"], batch_size=args.batch_size, seed=args.seed
        )
        sources = pairs["source"][:8]
        data = f"datasets.colorization_pairs({count}, image_size={size}, seed={args.seed})"
    filters = args.base_filters or 32
    generator = networks.unet_generator(
        (size, size, source_channels), output_channels=target_channels, base_filters=filters,
        dropout=None,
    )
    discriminator = networks.patchgan_discriminator(
        (size, size, target_channels), source_shape=(size, size, source_channels),
        base_filters=filters, n_layers=2,
    )
    model = models.Pix2Pix(generator, discriminator, seed=args.seed)
    model.compile(d_optimizer=_adam(), g_optimizer=_adam())
    shape = (size, size, target_channels)
    return Recipe(model, dataset, {"images": sources}, _protocol(args, data, shape, filters))


def cyclegan(args):
    """CycleGAN on the embedded unpaired colourisation data, or on two folders.

    Args:
        args: the parsed `train cyclegan` arguments.

    Returns:
        A `Recipe`; both domains have `--channels` channels (3 by default), as the identity
        loss needs.

    Example:

    ```python
    recipe = cyclegan(parser.parse_args(
        ["train", "cyclegan", "--domain-x", "horses", "--domain-y", "zebras"]))
    ```
    """
    if bool(args.domain_x) != bool(args.domain_y):
        raise UsageError("--domain-x and --domain-y go together: pass both folders")
    size = _folder_size(args, 32)
    if size % 4 or size < 8:
        raise UsageError(f"--image-size must be a multiple of 4, at least 8; got {size}")
    channels = args.channels or 3
    if args.domain_x:
        sides = [
            datasets.image_folder(folder, size, args.batch_size, channels=channels,
                                  seed=args.seed + i)
            for i, folder in enumerate((args.domain_x, args.domain_y))
        ]
        dataset = datasets.unpaired_dataset(*sides)
        sources = next(iter(sides[0])).numpy()[:8]
        data = (f"image_folder({args.domain_x!r}): {len(sides[0].file_paths)} images (X), "
                f"image_folder({args.domain_y!r}): {len(sides[1].file_paths)} images (Y)")
    else:
        count = _embedded_count(args, 2000)
        pairs = datasets.colorization_pairs(count, image_size=size, seed=args.seed)
        images_x, images_y = datasets.unpaired(pairs, seed=args.seed)
        images_x = np.repeat(images_x, 3, axis=-1)  # both domains RGB, as in the paper
        if channels == 1:
            images_x, images_y = images_x[..., :1], images_y.mean(-1, keepdims=True)
        if min(len(images_x), len(images_y)) < args.batch_size:
            raise UsageError(f"--num-samples ({count}) gives fewer than --batch-size "
                             f"({args.batch_size}) images per domain")
        dataset = datasets.unpaired_dataset(images_x, images_y, batch_size=args.batch_size,
                                            seed=args.seed)
        sources = images_x[:8]
        data = (f"datasets.unpaired(colorization_pairs({count}, image_size={size}, "
                f"seed={args.seed})): gray (X) -> colour (Y)")
    shape = (size, size, channels)
    filters = args.base_filters or 16
    g, f = (networks.resnet_generator(shape, base_filters=filters, num_blocks=4) for _ in "gf")
    d_x, d_y = (
        networks.patchgan_discriminator(shape, base_filters=2 * filters, n_layers=2,
                                        normalization="instance")
        for _ in "xy"
    )
    model = models.CycleGAN(g, f, d_x, d_y, identity_weight=0.5, seed=args.seed)
    model.compile(d_optimizer=_adam(), g_optimizer=_adam())
    return Recipe(model, dataset, {"images": sources}, _protocol(args, data, shape, filters))


def _protocol(args, data, shape, base_filters):
    return {
        "family": args.family,
        "data": data,
        "image_shape": list(shape),
        "batch_size": args.batch_size,
        "base_filters": base_filters,
        "seed": args.seed,
        "optimizers": "Adam(2e-4, beta_1=0.5) for G and D",
    }


RECIPES = {
    "dcgan": dcgan,
    "conditional": conditional,
    "text2image": text2image,
    "pix2pix": pix2pix,
    "cyclegan": cyclegan,
}
"""Family name -> recipe function (the shapes job of `text2image` is `train_text2image`)."""

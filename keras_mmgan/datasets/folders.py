"""Users' own images as `tf.data` pipelines that `model.fit` takes: folders, captions, pairs.

- `image_folder`: a folder of images, optionally with classes from its sub-folders (as
  `keras.utils.image_dataset_from_directory`, on which it is built);
- `captioned_images`: a folder of images and a CSV or JSON-lines file of `file -> caption`;
- `paired_folders`: two folders whose images pair up by file name (Pix2Pix's `A/` and `B/`);
- `side_by_side_pairs`: one folder of `A|B` images, source on the left and target on the
  right, as the Pix2Pix data sets (facades, maps, edges2shoes) ship.

The rules are the same for all four:

- Images are decoded with `tf.io.decode_image` inside the pipeline, one batch at a time: the
  folder is streamed, never loaded whole into memory (only the list of file names is).
- Images of any size are resized to `image_size` (bilinear by default), so a folder may mix
  sizes; the aspect ratio is not kept unless `crop_to_aspect_ratio=True`.
- Images of any channel count (grayscale, grayscale + alpha, RGB, RGBA) are converted to
  `channels` (1, 3 or 4): grayscale is repeated to RGB, RGB is turned to luma for 1 channel,
  alpha is dropped for 1 and 3, and made opaque where 4 are asked of an image without one
  (`image_folder` with `channels=4` follows Keras's loader, which reads no JPEG as RGBA).
- Pixels come out float32 in [-1, 1], as every model of the library expects.
- Files whose extension is not an image's (`.bmp`, `.gif`, `.jpeg`, `.jpg`, `.png`, any
  case) are skipped, and how many were skipped is logged as a warning on the
  `keras_mmgan.datasets` logger: a `README.txt` or `.DS_Store` beside the images does no harm.
  A file with an image extension whose bytes are not an image stops the iteration with
  TensorFlow's `InvalidArgumentError` when it is read; `find_unreadable_images` names it.
- An empty folder (no image files), a caption file that names a missing image, and an image
  with no partner in the other folder raise a `ValueError` that names the path.
- The last, smaller batch is dropped by default (`drop_remainder=True`, as `make_dataset`),
  so a folder with fewer images than `batch_size` is refused with a `ValueError`.

- Shuffled, `captioned_images`, `paired_folders` and `side_by_side_pairs` read epoch k in an
  order that is a function of `(seed, k)` alone, as `make_dataset` does (the models' `fit`
  tells them k), so a run resumed after a kill reads the same batches as an uninterrupted one;
  `image_folder` shuffles as Keras's loader does (a new order each pass).

Every returned dataset also carries `file_paths` (the image files, in their listed order)
and, from `image_folder` with labels, `class_names`.
"""

import csv
import json
import logging
import os
import re

import keras
import tensorflow as tf

from keras_mmgan.datasets import pipeline
from keras_mmgan.validation import check_positive_int

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
"""File extensions read as images (compared case-insensitively), as Keras's loader reads."""

_COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}

logger = logging.getLogger("keras_mmgan.datasets")


def image_folder(
    directory,
    image_size=64,
    batch_size=32,
    labels=None,
    channels=3,
    shuffle=True,
    seed=0,
    drop_remainder=True,
    interpolation="bilinear",
    crop_to_aspect_ratio=False,
):
    """Streams a folder of images as batches in [-1, 1], optionally labelled by sub-folder.

    With `labels=None` every image under `directory` (sub-folders included) is used, for an
    unconditional GAN. With `labels="inferred"` each sub-folder of `directory` is a class
    (`class_names` = the sub-folder names in alphabetical order, label `i` =
    `class_names[i]`), for a conditional GAN; images directly in `directory` are then not
    used. Built on `keras.utils.image_dataset_from_directory`; the module docstring states
    the rules on sizes, channels, non-image files and errors.

    Args:
        directory: the folder of images.
        image_size: output `(height, width)`, or an int for square images.
        batch_size: images per batch, a positive int.
        labels: `None` (images only) or `"inferred"` (class = sub-folder name).
        channels: 1 (grayscale), 3 (RGB) or 4 (RGBA).
        shuffle: whether to shuffle (a new order every epoch).
        seed: seed of the shuffle.
        drop_remainder: whether to drop the last, smaller batch.
        interpolation: resize method, as `tf.image.resize` names it.
        crop_to_aspect_ratio: centre-crop to the output's aspect ratio before resizing,
            instead of stretching.

    Returns:
        A `tf.data.Dataset` of float32 image batches `(batch, height, width, channels)`, or
        of `(images, int32 labels)` with `labels="inferred"`. It has the attributes
        `file_paths` and, with labels, `class_names`.

    Raises:
        ValueError: if `directory` is missing or holds no image, if it has fewer images
            than `batch_size` (with `drop_remainder`), or if an argument is invalid.

    Example:

    ```python
    dataset = keras_mmgan.datasets.image_folder("my_digits", image_size=28, channels=1,
                                                labels="inferred")
    dataset.class_names            # ['0', '1', ..., '9']: the sub-folders
    gan.fit(dataset, epochs=20)    # a ConditionalGAN with num_classes=10
    ```
    """
    if labels not in (None, "inferred"):
        raise ValueError(f"labels must be None or 'inferred'; got {labels!r}")
    size = _as_image_size(image_size)
    channels = _check_channels(channels)
    batch_size = check_positive_int("batch_size", batch_size)
    paths = list_images(directory)
    if labels == "inferred":
        paths = [path for path in paths if os.sep in os.path.relpath(path, directory)]
    if not paths:
        raise ValueError(
            f"directory {directory!r} has no sub-folder of images; with labels='inferred' "
            "each class must be a sub-folder (e.g. my_digits/0/*.png, my_digits/1/*.png)"
        )
    _check_enough(directory, len(paths), batch_size, drop_remainder)
    dataset = keras.utils.image_dataset_from_directory(
        directory,
        labels=labels,
        label_mode="int" if labels else None,
        color_mode=_COLOR_MODES[channels],
        batch_size=None,
        image_size=size,
        shuffle=shuffle,
        seed=seed,
        interpolation=interpolation,
        crop_to_aspect_ratio=crop_to_aspect_ratio,
        verbose=False,
    )
    class_names, file_paths = getattr(dataset, "class_names", None), dataset.file_paths
    if labels:
        dataset = dataset.map(
            lambda image, label: (_scale(image), tf.cast(label, "int32")),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    else:
        dataset = dataset.map(_scale, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
    dataset.file_paths = file_paths
    if labels:
        dataset.class_names = class_names
    return dataset


def captioned_images(
    directory,
    captions_file,
    image_size=64,
    batch_size=32,
    channels=3,
    shuffle=True,
    seed=0,
    drop_remainder=True,
    interpolation="bilinear",
):
    """Streams `(images, caption strings)` batches from a folder and a caption file.

    The caption file is either CSV with a header row `file,caption` (other columns are
    ignored; quote captions that hold commas), or JSON lines, one object
    `{"file": ..., "caption": ...}` per line (`.jsonl` / `.json`, or any file whose first
    non-blank character is `{`). File names are relative to `directory`. An image may be
    named on several rows, one per caption: each row is one training example. Images that
    no row names are not used. The rules on sizes, channels and errors are the module's.

    Args:
        directory: the folder of images.
        captions_file: the CSV or JSON-lines file.
        image_size: output `(height, width)`, or an int for square images.
        batch_size: examples per batch, a positive int.
        channels: 1, 3 or 4.
        shuffle: whether to shuffle the examples (a new order every epoch).
        seed: seed of the shuffle.
        drop_remainder: whether to drop the last, smaller batch.
        interpolation: resize method, as `tf.image.resize` names it.

    Returns:
        A `tf.data.Dataset` of `(images, captions)` batches: float32 images in [-1, 1] and
        `tf.string` captions, as a `TextToImageGAN` with a vectorizer takes. It has the
        attributes `file_paths` and `captions` (one per example, in the file's order).

    Raises:
        ValueError: if the caption file is missing, malformed or empty, names an image that
            is not in `directory`, or holds fewer examples than `batch_size`.

    Example:

    ```python
    # captions.csv:
    # file,caption
    # cat.png,a cat on a sofa
    # cat.png,a sleeping cat
    dataset = keras_mmgan.datasets.captioned_images("photos", "photos/captions.csv")
    images, captions = next(iter(dataset))
    ```
    """
    size = _as_image_size(image_size)
    channels = _check_channels(channels)
    batch_size = check_positive_int("batch_size", batch_size)
    _check_directory(directory)
    rows = read_captions(captions_file)
    paths, captions, skipped = [], [], 0
    for line, name, caption in rows:
        path = os.path.join(directory, name)
        if not name.lower().endswith(IMAGE_EXTENSIONS):
            skipped += 1
            continue
        if not os.path.isfile(path):
            raise ValueError(
                f"captions_file {captions_file!r} line {line} names {name!r}, but there is no "
                f"such image: {path!r} does not exist"
            )
        paths.append(path)
        captions.append(caption)
    if skipped:
        logger.warning(
            "captioned_images: skipped %d row(s) of %s that name a file which is not an image "
            "(extensions %s)", skipped, captions_file, ", ".join(IMAGE_EXTENSIONS)
        )
    if not paths:
        raise ValueError(f"captions_file {captions_file!r} names no image file")
    _check_enough(captions_file, len(paths), batch_size, drop_remainder, what="captioned examples")

    def load(path, caption):
        return _load_image(path, size, channels, interpolation), caption

    dataset = _stream((paths, captions), load, shuffle, seed, batch_size, drop_remainder)
    dataset.file_paths, dataset.captions = paths, captions
    return dataset


def paired_folders(
    source_dir,
    target_dir,
    image_size=64,
    batch_size=32,
    source_channels=3,
    target_channels=3,
    shuffle=True,
    seed=0,
    drop_remainder=True,
    interpolation="bilinear",
):
    """Streams `(source, target)` batches from two folders whose images pair by file name.

    `source_dir/a/b.png` pairs with `target_dir/a/b.<any image extension>`: the relative
    path without its extension is the key, so `photo1.jpg` may pair with `photo1.png`. Every
    image must have exactly one partner. The rules on sizes, channels and errors are the
    module's.

    Args:
        source_dir: the folder of source images (the model's input).
        target_dir: the folder of target images (what it should output).
        image_size: output `(height, width)` of both, or an int for square images.
        batch_size: pairs per batch, a positive int.
        source_channels: channels of the sources: 1, 3 or 4.
        target_channels: channels of the targets: 1, 3 or 4.
        shuffle: whether to shuffle the pairs (a new order every epoch).
        seed: seed of the shuffle.
        drop_remainder: whether to drop the last, smaller batch.
        interpolation: resize method, as `tf.image.resize` names it.

    Returns:
        A `tf.data.Dataset` of `(source, target)` float32 batches in [-1, 1], as `Pix2Pix`
        takes, with the attributes `file_paths` (the sources) and `target_paths`.

    Raises:
        ValueError: if a folder is missing or empty, if an image has no partner (the message
            names it), or if two images of one folder share a name.

    Example:

    ```python
    dataset = keras_mmgan.datasets.paired_folders("sketches", "photos", image_size=128)
    pix2pix.fit(dataset, epochs=100)
    ```
    """
    size = _as_image_size(image_size)
    source_channels = _check_channels(source_channels, "source_channels")
    target_channels = _check_channels(target_channels, "target_channels")
    batch_size = check_positive_int("batch_size", batch_size)
    sources = _by_stem(source_dir)
    targets = _by_stem(target_dir)
    for here, there, folder in ((sources, targets, target_dir), (targets, sources, source_dir)):
        lonely = sorted(set(here) - set(there))
        if lonely:
            more = f" and {len(lonely) - 1} more" if len(lonely) > 1 else ""
            raise ValueError(
                f"{here[lonely[0]]!r} has no partner in {folder!r} (pairs match by file name "
                f"without extension, e.g. {lonely[0]}.png){more}"
            )
    keys = sorted(sources)
    source_paths, target_paths = [sources[k] for k in keys], [targets[k] for k in keys]
    _check_enough(source_dir, len(keys), batch_size, drop_remainder, what="pairs")

    def load(source, target):
        return (
            _load_image(source, size, source_channels, interpolation),
            _load_image(target, size, target_channels, interpolation),
        )

    dataset = _stream(
        (source_paths, target_paths), load, shuffle, seed, batch_size, drop_remainder
    )
    dataset.file_paths, dataset.target_paths = source_paths, target_paths
    return dataset


def side_by_side_pairs(
    directory,
    image_size=64,
    batch_size=32,
    source_channels=3,
    target_channels=3,
    source_side="left",
    shuffle=True,
    seed=0,
    drop_remainder=True,
    interpolation="bilinear",
):
    """Streams `(source, target)` batches from images that hold both halves side by side.

    The Pix2Pix data sets (facades, cityscapes, maps, edges2shoes, ...) ship each pair as one
    image `A|B`, twice as wide as high. Each image is cut at half its width (an odd middle
    column goes to the right half); the `source_side` half is the source, the other the
    target. Every image under `directory` (sub-folders included) is one pair. The rules on
    sizes, channels and errors are the module's.

    Args:
        directory: the folder of side-by-side images.
        image_size: output `(height, width)` of each half, or an int for square halves.
        batch_size: pairs per batch, a positive int.
        source_channels: channels of the sources: 1, 3 or 4.
        target_channels: channels of the targets: 1, 3 or 4.
        source_side: `"left"` (A|B, A is the source) or `"right"`.
        shuffle: whether to shuffle the pairs (a new order every epoch).
        seed: seed of the shuffle.
        drop_remainder: whether to drop the last, smaller batch.
        interpolation: resize method, as `tf.image.resize` names it.

    Returns:
        A `tf.data.Dataset` of `(source, target)` float32 batches in [-1, 1], as `Pix2Pix`
        takes, with the attribute `file_paths`.

    Raises:
        ValueError: if `directory` is missing or holds no image, or an argument is invalid.

    Example:

    ```python
    dataset = keras_mmgan.datasets.side_by_side_pairs("facades/train", image_size=256,
                                                      source_side="right")
    ```
    """
    if source_side not in ("left", "right"):
        raise ValueError(f"source_side must be 'left' or 'right'; got {source_side!r}")
    size = _as_image_size(image_size)
    source_channels = _check_channels(source_channels, "source_channels")
    target_channels = _check_channels(target_channels, "target_channels")
    batch_size = check_positive_int("batch_size", batch_size)
    paths = list_images(directory)
    _check_enough(directory, len(paths), batch_size, drop_remainder)
    def load(path):
        image = _decode(path)
        half = tf.shape(image)[1] // 2
        left, right = image[:, :half], image[:, half:]
        source, target = (left, right) if source_side == "left" else (right, left)
        return (
            _finish(source, size, source_channels, interpolation),
            _finish(target, size, target_channels, interpolation),
        )

    dataset = _stream((paths,), load, shuffle, seed, batch_size, drop_remainder)
    dataset.file_paths = paths
    return dataset


def write_images(directory, images, labels=None, names=None):
    """Writes images in [-1, 1] as PNG files, optionally in one sub-folder per label.

    The inverse of `image_folder`: handy to see the layout the loaders expect, to export a
    shipped data set (`digits()`, `shapes(...)`) as a user folder, or to build test folders.

    Args:
        directory: the folder to write into (created if needed).
        images: array `(N, H, W, C)` in [-1, 1], C = 1, 3 or 4.
        labels: optional `(N,)` labels; each image goes into the sub-folder `str(label)`.
        names: optional `N` file names (without folder); `"{i:05d}.png"` by default.

    Returns:
        The list of the written paths.

    Example:

    ```python
    data = keras_mmgan.datasets.digits()
    write_images("my_digits", data["images"][:100], labels=data["labels"][:100])
    keras_mmgan.datasets.image_folder("my_digits", image_size=28, channels=1,
                                      labels="inferred").class_names
    ```
    """
    images = tf.convert_to_tensor(images, "float32")
    if images.shape.rank != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            "images must be rank 4 (batch, height, width, 1, 3 or 4 channels); "
            f"got shape {tuple(images.shape)}"
        )
    count = images.shape[0]
    if labels is not None and len(labels) != count:
        raise ValueError(f"labels must hold one label per image ({count}); got {len(labels)}")
    if names is not None and len(names) != count:
        raise ValueError(f"names must hold one name per image ({count}); got {len(names)}")
    pixels = tf.cast(tf.round((tf.clip_by_value(images, -1.0, 1.0) + 1.0) * 127.5), "uint8")
    paths = []
    for index in range(count):
        folder = directory if labels is None else os.path.join(directory, str(labels[index]))
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, names[index] if names is not None else f"{index:05d}.png")
        tf.io.write_file(path, tf.io.encode_png(pixels[index]))
        paths.append(path)
    return paths


def list_images(directory, recursive=True):
    """Lists the image files under a folder, sorted; logs how many other files it skipped.

    Args:
        directory: the folder.
        recursive: whether to look into sub-folders.

    Returns:
        The sorted list of image file paths (at least one).

    Raises:
        ValueError: if `directory` does not exist, is not a folder, or holds no image file.

    Example:

    ```python
    list_images("my_digits")   # ['my_digits/0/a.png', 'my_digits/0/b.png', ...]
    ```
    """
    _check_directory(directory)
    paths, skipped = [], 0
    for root, folders, files in os.walk(directory):
        folders.sort()
        for name in sorted(files):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                paths.append(os.path.join(root, name))
            else:
                skipped += 1
        if not recursive:
            break
    if skipped:
        logger.warning(
            "skipped %d file(s) in %s that are not images (extensions %s)",
            skipped, directory, ", ".join(IMAGE_EXTENSIONS),
        )
    if not paths:
        raise ValueError(
            f"directory {directory!r} holds no image file (expected {', '.join(IMAGE_EXTENSIONS)}"
            f"{', in sub-folders' if recursive else ''})"
        )
    return paths


def find_unreadable_images(paths):
    """Finds the files that have an image's extension but that TensorFlow cannot decode.

    The loaders decode files while they stream, so a broken file (a truncated download, a
    text file named `.png`) stops `fit` with TensorFlow's error, which cannot name the file.
    This reads every file once, eagerly, to name it.

    Args:
        paths: image file paths, e.g. a loader's `dataset.file_paths`.

    Returns:
        A list of `(path, reason)` for the files that do not decode, in the order given.

    Example:

    ```python
    dataset = image_folder("photos")
    find_unreadable_images(dataset.file_paths)   # [('photos/broken.jpg', 'Unknown image ...')]
    ```
    """
    unreadable = []
    for path in paths:
        try:
            tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as error:
            reason = (error.message or type(error).__name__).strip().splitlines()[0]
            reason = re.sub(r"\{\{.*?\}\}\s*|\s*\[Op:.*$", "", reason)
            unreadable.append((path, reason))
    return unreadable


def read_captions(captions_file):
    """Reads a caption file: CSV with a `file,caption` header, or JSON lines.

    Args:
        captions_file: the file's path.

    Returns:
        A list of `(line_number, file_name, caption)` tuples, in the file's order.

    Raises:
        ValueError: if the file is missing, lacks a `file` or `caption` field, has an empty
            caption, or has no row.

    Example:

    ```python
    read_captions("captions.csv")   # [(2, 'cat.png', 'a cat on a sofa'), ...]
    ```
    """
    if not os.path.isfile(captions_file):
        raise ValueError(f"captions_file {captions_file!r} does not exist or is not a file")
    with open(captions_file, newline="", encoding="utf-8") as f:
        text = f.read()
    rows = []
    if captions_file.lower().endswith((".jsonl", ".json")) or text.lstrip().startswith("{"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"captions_file {captions_file!r} line {number} is not a JSON object "
                    f"({error.msg}); expected {{\"file\": ..., \"caption\": ...}} per line"
                ) from None
            if not isinstance(record, dict) or not {"file", "caption"} <= set(record):
                raise ValueError(
                    f"captions_file {captions_file!r} line {number} must be an object with "
                    f"\"file\" and \"caption\"; got {line.strip()[:80]}"
                )
            rows.append((number, record["file"], record["caption"]))
    else:
        reader = csv.DictReader(text.splitlines())
        fields = [name.strip() for name in reader.fieldnames or []]
        if not {"file", "caption"} <= set(fields):
            raise ValueError(
                f"captions_file {captions_file!r} must be CSV with a header row 'file,caption' "
                f"or JSON lines; its first line is {text.splitlines()[0][:80] if text else ''!r}"
            )
        reader.fieldnames = fields
        for record in reader:
            rows.append((reader.line_num, record["file"], record["caption"]))
    for number, name, caption in rows:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"captions_file {captions_file!r} line {number} has no file name")
        if not isinstance(caption, str) or not caption.strip():
            raise ValueError(f"captions_file {captions_file!r} line {number} has an empty caption")
    if not rows:
        raise ValueError(f"captions_file {captions_file!r} holds no caption")
    return [(number, name.strip(), caption.strip()) for number, name, caption in rows]


def _stream(paths, load, shuffle, seed, batch_size, drop_remainder):
    """Loads `load(*paths[i])` for every i, batched; shuffled in epoch k's order of `(seed, k)`.

    As `make_dataset`'s, the order is a function of the seed and the epoch `fit` trains, so a
    resumed run reads the same batches as an uninterrupted one.
    """
    paths = tuple(tf.constant(list(column)) for column in paths)
    if shuffle:
        indices, counter = pipeline.epoch_permutation(len(paths[0]), seed)
        dataset, counters = indices.map(lambda i: tuple(tf.gather(c, i) for c in paths)), [counter]
    else:
        dataset, counters = tf.data.Dataset.from_tensor_slices(paths), []
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
    return pipeline.with_epochs(dataset, counters)


def _check_directory(directory):
    if not os.path.isdir(directory):
        raise ValueError(f"directory {directory!r} does not exist or is not a folder")


def _check_channels(channels, name="channels"):
    if channels not in _COLOR_MODES or isinstance(channels, bool):
        raise ValueError(f"{name} must be 1 (grayscale), 3 (RGB) or 4 (RGBA); got {channels!r}")
    return int(channels)


def _as_image_size(image_size):
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2:
        raise ValueError(f"image_size must be an int or (height, width); got {image_size!r}")
    for side in size:
        check_positive_int("image_size", side)
    return size


def _check_enough(path, count, batch_size, drop_remainder, what="images"):
    if drop_remainder and count < batch_size:
        raise ValueError(
            f"{path!r} holds {count} {what}, fewer than batch_size={batch_size}, so no full "
            "batch can be made; lower batch_size or add data"
        )


def _by_stem(directory):
    """Maps each image's relative path without extension to its path; refuses duplicates."""
    by_stem = {}
    for path in list_images(directory):
        stem = os.path.splitext(os.path.relpath(path, directory))[0]
        if stem in by_stem:
            raise ValueError(
                f"{by_stem[stem]!r} and {path!r} have the same name; pairs match by file name "
                "without extension, so each name must be unique"
            )
        by_stem[stem] = path
    return by_stem


def _scale(image):
    """[0, 255] pixels -> float32 in [-1, 1]."""
    return tf.cast(image, "float32") / 127.5 - 1.0


def _decode(path):
    """Reads and decodes an image file with its own channels (1 to 4), as uint8."""
    return tf.io.decode_image(tf.io.read_file(path), expand_animations=False)


def _finish(image, size, channels, interpolation):
    """Decoded uint8 image, any channel count -> resized float32 in [-1, 1] with `channels`."""
    count = tf.shape(image)[-1]
    gray = count < 3  # grayscale, or grayscale + alpha
    if channels == 1:
        image = tf.cond(
            gray, lambda: image[..., :1], lambda: tf.image.rgb_to_grayscale(image[..., :3])
        )
    else:
        rgb = tf.cond(
            gray, lambda: tf.image.grayscale_to_rgb(image[..., :1]), lambda: image[..., :3]
        )
        if channels == 4:
            shape = tf.concat([tf.shape(image)[:2], [1]], 0)
            opaque = tf.fill(shape, tf.constant(255, image.dtype))
            alpha = tf.cond(count % 2 == 0, lambda: image[..., -1:], lambda: opaque)
            rgb = tf.concat([rgb, alpha], -1)
        image = rgb
    image = tf.image.resize(image, size, method=interpolation)
    image.set_shape((size[0], size[1], channels))
    return _scale(image)


def _load_image(path, size, channels, interpolation):
    return _finish(_decode(path), size, channels, interpolation)

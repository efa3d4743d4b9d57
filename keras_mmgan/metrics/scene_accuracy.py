"""Scene accuracy: does each object a caption names appear, with its colour, shape and place?

For captions of `keras_mmgan.datasets.scenes` (one or more phrases "a {color} {shape} at the
{position}" joined with " and "; a `shapes` caption is a scene of one object), the objects of
an image are read from its pixels with no learned model: the foreground (brightest channel
above a threshold) is split into connected blobs (8-connectivity), blobs smaller than
`min_pixels` are dropped as specks, and the blobs whose centroids are nearest the same of the
five position centres are one object. Each object's colour is its mean colour's nearest palette
colour and its shape is read by `caption_accuracy.read_shapes`, as `read_shape_attributes` reads
a single shape. The named objects are then matched one to one with the objects read, the
assignment that agrees on most attributes (position first on ties), and scored:

- per attribute: the fraction of named objects whose match has the named colour, shape or
  position (a named object without a match is wrong on all three);
- binding: the fraction of named objects right on all three at once, which is what a model
  that reads a caption as a bag of words gets wrong ("a red circle and a blue square" drawn as
  a blue circle and a red square scores 1.0 on colour and shape but 0.0 on binding);
- caption: the fraction of images whose every named object is bound right and that show no
  object the caption does not name.
"""

import itertools

import numpy as np

from keras_mmgan.datasets.scenes import parse_scene_caption
from keras_mmgan.datasets.shapes import POSITIONS
from keras_mmgan.metrics.caption_accuracy import _COLOR_NAMES
from keras_mmgan.metrics.caption_accuracy import _PALETTE
from keras_mmgan.metrics.caption_accuracy import _POSITION_CENTERS
from keras_mmgan.metrics.caption_accuracy import _as_images
from keras_mmgan.metrics.caption_accuracy import _images_and_captions
from keras_mmgan.metrics.caption_accuracy import read_shapes


def read_scene_objects(images, threshold=0.0, min_pixels=None):
    """Reads the objects of each image: their colour, shape and position, from the pixels.

    Args:
        images: array `(N, H, W, 3)` in [-1, 1], black (-1) background.
        threshold: brightness above which a pixel is foreground, in [-1, 1] units.
        min_pixels: blobs with fewer pixels are ignored; by default `max(4, H * W // 128)`
            (8 at 32x32; the smallest object `scenes` draws there has about 30).

    Returns:
        For each image, a list of `(color, shape, position)` tuples, one per position where
        an object was found, in the order of `POSITIONS`.

    Example:
        >>> from keras_mmgan.datasets.scenes import scenes
        >>> data = scenes(2, min_objects=2, max_objects=2, seed=0)
        >>> sorted(read_scene_objects(data["images"])[0]) == sorted(data["objects"][0])
        True
    """
    from scipy import ndimage

    images = _as_images(images)
    num_images, height, width, _ = images.shape
    if min_pixels is None:
        min_pixels = max(4, height * width // 128)
    brightness = np.maximum(np.maximum(images[..., 0], images[..., 1]), images[..., 2])
    rows = (np.arange(height) + 0.5) / height
    cols = (np.arange(width) + 0.5) / width
    eight_neighbours = np.ones((3, 3), bool)
    results = []
    for image, foreground in zip(images, brightness > threshold):
        labels, count = ndimage.label(foreground, structure=eight_neighbours)
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        by_position = {}
        for label in range(1, count + 1):
            if sizes[label] < min_pixels:
                continue
            blob = labels == label
            centroid = np.array([blob.sum(1) @ rows, blob.sum(0) @ cols]) / sizes[label]
            nearest = int(np.argmin(((_POSITION_CENTERS - centroid) ** 2).sum(axis=1)))
            by_position[nearest] = by_position.get(nearest, False) | blob
        order = sorted(by_position)
        if not order:
            results.append([])
            continue
        masks = np.stack([by_position[p] for p in order])
        shapes = read_shapes(masks)
        objects = []
        for position, mask, shape in zip(order, masks, shapes):
            mean_color = (image[mask].mean(axis=0) + 1.0) / 2.0
            color = _COLOR_NAMES[int(np.argmin(((_PALETTE - mean_color) ** 2).sum(axis=1)))]
            objects.append((color, shape, POSITIONS[position]))
        results.append(objects)
    return results


def _match(named, found):
    """Best one-to-one assignment of named objects to found ones; per named object its match."""
    best, best_score = [None] * len(named), (-1, -1)
    slots = list(range(len(found))) + [None] * len(named)
    for assignment in set(itertools.permutations(slots, len(named))):
        agreements = positions = 0
        for wanted, index in zip(named, assignment):
            if index is None:
                continue
            got = found[index]
            agreements += sum(a == b for a, b in zip(wanted, got))
            positions += wanted[2] == got[2]
        if (agreements, positions) > best_score:
            best_score = (agreements, positions)
            best = [None if index is None else found[index] for index in assignment]
    return best


def scene_accuracy(images, captions, threshold=0.0, min_pixels=None):
    """Per-attribute, per-object binding and whole-caption accuracy of images for captions.

    See the module docstring for how objects are read and matched. On the real images of
    `keras_mmgan.datasets.scenes` and `keras_mmgan.datasets.shapes` (from 28 pixels) every
    score is 1.0.

    Args:
        images: array `(N, H, W, 3)` in [-1, 1], e.g. `model.generate(captions=...)`.
        captions: N scene (or shapes) captions, str or bytes.
        threshold: foreground threshold, as in `read_scene_objects`.
        min_pixels: smallest blob that counts as (part of) an object, as in
            `read_scene_objects`.

    Returns:
        A dict of Python numbers: `color`, `shape`, `position` (fractions of named objects
        right on that attribute), `binding` (fraction of named objects right on all three),
        `caption` (fraction of images with every object bound right and no extra object),
        `num_objects` (named objects) and `num_samples` (N).

    Raises:
        ValueError: if a caption is not in the grammar or names two objects at one position,
            or the numbers of images and captions differ.

    Example:
        >>> from keras_mmgan.datasets.scenes import scenes
        >>> data = scenes(20, seed=0)
        >>> scores = scene_accuracy(data["images"], data["captions"])
        >>> scores["binding"], scores["caption"]
        (1.0, 1.0)

    Reference:
        The binding score follows the attribute-binding evaluations of compositional
        text-to-image work (e.g. Park et al., "Benchmark for Compositional Text-to-Image
        Synthesis", NeurIPS 2021 Datasets and Benchmarks).
    """
    images, captions = _images_and_captions(images, captions)
    named_objects = [parse_scene_caption(caption) for caption in captions]
    found_objects = read_scene_objects(images, threshold=threshold, min_pixels=min_pixels)
    right = {"color": 0, "shape": 0, "position": 0, "binding": 0}
    whole, total = 0, 0
    for named, found in zip(named_objects, found_objects):
        matches = _match(named, found)
        bound = 0
        for wanted, got in zip(named, matches):
            if got is None:
                continue
            checks = [a == b for a, b in zip(wanted, got)]
            for key, ok in zip(("color", "shape", "position"), checks):
                right[key] += ok
            bound += all(checks)
        right["binding"] += bound
        total += len(named)
        whole += bound == len(named) and len(found) == len(named)
    scores = {key: float(value / total) for key, value in right.items()}
    scores["caption"] = float(whole / len(captions))
    scores["num_objects"] = int(total)
    scores["num_samples"] = int(len(captions))
    return scores

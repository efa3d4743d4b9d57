"""Scenes of several coloured shapes, each caption naming every object.

A scene holds 1 to `max_objects` objects of the `keras_mmgan.datasets.shapes` grammar, each
at a different one of its five positions, and its caption joins their phrases with `" and "`:
`"a red circle at the top left and a blue triangle at the bottom right"`. A generator that
reads its caption as one pooled vector has to bind each colour and shape to the right place
from a bag of words; one that reads every word (attention, `networks.text_to_image_generator(
fusion="attention")`) can look up what the words at its place say. The captions name every
object and nothing else, so `keras_mmgan.metrics.scene_accuracy` can read them back from the
pixels.

Objects are drawn as `shapes` draws one (a filled shape in a full-intensity colour on black,
its centroid at its position), with sides of 24 % to 26 % of the image (7.7 to 8.3 pixels at
32, where a circle, a square and a triangle are still plain to see), without jitter, and the
four quadrant positions pulled out to 22 % / 78 % of the side (from `shapes`' 25 % / 75 %, still
nearest their own position centre) so that no two objects ever touch: at these sizes every
pair keeps a gap of at least one pixel. (A guard redraws an object smaller should it touch an
earlier one; at these sizes it never fires.)
"""

import numpy as np

from keras_mmgan.datasets.shapes import COLORS
from keras_mmgan.datasets.shapes import POSITION_FRACTIONS
from keras_mmgan.datasets.shapes import POSITIONS
from keras_mmgan.datasets.shapes import SHAPES
from keras_mmgan.datasets.shapes import _check_int
from keras_mmgan.datasets.shapes import _check_names
from keras_mmgan.datasets.shapes import _shape_masks

_MIN_SIZE_FRACTION = 0.24
_MAX_SIZE_FRACTION = 0.26
# Quadrant positions at 22 % / 78 % of the side leave room for an object at the centre.
_QUADRANT_FRACTION = 0.22
_CENTERS = {
    name: tuple(
        0.5 if value == 0.5 else (_QUADRANT_FRACTION if value < 0.5 else 1 - _QUADRANT_FRACTION)
        for value in POSITION_FRACTIONS[name]
    )
    for name in POSITIONS
}
_COLOR_NAMES = tuple(COLORS)


def held_out_objects():
    """Returns the (colour, shape) combinations the library holds out of scene training sets.

    Three of the 18 combinations, `"red triangle"`, `"green circle"` and `"cyan square"`: every
    colour and shape word still appears in the others, so a model that draws a held-out
    object has bound words it only saw apart.

    Returns:
        A list of `"{color} {shape}"` strings.

    Example:
        >>> held_out_objects()
        ['red triangle', 'green circle', 'cyan square']
    """
    return ["red triangle", "green circle", "cyan square"]


def scene_caption(objects):
    """Returns the caption of a scene: its object phrases joined with `" and "`.

    Args:
        objects: a list of `(color, shape, position)` tuples, positions all different.

    Returns:
        The caption string.

    Raises:
        ValueError: if a name is not in the grammar, or two objects share a position.

    Example:
        >>> scene_caption([("red", "circle", "top left"), ("blue", "square", "center")])
        'a red circle at the top left and a blue square at the center'
    """
    objects = [tuple(item) for item in objects]
    if not objects:
        raise ValueError("objects must hold at least one (color, shape, position); got none")
    for color, shape, position in objects:
        _check_names("color", [color], _COLOR_NAMES)
        _check_names("shape", [shape], SHAPES)
        _check_names("position", [position], POSITIONS)
    _check_distinct_positions(objects, objects)
    return " and ".join(f"a {c} {s} at the {p}" for c, s, p in objects)


def parse_scene_caption(caption):
    """Parses a scene caption into its objects.

    The caption is one or more phrases `"a {color} {shape} at the {position}"` joined with
    `" and "`; case and extra whitespace are ignored. A single-object caption of `shapes` is
    a scene caption of one object.

    Args:
        caption: a str (or UTF-8 bytes).

    Returns:
        A list of `(color, shape, position)` tuples, in the caption's order.

    Raises:
        ValueError: if a phrase is not in the grammar, or two objects are at the same
            position.
        TypeError: if the caption is not a string.

    Example:
        >>> parse_scene_caption("a red circle at the top left and a blue square at the center")
        [('red', 'circle', 'top left'), ('blue', 'square', 'center')]
    """
    from keras_mmgan.metrics.caption_accuracy import parse_caption

    if isinstance(caption, bytes):
        caption = caption.decode("utf-8")
    if not isinstance(caption, str):
        raise TypeError(f"caption must be a str; got {caption!r} of type {type(caption).__name__}")
    normalized = " ".join(caption.lower().split())
    objects = []
    for phrase in normalized.split(" and "):
        try:
            objects.append(parse_caption(phrase))
        except ValueError:
            raise ValueError(
                'caption must join phrases "a {color} {shape} at the {position}" with " and ", '
                f"with color in {list(COLORS)}, shape in {list(SHAPES)} and position in "
                f"{list(POSITIONS)}; the phrase {phrase!r} of {caption!r} is not one"
            ) from None
    _check_distinct_positions(objects, caption)
    return objects


def _check_distinct_positions(objects, caption):
    seen = set()
    for _, _, position in objects:
        if position in seen:
            raise ValueError(
                f"a caption must name at most one object per position; {caption!r} names two "
                f"objects at the {position}"
            )
        seen.add(position)


def _parse_combinations(argument, combinations):
    if combinations is None:
        return set()
    if isinstance(combinations, str):
        combinations = [combinations]
    parsed = set()
    for item in combinations:
        pair = tuple(item.split()) if isinstance(item, str) else tuple(item)
        if len(pair) != 2 or pair[0] not in COLORS or pair[1] not in SHAPES:
            raise ValueError(
                f"{argument} must hold '{{color}} {{shape}}' strings or (color, shape) pairs "
                f"with color in {list(COLORS)} and shape in {list(SHAPES)}; got {item!r}"
            )
        parsed.add(pair)
    return parsed


def scenes(
    num_samples,
    image_size=32,
    max_objects=3,
    seed=0,
    min_objects=1,
    exclude_objects=None,
):
    """Generates scenes of 1 to `max_objects` coloured shapes, each with its caption.

    The number of objects is uniform in `[min_objects, max_objects]`; their positions are
    distinct (drawn without replacement from `POSITIONS`), their colours and shapes uniform
    over the combinations not excluded. The caption lists the objects in a random order. The
    output is fully determined by `seed`.

    Args:
        num_samples: number of scenes, a positive int.
        image_size: height and width of the square images in pixels, an int >= 16.
        max_objects: most objects per scene, 1 to 5.
        seed: seed of `np.random.default_rng`, which draws every random choice.
        min_objects: fewest objects per scene, 1 to `max_objects`.
        exclude_objects: optional (colour, shape) combinations never drawn, as
            `"{color} {shape}"` strings or pairs, e.g. `held_out_objects()` for a training set.

    Returns:
        A dict with `images`, float32 `(num_samples, image_size, image_size, 3)` in [-1, 1];
        `captions`, a list of strings; and `objects`, for each scene the list of its
        `(color, shape, position)` tuples in caption order.

    Example:
        >>> data = scenes(4, seed=1)
        >>> data["images"].shape
        (4, 32, 32, 3)
        >>> data["captions"][0] == scene_caption(data["objects"][0])
        True
    """
    num_samples = _check_int("num_samples", num_samples, minimum=1, expected="a positive int")
    image_size = _check_int("image_size", image_size, minimum=16, expected="an int >= 16")
    max_objects = _check_int("max_objects", max_objects, minimum=1, expected="an int in [1, 5]")
    if max_objects > len(POSITIONS):
        raise ValueError(f"max_objects must be an int in [1, 5] (one per position); got {max_objects}")
    min_objects = _check_int(
        "min_objects", min_objects, minimum=1, expected=f"an int in [1, max_objects={max_objects}]"
    )
    if min_objects > max_objects:
        raise ValueError(
            f"min_objects must be an int in [1, max_objects={max_objects}]; got {min_objects}"
        )
    excluded = _parse_combinations("exclude_objects", exclude_objects)
    allowed = [(c, s) for c in _COLOR_NAMES for s in SHAPES if (c, s) not in excluded]
    if not allowed:
        raise ValueError("exclude_objects excludes every (color, shape) combination")

    rng = np.random.default_rng(seed)
    palette = {name: np.array(COLORS[name], np.float32) * 2.0 - 1.0 for name in COLORS}
    images = np.full((num_samples, image_size, image_size, 3), -1.0, dtype=np.float32)
    captions, all_objects = [], []
    for index in range(num_samples):
        count = int(rng.integers(min_objects, max_objects + 1))
        positions = [POSITIONS[i] for i in rng.choice(len(POSITIONS), count, replace=False)]
        occupied = np.zeros((image_size, image_size), bool)
        objects = []
        for position in positions:
            color, shape = allowed[int(rng.integers(len(allowed)))]
            size = image_size * rng.uniform(_MIN_SIZE_FRACTION, _MAX_SIZE_FRACTION)
            center = np.array(_CENTERS[position]) * image_size
            for _ in range(20):
                mask = _shape_masks(
                    np.array([SHAPES.index(shape)]), center[None], np.array([size]), image_size
                )[0]
                if not (_dilate(mask) & occupied).any():
                    break
                size *= 0.95
            occupied |= mask
            images[index][mask] = palette[color]
            objects.append((color, shape, position))
        all_objects.append(objects)
        captions.append(" and ".join(f"a {c} {s} at the {p}" for c, s, p in objects))
    return {"images": images, "captions": captions, "objects": all_objects}


def _dilate(mask):
    """The mask grown by one pixel in the 8 directions."""
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    wide = grown.copy()
    wide[:, 1:] |= grown[:, :-1]
    wide[:, :-1] |= grown[:, 1:]
    return wide

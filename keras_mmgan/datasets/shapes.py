"""Coloured shapes with captions: the embedded multimodal toy data set.

Each image holds one filled shape (circle, square or triangle) in one of six saturated colours,
placed at one of five positions (the centre of a quadrant or the image centre), on a black
background. Each image comes with a caption in a fixed grammar,
`"a {color} {shape} at the {position}"`, so a text-to-image GAN can be trained offline in
seconds and its samples can be checked against their captions from the pixels alone
(see `keras_mmgan.metrics.caption_accuracy`).

Coordinates: pixel `(i, j)` covers the square `[i, i + 1) x [j, j + 1)`, so its centre is
`(i + 0.5, j + 0.5)`. The "top left" position is the point `(H / 4, W / 4)`, "center" is
`(H / 2, W / 2)`, and so on. Every shape is placed so that the centroid of its filled area is at
its position (up to the small position jitter), which is what the caption metric reads back.
"""

import numpy as np

COLORS = {
    "red": (1, 0, 0),
    "green": (0, 1, 0),
    "blue": (0, 0, 1),
    "yellow": (1, 1, 0),
    "magenta": (1, 0, 1),
    "cyan": (0, 1, 1),
}
"""Colour name -> RGB tuple with components in {0, 1} (drawn at full intensity)."""

SHAPES = ("circle", "square", "triangle")
"""Shape names, in the order used by `all_captions()`."""

POSITIONS = ("top left", "top right", "bottom left", "bottom right", "center")
"""Position names, in the order used by `all_captions()`."""

# Position centres as fractions of (height, width).
POSITION_FRACTIONS = {
    "top left": (0.25, 0.25),
    "top right": (0.25, 0.75),
    "bottom left": (0.75, 0.25),
    "bottom right": (0.75, 0.75),
    "center": (0.5, 0.5),
}

# Shape side (diameter, bounding-box side) as a fraction of the image side.
_MIN_SIZE_FRACTION = 0.25
_MAX_SIZE_FRACTION = 1.0 / 3.0
# Images are drawn in chunks of this many to bound the memory of the temporaries.
_CHUNK = 2048


def caption(color, shape, position):
    """Returns the caption of one image, in the data set's grammar.

    The grammar is `"a {color} {shape} at the {position}"`, e.g. `"a red circle at the top
    left"`. Every name is checked against `COLORS`, `SHAPES` and `POSITIONS`.

    Args:
        color: a key of `COLORS`, e.g. `"red"`.
        shape: one of `SHAPES`, e.g. `"circle"`.
        position: one of `POSITIONS`, e.g. `"top left"`.

    Returns:
        The caption string.

    Example:
        >>> caption("red", "circle", "top left")
        'a red circle at the top left'
    """
    _check_names("color", [color], tuple(COLORS))
    _check_names("shape", [shape], SHAPES)
    _check_names("position", [position], POSITIONS)
    return f"a {color} {shape} at the {position}"


def all_captions():
    """Returns all 90 captions of the grammar, in a fixed order.

    The order is colour-major: for each colour of `COLORS` (in its order), each shape of
    `SHAPES`, each position of `POSITIONS`. Useful to adapt a `TextVectorization` on the whole
    vocabulary, or to generate one sample per combination.

    Returns:
        A list of 90 caption strings.

    Example:
        >>> captions = all_captions()
        >>> len(captions), captions[0]
        (90, 'a red circle at the top left')
    """
    return [
        f"a {color} {shape} at the {position}"
        for color in COLORS
        for shape in SHAPES
        for position in POSITIONS
    ]


def held_out_captions():
    """Returns the 10 captions the library holds out of training to test generalisation.

    They are the (colour, shape, position) combinations with
    `(colour index + 2 * shape index + 3 * position index) % 9 == 0`: every colour,
    shape and position word still appears in the other 80 captions, so a model that
    draws these correctly has composed words it learned apart.

    Returns:
        A list of 10 caption strings.

    Example:
        >>> held_out_captions()[0]
        'a red circle at the top left'
    """
    return [
        f"a {color} {shape} at the {position}"
        for i, color in enumerate(COLORS)
        for j, shape in enumerate(SHAPES)
        for k, position in enumerate(POSITIONS)
        if (i + 2 * j + 3 * k) % 9 == 0
    ]


def shapes(
    num_samples,
    image_size=32,
    seed=0,
    colors=None,
    shapes=None,
    positions=None,
    exclude_captions=None,
):
    """Generates coloured shapes on a black background, each with its caption.

    Each image holds one filled circle, square or triangle whose side (diameter) is between a
    quarter and a third of the image side, drawn at full intensity in one of the colours of
    `COLORS` (pixel value +1 on an "on" channel, -1 on an "off" channel) on a black (-1)
    background. The shape's centroid is at the centre of its quadrant or of the image, with up
    to +-1 pixel of jitter (+-2 pixels from 32 pixels up). The (colour, shape, position)
    combinations are balanced: every allowed combination appears `num_samples // K` or
    `num_samples // K + 1` times (K = number of allowed combinations), in a random order. The
    output is fully determined by `seed`.

    Args:
        num_samples: number of images, a positive int.
        image_size: height and width of the square images in pixels, an int >= 8.
        seed: seed of `np.random.default_rng`, which draws every random choice.
        colors: optional list of colour names (keys of `COLORS`) to sample from; all by default.
        shapes: optional list of shape names (from `SHAPES`) to sample from; all by default.
        positions: optional list of position names (from `POSITIONS`) to sample from; all by
            default.
        exclude_captions: optional captions whose combinations are never drawn, e.g.
            `held_out_captions()` for a training set.

    Returns:
        A dict with `images`, a float32 array of shape `(num_samples, image_size, image_size, 3)`
        with values in [-1, 1]; `captions`, a list of `num_samples` strings; and `colors`,
        `shapes`, `positions`, lists of the attribute names of each image.

    Example:
        >>> data = shapes(8, image_size=28, seed=1)
        >>> data["images"].shape, data["images"].dtype
        ((8, 28, 28, 3), dtype('float32'))
        >>> data["captions"][0] == caption(
        ...     data["colors"][0], data["shapes"][0], data["positions"][0])
        True
    """
    num_samples = _check_int("num_samples", num_samples, minimum=1, expected="a positive int")
    image_size = _check_int("image_size", image_size, minimum=8, expected="an int >= 8")
    color_names = _select("colors", colors, tuple(COLORS))
    shape_names = _select("shapes", shapes, SHAPES)
    position_names = _select("positions", positions, POSITIONS)

    rng = np.random.default_rng(seed)
    num_colors, num_shapes, num_positions = len(color_names), len(shape_names), len(position_names)
    allowed = np.arange(num_colors * num_shapes * num_positions)
    if exclude_captions is not None:
        if isinstance(exclude_captions, str):
            exclude_captions = [exclude_captions]
        excluded = set(exclude_captions)
        unknown = excluded - set(all_captions())
        if unknown:
            raise ValueError(
                f"exclude_captions must be captions of the grammar; got {sorted(unknown)}"
            )
        allowed = np.array(
            [
                index
                for index in allowed
                if f"a {color_names[index // (num_shapes * num_positions)]} "
                f"{shape_names[index // num_positions % num_shapes]} at the "
                f"{position_names[index % num_positions]}"
                not in excluded
            ]
        )
        if not len(allowed):
            raise ValueError("exclude_captions excludes every combination")
    # Balanced combinations: whole random permutations of all combinations, then a shuffle.
    num_cycles = -(-num_samples // len(allowed))
    combination = np.concatenate(
        [rng.permutation(allowed) for _ in range(num_cycles)]
    )[:num_samples]
    combination = rng.permutation(combination)
    color_index, rest = np.divmod(combination, num_shapes * num_positions)
    shape_index, position_index = np.divmod(rest, num_positions)

    size = image_size * rng.uniform(_MIN_SIZE_FRACTION, _MAX_SIZE_FRACTION, num_samples)
    max_jitter = min(2, image_size // 16)
    jitter = rng.integers(-max_jitter, max_jitter + 1, size=(num_samples, 2))
    fractions = np.array([POSITION_FRACTIONS[name] for name in position_names])
    center = fractions[position_index] * image_size + jitter

    palette = np.array([COLORS[name] for name in color_names], dtype=np.float32) * 2.0 - 1.0
    shape_codes = np.array([SHAPES.index(name) for name in shape_names])[shape_index]

    images = np.empty((num_samples, image_size, image_size, 3), dtype=np.float32)
    for start in range(0, num_samples, _CHUNK):
        stop = min(start + _CHUNK, num_samples)
        mask = _shape_masks(
            shape_codes[start:stop], center[start:stop], size[start:stop], image_size
        )
        images[start:stop] = np.where(
            mask[..., None], palette[color_index[start:stop]][:, None, None, :], -1.0
        )

    colors_out = [color_names[i] for i in color_index]
    shapes_out = [shape_names[i] for i in shape_index]
    positions_out = [position_names[i] for i in position_index]
    captions = [
        f"a {color} {shape} at the {position}"
        for color, shape, position in zip(colors_out, shapes_out, positions_out)
    ]
    return {
        "images": images,
        "captions": captions,
        "colors": colors_out,
        "shapes": shapes_out,
        "positions": positions_out,
    }


def _shape_masks(shape_codes, center, size, image_size):
    """Boolean masks `(n, H, W)` of the filled shapes (codes index `SHAPES`)."""
    coords = np.arange(image_size, dtype=np.float64) + 0.5
    dy = coords[None, :, None] - center[:, 0, None, None]
    dx = coords[None, None, :] - center[:, 1, None, None]
    radius = (size / 2.0)[:, None, None]
    side = size[:, None, None]
    circle = dy * dy + dx * dx <= radius * radius
    square = (np.abs(dy) <= radius) & (np.abs(dx) <= radius)
    # Isosceles triangle pointing up, base and height `side`, centroid at the centre:
    # apex at dy = -2/3 side, base at dy = +1/3 side, half-width growing by 1/2 per row.
    depth = dy + 2.0 * side / 3.0
    triangle = (depth >= 0.0) & (dy <= side / 3.0) & (np.abs(dx) <= depth / 2.0)
    code = shape_codes[:, None, None]
    mask = np.where(code == 0, circle, np.where(code == 1, square, triangle))
    # The pixel that holds the centre is always on, so no shape is empty on tiny images.
    row = np.clip(np.floor(center[:, 0]).astype(int), 0, image_size - 1)
    col = np.clip(np.floor(center[:, 1]).astype(int), 0, image_size - 1)
    mask[np.arange(len(mask)), row, col] = True
    return mask


def _check_int(name, value, minimum, expected):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be {expected}; got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be {expected}; got {value}")
    return int(value)


def _check_names(argument, names, valid):
    for name in names:
        if name not in valid:
            raise ValueError(
                f"{argument} must be one of {list(valid)}; got {name!r}"
            )


def _select(argument, names, valid):
    """Validates an optional subset of names; returns it (deduplicated) or all of `valid`."""
    if names is None:
        return tuple(valid)
    if isinstance(names, str):
        names = [names]
    try:
        names = list(names)
    except TypeError:
        raise TypeError(
            f"{argument} must be a list of names from {list(valid)}; got {names!r}"
        ) from None
    if not names:
        raise ValueError(f"{argument} must name at least one of {list(valid)}; got an empty list")
    for name in names:
        if not isinstance(name, str) or name not in valid:
            raise ValueError(
                f"{argument} must only contain names from {list(valid)}; got {name!r}"
            )
    return tuple(dict.fromkeys(names))

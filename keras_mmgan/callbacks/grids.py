"""Sample grids and loss plots: arrays of images as one picture, saved or shown, and `SampleGrid`."""

import io
import os

import keras
import numpy as np

from keras_mmgan.validation import check_positive_int


def image_grid(images, num_columns=None, padding=0):
    """Tiles images in [-1, 1] into one uint8 RGB mosaic.

    Args:
        images: array `(N, H, W, C)` with C = 1 or 3, values in [-1, 1].
        num_columns: images per row; `ceil(sqrt(N))` by default.
        padding: grey pixels between images (0 for an exact mosaic).

    Returns:
        A uint8 array `(rows * (H + padding) - padding, num_columns * (W +
        padding) - padding, 3)`; empty cells are black.

    Example:

    >>> image_grid(np.zeros((6, 8, 8, 1)), num_columns=3).shape
    (16, 24, 3)
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            "images must be rank 4 (batch, height, width, 1 or 3 channels); "
            f"got shape {images.shape}"
        )
    n, height, width, _ = images.shape
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    num_columns = num_columns or int(np.ceil(np.sqrt(n)))
    num_rows = -(-n // num_columns)
    step_y, step_x = height + padding, width + padding
    grid = np.full((num_rows * step_y - padding, num_columns * step_x - padding, 3), 128, "uint8")
    pixels = np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype("uint8")
    for index in range(num_rows * num_columns):
        row, column = divmod(index, num_columns)
        cell = grid[row * step_y : row * step_y + height, column * step_x : column * step_x + width]
        cell[...] = pixels[index] if index < n else 0
    return grid


def plot_image_grid(images, num_columns=None, row_labels=None, scale=4, padding=1):
    """Draws images in [-1, 1] as a grid figure, optionally with a label per row.

    Uses matplotlib's object-oriented API only, so it never changes the
    session's plotting backend; in a notebook the returned figure shows inline.

    Args:
        images: array `(N, H, W, C)` in [-1, 1].
        num_columns: images per row.
        row_labels: optional list of strings, one per row (e.g. captions).
        scale: screen pixels per image pixel.
        padding: grey pixels between images.

    Returns:
        A `matplotlib.figure.Figure`.

    Example:

    ```python
    plot_image_grid(gan.generate(captions=captions, seed=0), 8, row_labels=captions[::8])
    ```
    """
    from matplotlib.figure import Figure

    grid = image_grid(images, num_columns, padding)
    dpi = 100
    # Room for the longest label at font size 8 (about 0.07 inch a character).
    label_width = 0.2 + 0.07 * max(len(str(label)) for label in row_labels) if row_labels else 0.0
    width = label_width + grid.shape[1] * scale / dpi
    figure = Figure(figsize=(width, grid.shape[0] * scale / dpi), dpi=dpi)
    axes = figure.add_axes([label_width / width, 0, 1 - label_width / width, 1])
    axes.imshow(grid, interpolation="nearest")
    axes.set_xticks([])
    axes.set_yticks([])
    if row_labels:
        row_step = (grid.shape[0] + padding) / len(row_labels)
        axes.set_yticks([i * row_step + (row_step - padding) / 2 for i in range(len(row_labels))])
        axes.set_yticklabels(row_labels, fontsize=8)
    return figure


def plot_losses(history, names=None):
    """Plots training curves (losses, scores) per epoch from a Keras `History`.

    Args:
        history: the `History` returned by `fit`, or its `.history` dict.
        names: which logs to plot; all by default.

    Returns:
        A `matplotlib.figure.Figure` (shows inline in a notebook).

    Example:

    ```python
    history = gan.fit(dataset, epochs=20)
    plot_losses(history, ["d_loss", "g_loss"]).savefig("losses.png")
    ```
    """
    from matplotlib.figure import Figure

    logs = getattr(history, "history", history)
    names = list(names) if names is not None else sorted(logs)
    missing = [name for name in names if name not in logs]
    if missing:
        raise ValueError(f"names {missing} are not in the history; it has {sorted(logs)}")
    figure = Figure(figsize=(6, 3.5))
    axes = figure.add_subplot()
    for name in names:
        axes.plot(range(1, len(logs[name]) + 1), logs[name], marker=".", label=name)
    axes.set_xlabel("epoch")
    axes.legend()
    return figure


def save_image_grid(path, images, num_columns=None, row_labels=None, scale=4):
    """Saves images in [-1, 1] as a PNG grid, optionally with a label per row.

    Without labels the PNG holds the images' pixels exactly (`image_grid`);
    with labels it is `plot_image_grid`'s figure.

    Args:
        path: the PNG file to write.
        images: array `(N, H, W, C)` in [-1, 1].
        num_columns: images per row.
        row_labels: optional list of strings, one per row (e.g. captions).
        scale: screen pixels per image pixel in the labelled figure.

    Returns:
        `path`.

    Example:

    ```python
    save_image_grid("grid.png", gan.generate(captions=captions, seed=0),
                    num_columns=8, row_labels=captions[::8])
    ```
    """
    if row_labels:
        plot_image_grid(images, num_columns, row_labels, scale).savefig(path)
    else:
        from matplotlib.image import imsave

        imsave(path, image_grid(images, num_columns))
    return path


class SampleGrid(keras.callbacks.Callback):
    """Saves a PNG grid of fixed-seed samples every `every` epochs.

    The same seed (and the same conditions) is used every time, so the grids
    show how the same samples evolve.

    Args:
        directory: where to write `samples_epoch_{epoch:04d}.png`.
        num_samples: samples for an unconditional model.
        captions: captions for a text model (one grid row per caption,
            `per_condition` samples each).
        per_condition: samples per caption or per label.
        labels: class labels for a conditional model (one grid row per
            label, `per_condition` samples each).
        images: source images `(N, H, W, C)` in [-1, 1] for a translation
            model: the grid's first row holds them, the second their
            translations.
        every: epochs between grids.
        seed: the sampling seed.
        tensorboard_dir: if given, the samples also go to TensorBoard as an
            image summary `samples` at step = epoch.

    Example:

    ```python
    gan.fit(dataset, epochs=20, callbacks=[SampleGrid("runs/grids", captions=captions)])
    ```
    """

    def __init__(
        self,
        directory,
        num_samples=36,
        captions=None,
        per_condition=8,
        every=1,
        seed=0,
        tensorboard_dir=None,
        labels=None,
        images=None,
    ):
        super().__init__()
        given = [name for name, value in (("captions", captions), ("labels", labels),
                                          ("images", images)) if value is not None]
        if len(given) > 1:
            raise ValueError(f"pass at most one of captions, labels and images; got {given}")
        self.labels = [int(label) for label in labels] if labels is not None else None
        self.images = np.asarray(images, dtype="float32") if images is not None else None
        self.tensorboard_dir = tensorboard_dir
        self.directory = directory
        self.num_samples = check_positive_int("num_samples", num_samples)
        self.captions = list(captions) if captions is not None else None
        self.per_condition = check_positive_int("per_condition", per_condition)
        self.every = check_positive_int("every", every)
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        os.makedirs(self.directory, exist_ok=True)
        path = os.path.join(self.directory, f"samples_epoch_{epoch + 1:04d}.png")
        images = self.save(path)
        if self.tensorboard_dir is not None:
            from keras_mmgan import backend

            backend.write_image_summary(self.tensorboard_dir, "samples", images, epoch + 1)

    def save(self, path):
        """Saves the grid of the model as it is now, outside `fit` too.

        Args:
            path: the PNG file to write.

        Returns:
            The images of the grid.

        Example:

        ```python
        grid = SampleGrid("runs/grids", num_samples=16)
        grid.set_model(gan)
        grid.save("final.png")
        ```
        """
        if self.labels is not None:
            labels = np.repeat(self.labels, self.per_condition)
            images = self.model.generate(labels=labels, seed=self.seed)
            save_image_grid(path, images, self.per_condition)
        elif self.images is not None:
            outputs = self.model.generate(images=self.images, seed=self.seed)
            sources = self.images
            if sources.shape[-1] != outputs.shape[-1]:  # e.g. grayscale -> colour
                sources = np.repeat(sources[..., :1], outputs.shape[-1], axis=-1)
            images = np.concatenate([sources, outputs])
            save_image_grid(path, images, len(outputs))
        elif self.captions is None:
            images = self.model.generate(self.num_samples, seed=self.seed)
            save_image_grid(path, images)
        else:
            captions = [c for c in self.captions for _ in range(self.per_condition)]
            images = self.model.generate(captions=captions, seed=self.seed)
            save_image_grid(path, images, self.per_condition, row_labels=self.captions)
        return images


def png_grid(images, num_columns=None, padding=0):
    """Encodes images in [-1, 1] as the bytes of one PNG grid (`image_grid`'s pixels, exactly).

    What the web demo (`keras_mmgan.serve`) sends, so that a program or a test
    can compare a served grid with `image_grid(model.generate(...))`.

    Args:
        images: array `(N, H, W, C)` with C = 1 or 3, values in [-1, 1].
        num_columns: images per row; `ceil(sqrt(N))` by default.
        padding: grey pixels between images.

    Returns:
        The PNG file's bytes (8-bit RGB).

    Example:

    >>> png_grid(np.zeros((4, 8, 8, 1)))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    from PIL import Image  # Pillow comes with matplotlib

    buffer = io.BytesIO()
    Image.fromarray(image_grid(images, num_columns, padding), "RGB").save(buffer, format="PNG")
    return buffer.getvalue()

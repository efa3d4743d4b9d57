"""The web demo's model side: read a model's family, check a request, generate its grid.

`DemoService` holds one model (loaded once), checks each request's fields and turns
every mistake into a `RequestError` with an HTTP status and a message that names the
field, and serializes model calls with one lock, so that requests served from several
threads never run the model at the same time.
"""

import base64
import binascii
import io
import math
import threading
import time

import numpy as np

from keras_mmgan import models
from keras_mmgan.callbacks.grids import png_grid
from keras_mmgan.validation import check_positive_int

# Seeds are int32 in Keras's SeedGenerator.
MAX_SEED = 2**31 - 1
MAX_CAPTION_CHARACTERS = 500
# Larger uploads are refused before decoding (a decompression bomb stays a 413).
MAX_IMAGE_PIXELS = 4096 * 4096
GRID_PADDING = 2


class RequestError(ValueError):
    """A request the demo refuses: an HTTP status (4xx) and a message naming the field.

    Args:
        message: what was wrong and what was expected.
        status: the HTTP status code (400 by default; 413 for too large).

    Example:

    >>> RequestError("label must be an int in [0, 10); got 12").status
    400
    """

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


def model_family(model):
    """The demo's name for a model's family, which decides the input the page offers.

    Args:
        model: a `keras_mmgan.models` model.

    Returns:
        One of `"gan"`, `"progressive"`, `"conditional"`, `"text2image"`, `"pix2pix"`,
        `"cyclegan"`, `"multimodal_pix2pix"`.

    Example:

    ```python
    model_family(keras.saving.load_model("text2image.keras"))   # 'text2image'
    ```
    """
    # Subclasses before the classes they extend.
    for cls, name in (
        (models.MultimodalPix2Pix, "multimodal_pix2pix"),
        (models.Pix2Pix, "pix2pix"),
        (models.CycleGAN, "cyclegan"),
        (models.TextToImageGAN, "text2image"),
        (models.ConditionalGAN, "conditional"),
        (models.ProgressiveGAN, "progressive"),
        (models.GAN, "gan"),
    ):
        if isinstance(model, cls):
            return name
    raise TypeError(
        "model must be a keras_mmgan.models model (GAN, ConditionalGAN, TextToImageGAN, "
        f"Pix2Pix, CycleGAN, MultimodalPix2Pix, ProgressiveGAN); got {type(model).__name__}"
    )


class GenerationResult:
    """One answered request: the images, the grid they were tiled into, and facts about it.

    Args:
        images: float32 array `(N, H, W, C)` in [-1, 1], as `generate` returned it.
        num_columns: images per grid row.
        elapsed_ms: milliseconds spent generating (lock wait excluded).
        unknown_words: caption words the model's vocabulary does not know.

    Example:

    ```python
    result = service.generate({"caption": "a red circle at the top left", "seed": 0})
    open("grid.png", "wb").write(result.png)
    ```
    """

    def __init__(self, images, num_columns, elapsed_ms, unknown_words=()):
        self.images = images
        self.num_columns = num_columns
        self.elapsed_ms = elapsed_ms
        self.unknown_words = list(unknown_words)

    @property
    def png(self):
        """The grid as PNG bytes (`keras_mmgan.callbacks.png_grid`, padding 2)."""
        return png_grid(self.images, self.num_columns, padding=GRID_PADDING)

    def summary(self):
        """The JSON-ready facts about the grid (without the image)."""
        return {
            "num_samples": int(len(self.images)),
            "num_columns": int(self.num_columns),
            "image_shape": [int(d) for d in self.images.shape[1:]],
            "elapsed_ms": round(self.elapsed_ms, 1),
            "unknown_words": self.unknown_words,
        }


class DemoService:
    """A loaded model behind the web demo: its description, request checks and generation.

    One instance per server; it is safe to call from several threads (model
    calls take turns on one lock). Every request field is checked before the
    model runs; a mistake raises `RequestError` (a 4xx) that names the field.

    Request fields (all optional except the family's input):

    - `seed` (int, default 0) and `num_samples` (int, 1 to `max_samples`;
      outputs per image for MultimodalPix2Pix; ignored by Pix2Pix and CycleGAN,
      which translate the one image);
    - `caption` (text-to-image), `label` (conditional), `image` (a PNG/JPEG/...
      file as base64, optionally a `data:` URL; the translation families),
      `direction` (`"x_to_y"` or `"y_to_x"`, CycleGAN);
    - `walk_to` (int seed): a latent walk in `num_samples` steps from `seed`'s
      latent to `walk_to`'s, one grid row (`GAN.latent_walk`).

    Args:
        model: a `keras_mmgan.models` model.
        max_samples: the most images one request may ask for.
        warm_up: generate once now, so that the first request does not pay for
            tracing the model.

    Example:

    ```python
    service = DemoService(keras.saving.load_model("cgan.keras"))
    service.info()["labels"]                       # [0, 1, ..., 9]
    png = service.generate({"label": 3, "seed": 0, "num_samples": 16}).png
    ```
    """

    def __init__(self, model, max_samples=64, warm_up=True):
        self.model = model
        self.family = model_family(model)
        self.max_samples = check_positive_int("max_samples", max_samples)
        if self.family == "text2image" and model.vectorizer is None:
            raise ValueError(
                "the demo needs a text model that takes raw strings: this TextToImageGAN has no "
                "vectorizer (build it with "
                "build_gan(..., vectorizer=datasets.text_vectorizer(...)))"
            )
        self._vocabulary = None
        if self.family == "text2image":
            words = (str(word) for word in model.vectorizer.get_vocabulary())
            self._vocabulary = [word for word in words if word not in ("", "[UNK]")]
        self._lock = threading.Lock()
        if warm_up:
            self.generate(self.example_request())

    # ------------------------------------------------------------------ #
    # Description.
    # ------------------------------------------------------------------ #
    @property
    def source_shape(self):
        """The shape of one uploaded image after resizing, or `None` without uploads."""
        if self.family in ("pix2pix", "multimodal_pix2pix"):
            return tuple(int(d) for d in self.model.source_shape)
        if self.family == "cyclegan":
            return tuple(int(d) for d in self.model.generator.input_shape[1:])
        return None

    def info(self):
        """What the page (or any client) needs to build its form.

        Returns:
            A JSON-ready dict: `family`, `model_class`, `latent_dim`, `labels`
            (conditional), `vocabulary` (text), `source_shape` (translation),
            `directions` (CycleGAN), `image_shape`, `max_samples`, `uses_num_samples`,
            `latent_walk` (whether `walk_to` works).
        """
        info = {
            "family": self.family,
            "model_class": type(self.model).__name__,
            "latent_dim": self.model.latent_dim,
            "max_samples": self.max_samples,
            "uses_num_samples": self.family not in ("pix2pix", "cyclegan"),
            "latent_walk": self.model.latent_dim is not None,
            "labels": None,
            "vocabulary": None,
            "source_shape": None,
            "directions": None,
        }
        if self.family == "conditional":
            info["labels"] = list(range(self.model.num_classes))
        if self.family == "text2image":
            info["vocabulary"] = self._vocabulary
        if self.source_shape is not None:
            info["source_shape"] = list(self.source_shape)
        if self.family == "cyclegan":
            info["directions"] = ["x_to_y", "y_to_x"]
        info["image_shape"] = [int(d) for d in self.example_result_shape]
        return info

    @property
    def example_result_shape(self):
        """The shape of one generated image (what `example_request` gives)."""
        if not hasattr(self, "_example_shape"):
            self._example_shape = self._run(self.example_request()).images.shape[1:]
        return self._example_shape

    def example_request(self):
        """A valid request for this family (one sample; a black image where one is needed)."""
        request = {"seed": 0, "num_samples": 1}
        if self.family == "conditional":
            request["label"] = 0
        elif self.family == "text2image":
            request["caption"] = " ".join(self._vocabulary[:3]) or "a"
        elif self.source_shape is not None:
            request["image"] = np.zeros(self.source_shape, "float32")
        return request

    # ------------------------------------------------------------------ #
    # Generation.
    # ------------------------------------------------------------------ #
    def generate(self, request):
        """Checks a request and generates its grid.

        Args:
            request: a dict of the fields listed in the class docstring; `image`
                may also be a float array already in [-1, 1] of `source_shape`.

        Returns:
            A `GenerationResult`.

        Raises:
            RequestError: a field is missing, of the wrong type or out of range.
        """
        result = self._run(request)
        if not hasattr(self, "_example_shape"):
            self._example_shape = result.images.shape[1:]
        return result

    def _run(self, request):
        if not isinstance(request, dict):
            raise RequestError(
                f"the request must be a JSON object of fields; got {type(request).__name__}"
            )
        known = {"seed", "num_samples", "caption", "label", "image", "direction", "walk_to",
                 "format"}
        unknown = sorted(set(request) - known)
        if unknown:
            raise RequestError(f"unknown fields {unknown}; the fields are {sorted(known)}")
        seed = _int_field(request, "seed", 0, 0, MAX_SEED)
        walk_to = _int_field(request, "walk_to", None, 0, MAX_SEED)
        default_count = 1 if self.family == "multimodal_pix2pix" else 16
        num_samples = _int_field(request, "num_samples", default_count, 1, self.max_samples)
        if walk_to is not None and self.model.latent_dim is None:
            raise RequestError(
                f"walk_to: a {type(self.model).__name__} has no latent code to walk in"
            )
        if walk_to is not None and num_samples < 2:
            raise RequestError("num_samples is the number of steps of a walk: at least 2")
        self._check_fields(request)

        kwargs, unknown_words, count = {}, [], num_samples
        if self.family == "conditional":
            label = _int_field(request, "label", None, 0, self.model.num_classes - 1)
            if label is None:
                raise RequestError(
                    f"label is required: an int in [0, {self.model.num_classes})"
                )
            kwargs["labels"] = np.full((num_samples,), label, "int32")
        elif self.family == "text2image":
            caption = self._caption(request)
            unknown_words = [w for w in caption.lower().split() if w not in self._vocabulary]
            kwargs["captions"] = [caption] * num_samples
        elif self.source_shape is not None:
            image = self._image(request)
            kwargs["images"] = image[None]
            if self.family == "multimodal_pix2pix":
                kwargs["num_samples"] = num_samples
            else:
                count = 1
        else:
            kwargs["num_samples"] = num_samples
        if self.family == "progressive":
            kwargs["full_resolution"] = True
        direction = request.get("direction", "x_to_y")
        if self.family == "cyclegan" and direction not in ("x_to_y", "y_to_x"):
            raise RequestError(f"direction must be 'x_to_y' or 'y_to_x'; got {direction!r}")

        if walk_to is not None:
            kwargs["latents"] = self.model.latent_walk(seed, walk_to, steps=num_samples)
            num_columns = num_samples
        else:
            kwargs["seed"] = seed
            num_columns = int(math.ceil(math.sqrt(count)))
        with self._lock:
            start = time.perf_counter()
            try:
                if self.family == "cyclegan":
                    images = self.model.translate(kwargs["images"], direction=direction)
                else:
                    images = self.model.generate(**kwargs)
            except (ValueError, TypeError) as error:  # the model's own checks name the argument
                raise RequestError(str(error)) from None
            elapsed_ms = (time.perf_counter() - start) * 1000.0
        return GenerationResult(images, num_columns, elapsed_ms, unknown_words)

    def _check_fields(self, request):
        """Refuses fields that do not belong to this family, naming what it takes."""
        takes = {
            "conditional": "label",
            "text2image": "caption",
            "pix2pix": "image",
            "cyclegan": "image",
            "multimodal_pix2pix": "image",
        }.get(self.family)
        for field in ("caption", "label", "image"):
            if field in request and field != takes:
                expected = f"it takes {takes}" if takes else "it takes no condition"
                raise RequestError(
                    f"{field}: a {type(self.model).__name__} does not use {field}; {expected}"
                )
        if "direction" in request and self.family != "cyclegan":
            raise RequestError("direction: only a CycleGAN translates in two directions")
        if "format" in request and request["format"] not in ("png", "base64"):
            raise RequestError(f"format must be 'png' or 'base64'; got {request['format']!r}")

    def _caption(self, request):
        caption = request.get("caption")
        if not isinstance(caption, str):
            raise RequestError(
                f"caption is required: a non-empty string; got {type(caption).__name__}"
            )
        caption = " ".join(caption.split())
        if not caption:
            raise RequestError("caption must not be empty: type a few words, e.g. "
                               f"{' '.join(self._vocabulary[:5])!r}")
        if len(caption) > MAX_CAPTION_CHARACTERS:
            raise RequestError(
                f"caption must be at most {MAX_CAPTION_CHARACTERS} characters; got {len(caption)}"
            )
        return caption

    def _image(self, request):
        image = request.get("image")
        if image is None:
            raise RequestError(
                "image is required: a PNG or JPEG file as base64 (or a data: URL), "
                f"resized to {self.source_shape[0]}x{self.source_shape[1]}"
            )
        if isinstance(image, np.ndarray):
            if image.shape != self.source_shape:
                raise RequestError(
                    f"image must have shape {self.source_shape}; got {image.shape}"
                )
            return image.astype("float32")
        return decode_image(image, self.source_shape)


def _int_field(request, name, default, low, high):
    """The int field `name` in [low, high]; missing or null gives `default`."""
    value = request.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise RequestError(f"{name} must be an int in [{low}, {high}]; got {value!r}")
    if not low <= value <= high:
        status = 413 if name == "num_samples" and value > high else 400
        raise RequestError(f"{name} must be an int in [{low}, {high}]; got {value}", status)
    return int(value)


def decode_image(data, shape):
    """Decodes an uploaded image (base64 text or bytes) to floats in [-1, 1] of `shape`.

    The image is converted to the model's channels (grey or RGB) and resized
    (bilinear) to its height and width.

    Args:
        data: the file's bytes, or them as base64 text, optionally a `data:` URL.
        shape: `(height, width, channels)` with 1 or 3 channels.

    Returns:
        A float32 array of `shape`.

    Raises:
        RequestError: the data is not base64, not an image, or too large.

    Example:

    ```python
    source = decode_image(open("edges.png", "rb").read(), (64, 64, 1))
    ```
    """
    from PIL import Image  # Pillow comes with matplotlib

    if isinstance(data, str):
        if data.startswith("data:"):
            data = data.partition(",")[2]
        try:
            data = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(
                "image must be base64 text (or a data: URL) of an image file"
            ) from None
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise RequestError("image must be a non-empty image file (PNG, JPEG, ...) as base64")
    try:
        with Image.open(io.BytesIO(data)) as file:
            if file.width * file.height > MAX_IMAGE_PIXELS:
                raise RequestError(
                    f"image is {file.width}x{file.height} pixels; at most "
                    f"{MAX_IMAGE_PIXELS} pixels are accepted", 413
                )
            file = file.convert("L" if shape[-1] == 1 else "RGB")
            file = file.resize((shape[1], shape[0]), Image.BILINEAR)
            pixels = np.asarray(file, dtype="float32")
    except RequestError:
        raise
    except Exception as error:  # PIL raises many types for broken files
        raise RequestError(
            f"image could not be read as an image file (PNG, JPEG, ...): {type(error).__name__}"
        ) from None
    pixels = pixels.reshape(shape)
    return pixels / 127.5 - 1.0

"""Data sets that the tests and tutorials use, all generated or shipped offline.

The function `shapes` shadows the module `keras_mmgan.datasets.shapes` in this namespace, so
users call `keras_mmgan.datasets.shapes(...)`; code inside the library imports from the module
path (`from keras_mmgan.datasets.shapes import ...`).
"""

from keras_mmgan.datasets.digits import digits
from keras_mmgan.datasets.folders import IMAGE_EXTENSIONS
from keras_mmgan.datasets.folders import captioned_images
from keras_mmgan.datasets.folders import find_unreadable_images
from keras_mmgan.datasets.folders import image_folder
from keras_mmgan.datasets.folders import paired_folders
from keras_mmgan.datasets.folders import side_by_side_pairs
from keras_mmgan.datasets.folders import write_images
from keras_mmgan.datasets.mixtures import MIXTURE_KINDS
from keras_mmgan.datasets.mixtures import gaussian_mixture
from keras_mmgan.datasets.mixtures import mixture_modes
from keras_mmgan.datasets.pipeline import make_dataset
from keras_mmgan.datasets.pipeline import set_epoch
from keras_mmgan.datasets.pipeline import shapes_dataset
from keras_mmgan.datasets.pipeline import unpaired_dataset
from keras_mmgan.datasets.shapes import COLORS
from keras_mmgan.datasets.shapes import POSITIONS
from keras_mmgan.datasets.shapes import SHAPES
from keras_mmgan.datasets.shapes import all_captions
from keras_mmgan.datasets.shapes import caption
from keras_mmgan.datasets.shapes import held_out_captions
from keras_mmgan.datasets.shapes import shapes
from keras_mmgan.datasets.scenes import held_out_objects
from keras_mmgan.datasets.scenes import parse_scene_caption
from keras_mmgan.datasets.scenes import scene_caption
from keras_mmgan.datasets.scenes import scenes
from keras_mmgan.datasets.text import text_vectorizer
from keras_mmgan.datasets.digits import stacked_digits
from keras_mmgan.datasets.tfds import load_tfds
from keras_mmgan.datasets.tfds import cycle_gan_preprocessing
from keras_mmgan.datasets.augmentation import augmentation
from keras_mmgan.datasets.tfds import load_cycle_gan
from keras_mmgan.datasets.translation import colorization_pairs
from keras_mmgan.datasets.translation import edge_digit_pairs
from keras_mmgan.datasets.translation import outline_pairs
from keras_mmgan.datasets.translation import unpaired

"""keras_mmgan: multi-modal GANs for Keras 3, trained with `model.fit`."""

# First: under the `keras-mmgan` command, TensorFlow is imported quietly (see the module).
from keras_mmgan import _quiet_startup  # noqa: F401  isort: skip
from keras_mmgan import backend
from keras_mmgan import callbacks
from keras_mmgan import datasets
from keras_mmgan import layers
from keras_mmgan import losses
from keras_mmgan import metrics
from keras_mmgan import models
from keras_mmgan import networks
from keras_mmgan import regularizers
from keras_mmgan import saving
from keras_mmgan import schedules
from keras_mmgan.builders import build_discriminator
from keras_mmgan.builders import build_encoder
from keras_mmgan.builders import build_gan
from keras_mmgan.builders import build_generator
from keras_mmgan.builders import build_text_encoder
from keras_mmgan.mixed_precision import precision

__version__ = "0.5.0"

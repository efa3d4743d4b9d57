"""Layers for GANs: `MinibatchStdDev` and `ImagePool` (more, e.g. `FadeIn`, come later)."""

from keras_mmgan.layers.minibatch_std import MinibatchStdDev
from keras_mmgan.layers.image_pool import ImagePool
from keras_mmgan.layers.reflection_padding import ReflectionPadding2D

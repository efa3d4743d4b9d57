"""Layers for GANs: `MinibatchStdDev`, `ImagePool`, `ReflectionPadding2D`, the discriminator
augmentations `DiffAugment` and `AdaptiveAugment`, the progressive-growing layers `FadeIn`,
`PixelNormalization`, `EqualizedDense`, `EqualizedConv2D`; the text-image fusion layers `FiLM`
(DF-GAN) and `TextImageAttention` (AttnGAN); and `find_layers`."""

from keras_mmgan.layers.minibatch_std import MinibatchStdDev
from keras_mmgan.layers.image_pool import ImagePool
from keras_mmgan.layers.diff_augment import DiffAugment
from keras_mmgan.layers.adaptive_augment import AdaptiveAugment
from keras_mmgan.layers.reflection_padding import ReflectionPadding2D
from keras_mmgan.layers.fade_in import FadeIn
from keras_mmgan.layers.pixel_normalization import PixelNormalization
from keras_mmgan.layers.equalized import EqualizedConv2D
from keras_mmgan.layers.equalized import EqualizedDense
from keras_mmgan.layers.search import find_layers
from keras_mmgan.layers.film import FiLM
from keras_mmgan.layers.text_image_attention import TextImageAttention

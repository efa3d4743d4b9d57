"""Evaluation: how well generated samples follow their conditions, and more."""

from keras_mmgan.metrics.caption_accuracy import caption_accuracy
from keras_mmgan.metrics.caption_accuracy import parse_caption
from keras_mmgan.metrics.caption_accuracy import read_shape_attributes

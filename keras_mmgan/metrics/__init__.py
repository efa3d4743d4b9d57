"""Evaluation: how well generated samples follow their conditions, and more."""

from keras_mmgan.metrics.caption_accuracy import caption_accuracy
from keras_mmgan.metrics.caption_accuracy import parse_caption
from keras_mmgan.metrics.caption_accuracy import read_shape_attributes
from keras_mmgan.metrics.classifier import classifier_accuracy
from keras_mmgan.metrics.classifier import digit_classifier
from keras_mmgan.metrics.classifier import digit_classifier_split
from keras_mmgan.metrics.classifier import digit_features
from keras_mmgan.metrics.classifier import mode_histogram_kl
from keras_mmgan.metrics.classifier import predict_labels
from keras_mmgan.metrics.classifier import stacked_digit_modes

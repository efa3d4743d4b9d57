"""Evaluation: whether samples follow their conditions, and how close they are to the data.

Condition-following: `caption_accuracy` (shapes), `scene_accuracy` (scenes of several shapes:
colour, shape, position, binding), `classifier_accuracy` with the shipped
`digit_classifier` (digits), `stacked_digit_modes` + `mode_histogram_kl` (Stacked MNIST),
`mode_coverage` (2D Gaussian mixtures).
Distribution distances on features (`extract_features` with `inception_extractor()` online or
`digit_extractor()` offline): `frechet_distance` (FID), `kernel_distance` (KID),
`inception_score`, `precision_recall`, `density_coverage`.
Streaming FID as a `keras.metrics.Metric`, for `evaluate` and custom loops: `FrechetDistance`.
"""

from keras_mmgan.metrics.caption_accuracy import caption_accuracy
from keras_mmgan.metrics.caption_accuracy import parse_caption
from keras_mmgan.metrics.caption_accuracy import read_shape_attributes
from keras_mmgan.metrics.caption_accuracy import read_shapes
from keras_mmgan.metrics.scene_accuracy import read_scene_objects
from keras_mmgan.metrics.scene_accuracy import scene_accuracy
from keras_mmgan.metrics.classifier import classifier_accuracy
from keras_mmgan.metrics.classifier import digit_classifier
from keras_mmgan.metrics.classifier import digit_classifier_split
from keras_mmgan.metrics.classifier import digit_extractor
from keras_mmgan.metrics.classifier import digit_features
from keras_mmgan.metrics.classifier import mode_histogram_kl
from keras_mmgan.metrics.classifier import predict_labels
from keras_mmgan.metrics.classifier import stacked_digit_modes
from keras_mmgan.metrics.features import extract_features
from keras_mmgan.metrics.features import inception_extractor
from keras_mmgan.metrics.features import iterate_features
from keras_mmgan.metrics.features import score_protocol
from keras_mmgan.metrics.fid import FeatureStatistics
from keras_mmgan.metrics.fid import frechet_distance
from keras_mmgan.metrics.fid import frechet_distance_from_statistics
from keras_mmgan.metrics.inception_score import inception_score
from keras_mmgan.metrics.keras_metrics import FrechetDistance
from keras_mmgan.metrics.kid import kernel_distance
from keras_mmgan.metrics.mode_coverage import mode_coverage
from keras_mmgan.metrics.precision_recall import density_coverage
from keras_mmgan.metrics.precision_recall import precision_recall

"""keras.io-style references that `throughput.py` times the library against, one module per example.

Each is the train_step of the keras.io example (Keras 3 version), with three deliberate changes
so that it computes the library's math and the first-step losses can be compared: (1) real
images are labelled 1 (keras.io labels fakes 1, the mirror image); (2) keras.io's label noise
(`labels += 0.05 * uniform`) is left out; (3) networks are called with an explicit `training=`
flag (keras.io calls them without one, which in Keras 3 runs BatchNormalization in inference
mode). D losses are the sum of the real and the fake means, as the library's, i.e. twice
keras.io's mean over the concatenated batch.
"""

from references.keras_io_conditional_gan import KerasIOConditionalGAN
from references.keras_io_cycle_gan import KerasIOCycleGAN
from references.keras_io_cycle_gan import KerasIOCycleGANExact
from references.keras_io_dcgan import KerasIODCGAN
from references.keras_io_text_to_image import KerasIOTextToImageGAN

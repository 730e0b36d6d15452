"""MaxNumBoundingBoxes (keras/src/layers/preprocessing/image_preprocessing/
max_num_bounding_box.py, max_num_bounding_box_test.py) against Keras 3: boxes and
labels padded and truncated as Keras does them, images untouched, the missing
bounding_box_format refused as Keras refuses it, identity on images alone and in
a model, config, save/load and bad arguments."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

IMAGES = np.random.default_rng(3).uniform(0, 255, (2, 6, 7, 3)).astype(np.float32)
BOXES = {"boxes": np.array([[[10, 20, 100, 150], [50, 60, 200, 250], [0, 0, 50, 50]],
                            [[1, 2, 3, 4], [5, 6, 7, 8], [9, 9, 9, 9]]], np.float32),
         "labels": np.array([[1, 2, 3], [4, 5, 6]])}


@pytest.mark.parametrize("max_number, fill", [(5, -1), (2, -1), (3, 0), (0, -1)])
def test_matches_keras(max_number, fill):
    keras = keras_or_skip()
    kw = dict(max_number=max_number, fill_value=fill, bounding_box_format="xyxy")
    want = keras.layers.MaxNumBoundingBoxes(**kw)({"images": IMAGES, "bounding_boxes": BOXES})
    got = layers.MaxNumBoundingBoxes(**kw)({"images": IMAGES, "bounding_boxes": BOXES})
    for k in ("boxes", "labels"):
        np.testing.assert_array_equal(got["bounding_boxes"][k],
                                      keras.ops.convert_to_numpy(want["bounding_boxes"][k]))
    np.testing.assert_array_equal(np.asarray(got["images"]), IMAGES)
    assert BOXES["boxes"].shape == (2, 3, 4)  # the input dict is not changed


def test_refusals_identity_and_config(tmp_path):
    with pytest.raises(ValueError, match="bounding box format"):
        layers.MaxNumBoundingBoxes(3)({"images": IMAGES, "bounding_boxes": BOXES})
    with pytest.raises(KeyError, match="unsupported keys"):
        layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(
            {"images": IMAGES, "bounding_boxes": {**BOXES, "scores": BOXES["labels"]}})
    with pytest.raises(ValueError, match=r"boxes \(batch, n, 4\)"):
        layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(
            {"images": IMAGES, "bounding_boxes": {"boxes": BOXES["boxes"][..., :3],
                                                  "labels": BOXES["labels"]}})
    for bad in ({"max_number": -1}, {"max_number": 2.5},
                {"max_number": 2, "bounding_box_format": "xy"}):
        with pytest.raises(ValueError):
            layers.MaxNumBoundingBoxes(**bad)
    layer = layers.MaxNumBoundingBoxes(4, fill_value=-2, bounding_box_format="yxyx")
    np.testing.assert_array_equal(layer(IMAGES).numpy(), IMAGES)
    twin = layers.MaxNumBoundingBoxes.from_config(layer.get_config())
    assert (twin.max_number, twin.fill_value, twin.bounding_box_format) == (4, -2, "yxyx")
    model = pynn.Sequential([pynn.Input(shape=IMAGES.shape[1:]), layer])
    path = str(tmp_path / "boxes.keras")
    model.save(path)
    np.testing.assert_array_equal(pynn.load_model(path).predict(IMAGES, verbose=0), IMAGES)

"""MaxNumBoundingBoxes (keras/src/layers/preprocessing/image_preprocessing/
max_num_bounding_box.py): pads or cuts the bounding boxes of a detection batch
``{"images", "bounding_boxes": {"boxes", "labels"}}`` to a fixed number, so that
batches stack. It works on a data pipeline's batches, in NumPy; images pass
through unchanged (also inside a model, where it is the identity)."""
import numpy as np

from .base import Layer

_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
            "rel_xywh", "rel_center_xywh")


class MaxNumBoundingBoxes(Layer):
    """Pads (with ``fill_value``) or truncates bounding boxes to ``max_number`` per image.

    As Keras: on a dict ``{"images": ..., "bounding_boxes": {"boxes": (batch, n,
    4), "labels": (batch, n)}}`` the boxes and labels become ``(batch,
    max_number, 4)`` and ``(batch, max_number)``, the images (and any other
    entry) unchanged; Keras requires ``bounding_box_format`` for such a dict, and
    so does pynn. On images alone it is the identity.

    Parameters
    ----------
    max_number : int
        Boxes per image in the output.
    fill_value : int, default -1
        The padding of boxes and labels.
    bounding_box_format : str, optional
        The boxes' format (e.g. "xyxy"); the boxes are not converted.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A bad max_number or format, a dict with bounding boxes but no
        ``bounding_box_format``, or boxes / labels of the wrong shape.
    KeyError
        Keys of ``bounding_boxes`` other than "boxes" and "labels".

    Examples
    --------
    >>> layer = pynn.layers.MaxNumBoundingBoxes(4, bounding_box_format="xyxy")
    >>> out = layer({"images": np.zeros((1, 8, 8, 3), np.float32),
    ...              "bounding_boxes": {"boxes": np.array([[[1, 2, 3, 4]]], np.float32),
    ...                                 "labels": np.array([[7]])}})
    >>> out["bounding_boxes"]["boxes"].shape, out["bounding_boxes"]["labels"].tolist()
    ((1, 4, 4), [[7, -1, -1, -1]])
    """

    _one_input = True

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_number, bool) or not isinstance(max_number, (int, np.integer)) \
                or max_number < 0:
            raise ValueError(f"MaxNumBoundingBoxes: `max_number` must be an int >= 0, received "
                             f"max_number={max_number!r}")
        if bounding_box_format is not None and bounding_box_format not in _FORMATS:
            raise ValueError(f"MaxNumBoundingBoxes: `bounding_box_format` must be one of "
                             f"{list(_FORMATS)}, received {bounding_box_format!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"MaxNumBoundingBoxes: only data_format='channels_last' is "
                             f"supported, received data_format={data_format!r}")
        self.max_number, self.fill_value = int(max_number), int(fill_value)
        self.bounding_box_format = bounding_box_format

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, dict) and "bounding_boxes" in inputs:
            return self._pad_boxes(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def _pad_boxes(self, data):
        who = f"MaxNumBoundingBoxes '{self.name}'"
        if not self.bounding_box_format:
            raise ValueError(f"{who}: You passed an input with a 'bounding_boxes' key, but you "
                             f"didn't specify a bounding box format. Pass a "
                             f"`bounding_box_format` argument, e.g. bounding_box_format='xyxy'.")
        boxes_in = data["bounding_boxes"]
        extra = set(boxes_in) - {"boxes", "labels"}
        if extra:
            raise KeyError(f"There are unsupported keys in `bounding_boxes`: {sorted(extra)}. "
                           f"Only `boxes` and `labels` are supported.")
        boxes, labels = np.asarray(boxes_in["boxes"]), np.asarray(boxes_in["labels"])
        if boxes.ndim != 3 or boxes.shape[-1] != 4 or labels.shape != boxes.shape[:2]:
            raise ValueError(f"{who}: expected boxes (batch, n, 4) and labels (batch, n), got "
                             f"{boxes.shape} and {labels.shape}")
        pad = max(self.max_number - boxes.shape[1], 0)
        boxes = np.pad(boxes[:, :self.max_number], ((0, 0), (0, pad), (0, 0)),
                       constant_values=self.fill_value)
        labels = np.pad(labels[:, :self.max_number], ((0, 0), (0, pad)),
                        constant_values=self.fill_value)
        out = dict(data)
        out["bounding_boxes"] = {**boxes_in, "boxes": boxes, "labels": labels}
        return out

    def call(self, inputs, training=False):
        return inputs  # images pass through

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update(max_number=self.max_number, fill_value=self.fill_value,
                   bounding_box_format=self.bounding_box_format, data_format="channels_last")
        return cfg

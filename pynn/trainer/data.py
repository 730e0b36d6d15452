"""The trainer's data handling: NumPy inputs, targets and sample weights checked
against the model and converted once, before the compiled loop sees them (Keras 3
keeps this in its data adapters)."""
import operator

import numpy as np

from .. import losses as losses_mod
from ..data_adapter import as_float_array, check_finite, class_weights_to_sample_weights


def batch_size_arg(batch_size, what):
    """batch_size as a positive int (Keras' default 32 for None): 0 or a negative
    value would divide by zero or plan nothing, so they are refused here."""
    if batch_size is None:
        return 32
    try:
        b = operator.index(batch_size)
    except TypeError:
        raise TypeError(f"{what}: batch_size must be an integer, got "
                        f"{type(batch_size).__name__} {batch_size!r}") from None
    if b < 1:
        raise ValueError(f"{what}: batch_size must be a positive integer, got {b}")
    # A batch larger than the data is one batch of all of it (Keras), so any value
    # above what an array can hold means the same; capping keeps 10**20 from reaching
    # the C loop's int64 as an OverflowError.
    return min(b, 2 ** 62)


def prepare_x(model, x):
    """One float32 array per model input, checked against the model (which builds
    from them when it has no input shape yet)."""
    if x is None:
        raise ValueError(f"Model '{model.name}' needs input data: x is None")
    raw = model._split_inputs(x)
    if model._host_stage is None and not model.built:
        model._build_from_raw(raw)  # a Sequential starting with preprocessing layers
    if model._host_stage is not None:
        raw = model._host_stage.run(raw)  # strings, categories -> the engine's numbers
    xs = [as_float_array(a, "x") for a in raw]
    if any(a.ndim == 0 for a in xs):
        raise ValueError("x must have a batch axis; got a scalar")
    model._ensure_built([a.shape for a in xs])
    if hasattr(model, "_input_shapes"):  # not a model that only says built=True (a GAN's)
        xs = model._adjust_rank(xs)
        model._check_x_shapes([a.shape for a in xs])
    for a in xs:
        check_finite(a, "x")
    n = xs[0].shape[0]
    if any(a.shape[0] != n for a in xs):
        raise ValueError(f"All inputs must have the same number of samples; got "
                         f"{[a.shape[0] for a in xs]}")
    return xs


def prepare_ys(model, y, n, what="y"):
    """One float32 target array per output (y: an array, a list in output order
    or a dict keyed by output name)."""
    k = model._n_outputs()
    if y is None and all(lf is None for lf in model._output_losses()):
        # no compiled loss (add_loss / compute_loss make it): no targets are needed; a
        # zero column fills the label slot of the traced program
        return [np.zeros((n, 1), np.float32) for _ in range(k)]
    if y is None:
        raise ValueError(f"fit/evaluate need targets: {what} is None")
    if k == 1:
        return [prepare_y(model, y, n, what, 0)]
    if isinstance(y, dict):
        names = model._output_names()
        missing = [nm for nm in names if nm not in y]
        if missing:
            raise ValueError(f"{what}: no targets for output(s) {missing}")
        y = [y[nm] for nm in names]
    with_loss = [i for i, lf in enumerate(model._output_losses()) if lf is not None]
    if not isinstance(y, (list, tuple)) and len(with_loss) == 1:
        # Keras: the one target goes to the one output compiled with a loss
        # (loss=[loss_fn, None]); the others get the zero column of a label slot
        return [prepare_y(model, y, n, what, i) if i in with_loss
                else np.zeros((n, 1), np.float32) for i in range(k)]
    if not isinstance(y, (list, tuple)) or len(y) != k:
        raise ValueError(f"{what}: the model has {k} outputs; pass a list of {k} target arrays "
                         f"or a dict keyed by {model._output_names()}")
    return [prepare_y(model, a, n, f"{what}[{i}]", i) for i, a in enumerate(y)]


def prepare_y(model, y, n, what="y", output=0):
    y = as_float_array(y, what)
    if y.ndim == 0 or y.shape[0] != n:
        raise ValueError(f"{what} has {y.shape[0] if y.ndim else 0} samples but x has {n}")
    check_finite(y, what)
    pred_shape = model._output_shapes()[output]
    if isinstance(model._output_losses()[output], losses_mod.SparseCategoricalCrossentropy):
        n_classes = pred_shape[-1]
        labels = y.reshape(n, -1)
        # one label per prediction: per sample, or per time step of a sequence output (of
        # any number of steps when its length is None: the batch's own, checked when run)
        steps = None if any(d is None for d in pred_shape[1:-1]) else \
            int(np.prod(pred_shape[1:-1] or [1]))
        if steps is not None and labels.shape[1] not in (1, steps):
            hint = (f": these look one-hot, so use loss='categorical_crossentropy' (or "
                    f"{what}.argmax(axis=-1))" if y.shape[-1] == n_classes else "")
            raise ValueError(f"sparse_categorical_crossentropy expects one integer label per "
                             f"sample; got {what} of shape {y.shape}{hint}")
        bad = (labels < 0) | (labels >= n_classes) | (labels != np.round(labels))
        ignore = model._output_losses()[output].ignore_class
        if ignore is not None:  # the ignored class may lie outside [0, n_classes) (-1)
            bad &= labels != ignore
        if bad.any():
            i = int(np.argmax(bad.ravel()))
            raise ValueError(f"{what}[{i}] = {labels.ravel()[i]:g} is not a class index in "
                             f"[0, {n_classes}) (the model outputs {n_classes} classes)")
    elif (isinstance(model._output_losses()[output], losses_mod.CategoricalCrossentropy)
          and pred_shape[-1] > 1 and (y.ndim < len(pred_shape) or y.shape[-1] == 1)):
        k = pred_shape[-1]
        raise ValueError(f"categorical_crossentropy expects one-hot targets of shape (n, {k}); "
                         f"got {what} of shape {y.shape}, integer labels: use "
                         f"loss='sparse_categorical_crossentropy', or one-hot encode them with "
                         f"keras.utils.to_categorical({what}, {k})")
    else:
        check_target_shape(model, y, what, output, pred_shape)
    return y


def check_target_shape(model, y, what, output, pred_shape):
    """The engine's loss ops take targets of the prediction's shape, up to a trailing
    axis of 1. Checked here, on the arrays the user passed, so that the error names
    their shapes and the declared output (as Keras: target.shape=(100, 3),
    output.shape=(None, 1)) rather than the batch of one the program is traced on.
    User loss functions (FunctionLoss, Loss subclasses) may accept other shapes."""
    lf = model._output_losses()[output]
    if type(lf) not in set(losses_mod._ALIASES.values()) or getattr(lf, "targets_unlike_output",
                                                                      False):
        return
    t, p = tuple(y.shape[1:]), tuple(pred_shape[1:])

    def same(a, b):
        return len(a) == len(b) and all(d is None or d == e for d, e in zip(b, a))

    if (same(t, p) or (len(t) == len(p) + 1 and t[-1] == 1 and same(t[:-1], p))
            or (len(p) == len(t) + 1 and p[-1] == 1 and same(t, p[:-1]))):
        return
    out = f" {model._output_names()[output]!r}" if model._n_outputs() > 1 else ""
    raise ValueError(
        f"{lf.name}: the targets {what} do not fit the model's output{out}: "
        f"target.shape={tuple(y.shape)}, output.shape={tuple(pred_shape)} (they must be "
        f"the same per sample, up to a trailing axis of 1)")


def sample_weights(model, y, n, sample_weight, class_weight):
    w = np.ones(n, np.float32)
    if sample_weight is not None:
        sw = as_float_array(sample_weight, "sample_weight").reshape(-1)
        if sw.shape[0] != n:
            raise ValueError(f"sample_weight has {sw.shape[0]} values for {n} samples")
        check_finite(sw, "sample_weight")
        w = sw  # used in place (a PyDataset's weights are refilled there each epoch)
    if class_weight is not None:
        if not y:
            raise ValueError("class_weight needs the targets y to weigh samples by their class")
        if len(y) > 1:
            raise ValueError("class_weight is only supported for models with one output")
        w = w * class_weights_to_sample_weights(y[0], class_weight)
    return np.ascontiguousarray(w, np.float32)


def unpack_validation(model, validation_data):
    """(xs, ys, sample weights) of fit's validation_data, checked as fit's own data."""
    from ..dataset import ArrayDataset
    from ..py_dataset import PyDataset, read_epoch
    if isinstance(validation_data, ArrayDataset):  # keras.utils.*_dataset_from_*: its arrays
        validation_data = validation_data.arrays()
    if isinstance(validation_data, PyDataset):
        # its batches joined, read once per fit (the same numbers as Keras' evaluation batch
        # by batch, for a dataset whose batches do not change between epochs)
        vx, vy, vw, _ = read_epoch(validation_data, "fit validation_data")
        if vy is None:
            raise ValueError("fit: the validation_data PyDataset returns batches without "
                             "targets; its __getitem__ must return (x, y) or (x, y, w)")
        validation_data = (vx, vy) if vw is None else (vx, vy, vw)
    if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
        raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                         "(x_val, y_val, val_sample_weight), or a PyDataset")
    vx = prepare_x(model, validation_data[0])
    vn = vx[0].shape[0]
    vy = prepare_ys(model, validation_data[1], vn, "y_val")
    vw = sample_weights(model, vy, vn, validation_data[2] if len(validation_data) == 3 else None,
                              None)
    return vx, vy, vw

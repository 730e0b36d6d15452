"""What pynn accepts from an HDF5 file someone else wrote (Keras' model.weights.h5
and legacy .h5 models): only what Keras writes. HDF5 can make a dataset read its
values from another file on disk (external storage, virtual datasets) and a link
open another file (external links) or loop (soft links); reading such a file would
load bytes from outside it as weights. They are refused, with the file named, before
any weight is read; so are weights that are not plain real numbers."""
import numpy as np

from .keras_file import _fail


def check_links_and_storage(path, h5):
    """Refuses external / soft links and datasets stored outside the file."""
    import h5py
    bad = []

    def visit(name, link):
        if isinstance(link, (h5py.ExternalLink, h5py.SoftLink)):
            bad.append(f"{name!r} is an HDF5 {type(link).__name__}")
            return None
        obj = h5.get(name)
        if isinstance(obj, h5py.Dataset) and (obj.external or obj.is_virtual):
            bad.append(f"dataset {name!r} keeps its values outside the file "
                       f"({'external storage' if obj.external else 'a virtual dataset'})")
        return None

    h5.visititems_links(visit)
    if bad:
        _fail(path, f"the HDF5 weights refer outside the file: {bad[0]} (Keras never writes "
                    f"these; pynn reads weights stored in the file only)")


def read_weight(path, d, shape, what):
    """The float32 values of dataset d, which must be real numbers of the given shape."""
    import h5py
    if not isinstance(d, h5py.Dataset):
        _fail(path, f"{what} is a {type(d).__name__}, not an array of weights")
    if tuple(d.shape) != tuple(shape):
        _fail(path, f"{what} has shape {tuple(d.shape)} in the file, pynn expects {tuple(shape)}")
    if d.dtype.kind not in "fiub":
        _fail(path, f"{what} has dtype {d.dtype}; weights must be real numbers")
    try:
        return np.asarray(d[()], dtype=np.float32)  # the size was checked above
    except (OSError, ValueError, TypeError, RuntimeError) as e:
        _fail(path, f"{what} cannot be read ({type(e).__name__}: {e}); the file is damaged")

"""pynn.ops.image_perspective: ``keras.ops.image.perspective_transform``, the projective
warp taking four start points to four end points, as Keras 3 does: the homography
solved from the point pairs, then `affine_transform`'s projective sampling with a
constant fill (engine ops: differentiable in the images, traceable)."""
import numpy as np

from .. import _C
from .image_sampling import affine_transform

__all__ = ["perspective_transform"]


def _points(name, p):
    p = np.asarray(p.numpy() if isinstance(p, _C.Tensor) else p, np.float64)
    if p.ndim not in (2, 3) or p.shape[-2:] != (4, 2):
        raise ValueError(f"perspective_transform: {name} must be (4, 2) for a single image or "
                         f"(N, 4, 2) for a batch; received shape {p.shape}")
    return p.reshape(-1, 4, 2)


def _homography(start, end):
    """The 8 coefficients mapping each end point (output pixel) to its start point."""
    out = []
    for s, e in zip(start, end):
        rows, rhs = [], []
        for (sx, sy), (ex, ey) in zip(s, e):
            rows.append([ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey])
            rows.append([0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey])
            rhs += [sx, sy]
        try:
            out.append(np.linalg.solve(np.array(rows), np.array(rhs)))
        except np.linalg.LinAlgError:
            raise ValueError("perspective_transform: the points give no homography (three of "
                             "the start or end points are on one line)") from None
    return np.array(out, np.float32)


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warps images so that four start points land on four end points
    (``keras.ops.image.perspective_transform``).

    Parameters
    ----------
    images : Tensor or array_like
        ``(H, W, C)`` or ``(N, H, W, C)`` (channels first with ``data_format``).
    start_points : array_like
        ``(4, 2)`` or ``(N, 4, 2)`` ``(x, y)`` points of the input.
    end_points : array_like
        Where they go in the output, the same shape.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    fill_value : float, default 0
        The value of output pixels that come from outside the input.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor
        The images' shape; the gradient reaches the images (the points are used by
        value).

    Raises
    ------
    ValueError
        Points not ``(4, 2)`` / ``(N, 4, 2)``, start and end shapes that differ,
        points without a homography, a bad image rank or interpolation.

    Examples
    --------
    >>> x = np.arange(9, dtype=np.float32).reshape(3, 3, 1)
    >>> pts = np.array([[0, 0], [2, 0], [0, 2], [2, 2]], np.float32)
    >>> pynn.ops.image.perspective_transform(x, pts, pts + [1, 0])[..., 0].numpy()
    array([[0., 0., 1.],
           [0., 3., 4.],
           [0., 6., 7.]], dtype=float32)
    """
    start, end = _points("start_points", start_points), _points("end_points", end_points)
    if np.shape(start_points) != np.shape(end_points):
        raise ValueError(f"perspective_transform: start_points and end_points must have the same "
                         f"shape; received {np.shape(start_points)} and {np.shape(end_points)}")
    transform = _homography(start, end)
    return affine_transform(images, transform if len(transform) > 1 else transform[0],
                            interpolation=interpolation, fill_mode="constant",
                            fill_value=fill_value, data_format=data_format)

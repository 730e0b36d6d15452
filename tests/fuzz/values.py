"""Hostile values as plain, printable specs (Hypothesis strategies draw specs,
`make` turns a spec into the object at call time), so every case prints as a
reproducer and drawing stays cheap."""
import numpy as np
from hypothesis import strategies as st

# ---------------------------------------------------------------- scalars / attributes
HUGE_INTS = [2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 62, 2 ** 63 - 1, -2 ** 63, 2 ** 64, 10 ** 20,
             -2 ** 31]
ODD_FLOATS = [float("nan"), float("inf"), -float("inf"), 1e300, -1e-300, 0.5, -0.0, 1e-45]
ODD_OBJECTS = [None, "", "same", "valid", "causal", "nearest", "relu", "x" * 300, b"bytes",
               True, False, [], (), {}, [None], object, 1j]


def rare(common, hostile, one_in=8):
    """`common` most of the time, `hostile` about once in `one_in` draws (a
    static one_of: flatmap would build and validate strategies on every draw)."""
    return st.one_of([common] * (one_in - 1) + [hostile])


small_int = st.integers(-3, 6)
any_int = rare(small_int, st.sampled_from(HUGE_INTS) | st.integers(-2 ** 70, 2 ** 70))
any_float = rare(st.floats(-3, 3, allow_nan=False), st.sampled_from(ODD_FLOATS))
int_tuple = st.lists(any_int, min_size=0, max_size=4).map(tuple)
attr = rare(st.one_of(small_int, int_tuple, st.sampled_from([None, -1, 0, 1, 2])),
            st.one_of(any_int, any_float, st.sampled_from(ODD_OBJECTS),
                      st.lists(st.lists(any_int, max_size=3).map(tuple), max_size=3).map(tuple)),
            one_in=4)


def like_default(default):
    """A value of the kind of a parameter's default, hostile now and then."""
    if isinstance(default, bool):
        return rare(st.booleans(), st.sampled_from([0, 2, "yes", None, np.bool_(True)]))
    if isinstance(default, int):
        return any_int
    if isinstance(default, float):
        return any_float
    if isinstance(default, str):
        return rare(st.just(default), st.sampled_from(ODD_OBJECTS) | st.text(max_size=12), 3)
    if isinstance(default, tuple):
        return rare(st.just(default), int_tuple | attr, 3)
    return rare(st.just(default), attr, 3)


# ---------------------------------------------------------------- arrays
DTYPES = ["float32", "float32", "float32", "float64", "float16", "int8", "int32", "int64",
          "uint8", "bool", "complex64", "object", "<U3", "S2", "datetime64[s]"]
FILLS = ["randn", "randn", "randn", "zeros", "ones", "ints", "nan", "inf", "huge", "mixed"]
LAYOUTS = ["C", "C", "C", "C", "F", "strided", "readonly", "readonly_memmap", "unaligned"]
# things that are not arrays at all
NON_ARRAYS = ["bytes", "str", "none", "int", "float", "ragged", "nested_list", "dict",
              "huge_int", "memoryview", "tensor_of_tensor"]


class ArraySpec:
    def __init__(self, shape, dtype="float32", fill="randn", layout="C", seed=0):
        self.shape, self.dtype, self.fill, self.layout, self.seed = \
            tuple(shape), dtype, fill, layout, seed

    def __repr__(self):
        extra = "" if (self.dtype, self.fill, self.layout) == ("float32", "randn", "C") else \
            f", {self.dtype!r}, {self.fill!r}, {self.layout!r}"
        return f"A({self.shape}{extra})"

    def make(self, ctx):
        n = int(np.prod(self.shape)) if self.shape else 1
        rng = np.random.default_rng(self.seed)
        if n > 1 << 22:  # never allocate big: a zero-size array keeps its huge dims
            return np.zeros(self.shape, np.float32) if 0 in self.shape else \
                np.zeros((1,) * len(self.shape), np.float32)
        fill = self.fill
        if fill == "zeros":
            base = np.zeros(n)
        elif fill == "ones":
            base = np.ones(n)
        elif fill == "ints":
            base = rng.integers(-3, 10, n).astype(np.float64)
        elif fill == "nan":
            base = np.full(n, np.nan)
        elif fill == "inf":
            base = np.where(rng.random(n) < .5, np.inf, -np.inf)
        elif fill == "huge":
            base = rng.choice([3e38, -3e38, 1e300, 2.0 ** 70, 1e-40], n)
        elif fill == "mixed":
            base = rng.choice([0.0, 1.0, -1.0, np.nan, np.inf, 1e30, 2.0 ** 24 + 1], n)
        else:
            base = rng.standard_normal(n)
        with np.errstate(all="ignore"):
            if self.dtype == "object":
                arr = np.empty(n, object)
                arr[:] = list(base)
            elif self.dtype.startswith("datetime"):
                arr = np.arange(n).astype(self.dtype)
            elif self.dtype in ("<U3", "S2"):
                arr = np.array([str(v)[:2] for v in base], self.dtype)
            else:
                arr = base.astype(self.dtype)
        arr = arr.reshape(self.shape)
        if self.layout == "F":
            arr = np.asfortranarray(arr)
        elif self.layout == "strided" and arr.ndim:
            wide = np.repeat(arr, 2, axis=-1)
            arr = wide[..., ::2]
        elif self.layout == "readonly":
            arr.flags.writeable = False
        elif self.layout == "readonly_memmap":
            arr = ctx.readonly_memmap(np.ascontiguousarray(arr))
        elif self.layout == "unaligned" and arr.dtype.kind in "fiub" and arr.size:
            raw = np.zeros(arr.nbytes + 1, np.uint8)
            un = raw[1:].view(arr.dtype).reshape(arr.shape)
            un[...] = arr
            arr = un
        return arr


class NonArray:
    def __init__(self, kind):
        self.kind = kind

    def __repr__(self):
        return f"N({self.kind!r})"

    def make(self, ctx):
        import pynn
        return {"bytes": b"\x00\x01\x02\x03", "str": "abc", "none": None, "int": 3,
                "float": 2.5, "ragged": [[1.0, 2.0], [3.0]], "nested_list": [[1, 2], [3, 4]],
                "dict": {"a": 1}, "huge_int": 2 ** 80, "memoryview": memoryview(b"abcd"),
                "tensor_of_tensor": pynn.Tensor(np.ones((2, 2), np.float32))}[self.kind]


_DIM = rare(st.integers(1, 5), st.sampled_from([0, 0, 1, 2 ** 20, 2 ** 31, 2 ** 40]), 10)
_DIMS = {(r, h): st.lists(_DIM if h else st.integers(1, 5), min_size=0, max_size=r)
         for r in range(6) for h in (False, True)}
_SEED = st.integers(0, 99)
_DTYPE, _FILL, _LAYOUT = st.sampled_from(DTYPES), st.sampled_from(FILLS), st.sampled_from(LAYOUTS)
_NON_ARRAY = st.sampled_from(NON_ARRAYS)
_ONE_IN_15 = st.integers(0, 14)
_ONE_IN_3 = st.integers(0, 2)


def _dims(max_rank=4, hostile=True):
    return _DIMS[(max_rank, hostile)]


@st.composite
def arrays(draw, max_rank=4, hostile=True, shape=None):
    """An ArraySpec (mostly well-formed float32 of small shape: the valid path
    must be exercised too) or, now and then, a non-array."""
    if hostile and draw(_ONE_IN_15) == 0:
        return NonArray(draw(_NON_ARRAY))
    dims = list(shape) if shape is not None else draw(_dims(max_rank, hostile))
    if not hostile or draw(_ONE_IN_3):
        return ArraySpec(dims, seed=draw(_SEED))
    return ArraySpec(dims, draw(_DTYPE), draw(_FILL), draw(_LAYOUT), draw(_SEED))


def make(value, ctx):
    """Materialises specs inside lists/tuples/dicts."""
    if isinstance(value, (ArraySpec, NonArray)):
        return value.make(ctx)
    if isinstance(value, list):
        return [make(v, ctx) for v in value]
    if isinstance(value, tuple):
        return tuple(make(v, ctx) for v in value)
    if isinstance(value, dict):
        return {k: make(v, ctx) for k, v in value.items()}
    return value

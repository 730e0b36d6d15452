"""Encrypted inference: a trained Dense model evaluated on CKKS-encrypted inputs (TenSEAL).

``pip install pynn[he]`` (or ``pip install tenseal``); TenSEAL is imported only
when a context is made.

The client encrypts a sample under its secret key and sends the ciphertext
with a *public* context (no secret key); the server computes the model on the
ciphertext; the client decrypts the logits and applies the output activation
in the clear::

    he_model = pynn.privacy.he.HEModel(model, x_calibration, degree=2)
    client = pynn.privacy.he.HEClient(he_model)            # holds the secret key
    reply = he_model.serve(client.public_context(), client.encrypt(x[0]))   # server side
    probabilities = client.decrypt(reply)

CKKS adds and multiplies, so every hidden activation is replaced by a
polynomial: ``activation="square"`` (CryptoNets, Gilad-Bachrach et al. 2016)
or a least-squares fit of degree ``degree`` of the layer's own activation over
the range of pre-activations observed on calibration data (the fit error is
in ``approximation``). ``predict_plain`` runs the same polynomial model in
NumPy: decrypted outputs match it up to CKKS noise, and its accuracy against
the original model is the price of the approximation.

Biases ride in the matrix products: the client appends a constant slot to the
input, every layer's matrix carries its bias in that slot's row and passes the
constant on, so the ciphertext only ever sees ``mm`` and ``polyval`` (TenSEAL
mis-evaluates a product after adding a plain vector to an ``mm`` result).

Depth: each Dense costs one multiplicative level, a degree-d polynomial
``ceil(log2 d) + 1`` (a square 1). Parameters are chosen from the depth:
poly_modulus_degree 8192 holds 2 levels, 16384 holds 7 (40-bit scale,
128-bit security by the SEAL/HE-standard bounds); deeper models get a clear
error naming the limit.
"""
import math
import numbers

import numpy as np

__all__ = ["HEModel", "HEClient"]

_MISSING = "pynn.privacy.he needs TenSEAL: pip install tenseal (or pip install pynn[he])"
# (poly_modulus_degree, largest total coeff-modulus bits for 128-bit security)
_RINGS = ((8192, 218), (16384, 438))
_SCALE_BITS, _EDGE_BITS = 40, 60


def _ts():
    try:
        import tenseal
    except ImportError as e:
        raise ImportError(_MISSING) from e
    return tenseal


def _is_identity(coeffs):
    return len(coeffs) == 2 and coeffs[0] == 0 and coeffs[1] == 1


def _poly_levels(coeffs):
    d = len(coeffs) - 1
    if _is_identity(coeffs):
        return 0  # a linear hidden layer: nothing to evaluate
    if d <= 1:
        return 1 if d == 1 else 0
    if d == 2 and coeffs[0] == 0 and coeffs[1] == 0 and coeffs[2] == 1:
        return 1  # a bare square
    return math.ceil(math.log2(d)) + 1


def _activation_fn(name, what):
    import pynn
    fn = pynn.activations.get(name)

    def apply(z):
        return np.asarray(fn(pynn.Tensor(np.asarray(z, np.float32))).numpy(), np.float64)
    return apply


class HEModel:
    """A trained Dense-only model prepared for CKKS-encrypted inference (the server's side).

    Parameters
    ----------
    model : Model
        A built pynn Sequential of Dense layers (Dropout and Input are allowed;
        Dropout is the identity at inference).
    calibration_x : array_like
        Inputs whose hidden pre-activations set each polynomial's range (e.g. the
        training inputs).
    degree : int, default 2
        Degree of the least-squares fit of each hidden activation.
    activation : {"fit", "square"}, default "fit"
        "fit": the layer's own activation approximated on its observed range;
        "square": x**2 for every hidden layer (the model should be trained with
        it, as CryptoNets).
    margin : float, default 0.1
        The fit range is widened by this fraction on both sides, for inputs a
        little outside the calibration data.

    Attributes
    ----------
    approximation : list of dict
        Per hidden layer: the layer, its activation, the range, the polynomial
        coefficients (lowest degree first) and the largest absolute error of the
        fit over the range and on the calibration pre-activations.
    levels : int
        Multiplicative depth needed.
    poly_modulus_degree : int
        The CKKS ring dimension chosen for that depth.

    Raises
    ------
    TypeError
        Not a pynn Model.
    ValueError
        A layer that is not Dense / Dropout, a depth beyond the supported
        parameters, or a bad degree.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(4, activation="tanh"),
    ...                          pynn.layers.Dense(2, activation="softmax")])
    >>> x = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    >>> he_model = pynn.privacy.he.HEModel(model, x, degree=3)
    >>> he_model.levels, he_model.poly_modulus_degree
    (5, 16384)
    >>> he_model.approximation[0]["max_error_calibration"] < 0.05
    True
    """

    def __init__(self, model, calibration_x, degree=2, activation="fit", margin=0.1):
        import pynn
        if not isinstance(model, pynn.Model):
            raise TypeError(f"HEModel: model must be a pynn Model, got {type(model).__name__}")
        if isinstance(degree, bool) or not isinstance(degree, numbers.Integral) or not 1 <= degree <= 8:
            raise ValueError(f"HEModel: degree must be an integer in [1, 8], got {degree!r}")
        if activation not in ("fit", "square"):
            raise ValueError(f"HEModel: activation must be 'fit' or 'square', got {activation!r}")
        model.get_weights()  # a clear error for a model that is not built
        self.layers = []  # (name, W, b, activation name)
        for layer in model.layers:
            kind = type(layer).__name__
            if kind in ("InputLayer", "Dropout"):
                continue
            if kind != "Dense":
                raise ValueError(f"HEModel: layer {layer.name!r} is a {kind}; encrypted inference "
                                 f"supports Dense layers only (and Dropout, the identity at inference)")
            w = np.asarray(layer.kernel, np.float64)
            b = np.asarray(layer.bias, np.float64) if layer.use_bias else np.zeros(w.shape[1])
            act = layer.get_config()["activation"]
            act = act if isinstance(act, str) else act.get("class_name", str(act))
            self.layers.append((layer.name, w, b, act))
        if not self.layers:
            raise ValueError("HEModel: the model has no Dense layer")
        x = np.asarray(calibration_x, np.float64)
        if x.ndim != 2 or x.shape[1] != self.layers[0][1].shape[0] or len(x) < 2:
            raise ValueError(f"HEModel: calibration_x must be (samples >= 2, "
                             f"{self.layers[0][1].shape[0]}), got shape {x.shape}")
        self.n_inputs, self.n_outputs = self.layers[0][1].shape[0], self.layers[-1][1].shape[1]
        self.output_activation = self.layers[-1][3]
        self.polys, self.approximation = [], []
        h = x
        for name, w, b, act in self.layers[:-1]:
            z = h @ w + b
            if activation == "square" or act == "linear":
                coeffs = np.array([0.0, 0.0, 1.0]) if activation == "square" else np.array([0.0, 1.0])
                lo, hi, err_grid, err_cal = float(z.min()), float(z.max()), None, None
                if activation == "square" and act != "linear":
                    err_cal = float(np.abs(_activation_fn(act, name)(z) - z * z).max())
            else:
                span = float(z.max() - z.min()) or 1.0
                lo, hi = float(z.min()) - margin * span, float(z.max()) + margin * span
                grid = np.linspace(lo, hi, 2001)
                f = _activation_fn(act, name)
                coeffs = np.polynomial.polynomial.polyfit(grid, f(grid), degree)
                err_grid = float(np.abs(np.polynomial.polynomial.polyval(grid, coeffs) - f(grid)).max())
                err_cal = float(np.abs(np.polynomial.polynomial.polyval(z, coeffs) - f(z)).max())
            self.polys.append(coeffs)
            self.approximation.append({"layer": name, "activation": act, "range": (lo, hi),
                                       "coefficients": coeffs.tolist(), "max_error_range": err_grid,
                                       "max_error_calibration": err_cal})
            h = np.polynomial.polynomial.polyval(z, coeffs)
        self.levels = len(self.layers) + sum(_poly_levels(c) for c in self.polys)
        bits = 2 * _EDGE_BITS + _SCALE_BITS * self.levels
        fits = [n for n, limit in _RINGS if bits <= limit]
        if not fits:
            most = max((limit - 2 * _EDGE_BITS) // _SCALE_BITS for _, limit in _RINGS)
            raise ValueError(f"HEModel: the model needs {self.levels} multiplicative levels "
                             f"({len(self.layers)} Dense layers + the activation polynomials); the "
                             f"supported CKKS parameters (poly_modulus_degree 16384, 128-bit security) "
                             f"hold at most {most}. Use fewer layers or a lower degree")
        self.poly_modulus_degree = fits[0]
        if max(self.n_inputs, *(w.shape[1] for _, w, _, _ in self.layers)) + 1 > fits[0] // 2:
            raise ValueError(f"HEModel: a layer wider than {fits[0] // 2 - 1} does not fit one "
                             f"ciphertext at poly_modulus_degree {fits[0]}")
        self._matrices = self._fold_biases()

    def _fold_biases(self):
        """Augmented matrices: the input carries a constant c in a last slot; each
        matrix puts its bias in that slot's row and passes a constant on (scaled so
        that after the next polynomial it is again the constant the next row expects)."""
        mats, const = [], 1.0  # the value of the constant slot entering each layer
        for i, (_, w, b, _) in enumerate(self.layers):
            n, m = w.shape
            last = i == len(self.layers) - 1
            a = np.zeros((n + 1, m + (0 if last else 1)))
            a[:n, :m] = w
            a[n, :m] = b / const
            if not last:
                p = self.polys[i]
                # pick the constant the polynomial maps far from zero, so the next
                # layer can divide by p(c) without blowing up the noise
                lo, hi = self.approximation[i]["range"]
                cands = np.linspace(lo, hi, 9)
                vals = np.polynomial.polynomial.polyval(cands, p)
                c = float(cands[np.argmax(np.abs(vals))])
                a[n, m] = c / const
                const = float(np.polynomial.polynomial.polyval(c, p))
                if abs(const) < 1e-6:
                    raise ValueError(f"HEModel: the polynomial of layer {self.layers[i][0]!r} is ~0 "
                                     f"on its range; it cannot carry the bias slot")
            mats.append(a)
        return mats

    def predict_plain(self, x):
        """Returns the outputs of the polynomial model in NumPy (float64), output
        activation applied: what encrypted inference computes, without encryption.

        Parameters
        ----------
        x : array_like
            ``(samples, n_inputs)``.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.set_weights([np.ones((2, 1), np.float32), np.zeros(1, np.float32)])
        >>> pynn.privacy.he.HEModel(model, np.eye(2)).predict_plain([[1.0, 2.0]])
        array([[3.]])
        """
        return self.finish(self.logits_plain(x))

    def logits_plain(self, x):
        """Returns the last layer's pre-activation of the polynomial model (NumPy).

        Parameters
        ----------
        x : array_like
            ``(samples, n_inputs)``.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1, activation="sigmoid")])
        >>> model.set_weights([np.ones((2, 1), np.float32), np.zeros(1, np.float32)])
        >>> pynn.privacy.he.HEModel(model, np.eye(2)).logits_plain([[1.0, 2.0]])
        array([[3.]])
        """
        h = self._check_x(x, "logits_plain")
        for i, (_, w, b, _) in enumerate(self.layers):
            h = h @ w + b
            if i < len(self.polys):
                h = np.polynomial.polynomial.polyval(h, self.polys[i])
        return h

    def finish(self, logits):
        """Applies the model's output activation (in the clear, on the client).

        Parameters
        ----------
        logits : array_like
            ``(samples, n_outputs)`` or one row.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(2, activation="softmax")])
        >>> he_model = pynn.privacy.he.HEModel(model, np.eye(2))
        >>> he_model.finish([[0.0, 0.0]])
        array([[0.5, 0.5]])
        """
        z = np.atleast_2d(np.asarray(logits, np.float64))
        if self.output_activation == "linear":
            return z
        return _activation_fn(self.output_activation, self.layers[-1][0])(z)

    def _check_x(self, x, what):
        x = np.atleast_2d(np.asarray(x, np.float64))
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"HEModel.{what}: expected inputs of shape (samples, {self.n_inputs}), "
                             f"got {np.shape(x)}")
        return x

    def load_context(self, public_context):
        """Deserializes the client's public context once (it holds the Galois keys,
        tens to hundreds of MB); pass the result to `serve` for every sample.

        Parameters
        ----------
        public_context : bytes
            `HEClient.public_context()`.

        Returns
        -------
        tenseal.Context

        Raises
        ------
        ImportError
            TenSEAL is not installed.
        ValueError
            A context that holds a secret key (the server must never get one).

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> he_model = pynn.privacy.he.HEModel(model, np.eye(2))
        >>> client = pynn.privacy.he.HEClient(he_model)
        >>> he_model.load_context(client.public_context()).has_secret_key()
        False
        """
        ts = _ts()
        ctx = public_context if isinstance(public_context, ts.Context) \
            else ts.context_from(public_context)
        if ctx.has_secret_key():
            raise ValueError("HEModel: the context holds the secret key; send "
                             "HEClient.public_context(), which does not")
        return ctx

    def serve(self, public_context, ciphertext):
        """The server's computation: the model on one encrypted sample.

        Parameters
        ----------
        public_context : bytes or tenseal.Context
            The client's public context (`load_context` it once for many samples).
        ciphertext : bytes
            One encrypted sample (`HEClient.encrypt`).

        Returns
        -------
        bytes
            The encrypted logits.

        Raises
        ------
        ImportError
            TenSEAL is not installed.
        ValueError
            A context that holds a secret key, or a ciphertext of the wrong size.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> he_model = pynn.privacy.he.HEModel(model, np.eye(2))
        >>> client = pynn.privacy.he.HEClient(he_model)
        >>> isinstance(he_model.serve(client.public_context(), client.encrypt([1.0, 2.0])), bytes)
        True
        """
        ts = _ts()
        ctx = self.load_context(public_context)
        enc = ts.ckks_vector_from(ctx, ciphertext)
        if enc.size() != self.n_inputs + 1:
            raise ValueError(f"HEModel.serve: the ciphertext holds {enc.size()} values, the model "
                             f"expects {self.n_inputs} inputs + 1 constant slot")
        for i, a in enumerate(self._matrices):
            enc = enc.mm(a)
            if i < len(self.polys) and not _is_identity(self.polys[i]):
                c = self.polys[i]
                enc = enc.square() if _poly_levels(c) == 1 and len(c) == 3 else enc.polyval(c.tolist())
        return enc.serialize()


class HEClient:
    """The data owner's side: a CKKS context with the secret key; encrypts inputs,
    decrypts results.

    Parameters
    ----------
    he_model : HEModel
        Sets the parameters (depth, ring) and the output activation.

    Raises
    ------
    ImportError
        TenSEAL is not installed.
    TypeError
        Not an HEModel.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    >>> model.set_weights([np.ones((2, 1), np.float32), np.zeros(1, np.float32)])
    >>> he_model = pynn.privacy.he.HEModel(model, np.eye(2))
    >>> client = pynn.privacy.he.HEClient(he_model)
    >>> reply = he_model.serve(client.public_context(), client.encrypt([1.0, 2.0]))
    >>> np.round(client.decrypt(reply), 4)
    array([3.])
    """

    def __init__(self, he_model):
        if not isinstance(he_model, HEModel):
            raise TypeError(f"HEClient: expected an HEModel, got {type(he_model).__name__}")
        ts = _ts()
        self.he_model = he_model
        bits = [_EDGE_BITS] + [_SCALE_BITS] * he_model.levels + [_EDGE_BITS]
        self.context = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=he_model.poly_modulus_degree,
                                  coeff_mod_bit_sizes=bits)
        self.context.global_scale = 2.0 ** _SCALE_BITS
        self.context.generate_galois_keys()  # the rotations of the matrix products

    def public_context(self):
        """Returns the context to send to the server: public, relinearization and
        Galois keys, no secret key.

        Returns
        -------
        bytes

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> client = pynn.privacy.he.HEClient(pynn.privacy.he.HEModel(model, np.eye(2)))
        >>> import tenseal
        >>> tenseal.context_from(client.public_context()).has_secret_key()
        False
        """
        return self.context.serialize(save_secret_key=False)

    def encrypt(self, x):
        """Encrypts one sample (with the constant slot the biases ride on).

        Parameters
        ----------
        x : array_like
            ``(n_inputs,)`` or ``(1, n_inputs)``.

        Returns
        -------
        bytes

        Raises
        ------
        ValueError
            The wrong number of features, or a non-finite value.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> client = pynn.privacy.he.HEClient(pynn.privacy.he.HEModel(model, np.eye(2)))
        >>> isinstance(client.encrypt([1.0, 2.0]), bytes)
        True
        """
        x = np.asarray(x, np.float64).reshape(-1)
        if x.size != self.he_model.n_inputs or not np.all(np.isfinite(x)):
            raise ValueError(f"HEClient.encrypt: expected one sample of {self.he_model.n_inputs} "
                             f"finite features, got {x.size} values")
        return _ts().ckks_vector(self.context, np.r_[x, 1.0].tolist()).serialize()

    def decrypt(self, reply, logits=False):
        """Decrypts the server's reply and applies the output activation.

        Parameters
        ----------
        reply : bytes
            `HEModel.serve`'s result.
        logits : bool, default False
            Return the decrypted logits without the output activation.

        Returns
        -------
        numpy.ndarray
            ``(n_outputs,)``.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.set_weights([np.ones((2, 1), np.float32), np.zeros(1, np.float32)])
        >>> he_model = pynn.privacy.he.HEModel(model, np.eye(2))
        >>> client = pynn.privacy.he.HEClient(he_model)
        >>> reply = he_model.serve(client.public_context(), client.encrypt([1.0, -1.0]))
        >>> abs(float(client.decrypt(reply, logits=True)[0])) < 1e-4
        True
        """
        z = np.asarray(_ts().ckks_vector_from(self.context, reply).decrypt(), np.float64)
        return z if logits else self.he_model.finish(z)[0]

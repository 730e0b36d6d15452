"""DP-SGD for `model.fit`: per-example clipping and Gaussian noise in the compiled loop.

    model.compile(optimizer=pynn.privacy.DPSGD(l2_norm_clip=1.0, noise_multiplier=1.1,
                                               learning_rate=0.05),
                  loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=10)
    history.history["epsilon"]          # the privacy spent after each epoch (RDP, delta=1e-5)

Every step (Abadi et al. 2016, as Opacus' DPOptimizer): the batch is drawn by
Poisson sampling with rate q = batch_size / n (Opacus' DPDataLoader), each
example's gradient over all trainable weights is clipped to L2 norm C with
c_i = min(1, C / (||g_i|| + 1e-6)), the clipped gradients are summed, Gaussian
noise N(0, (sigma C)^2) is added to every coordinate, the sum is divided by the
expected batch size q n, and the wrapped optimizer (SGD by default, any pynn
optimizer otherwise) takes its ordinary step. All of it runs in C
(csrc/core/privacy/dp.c) inside the same loop as a plain fit.

The privacy spent is tracked by an RDP accountant (`pynn.privacy.accountant`)
and shown as `epsilon` on the progress bar and in the History.

Things to know:

* Per-example gradients: when every trainable layer is a Dense on one vector
  per example (with any activation, Dropout, Flatten, built-in losses),
  ghost clipping runs the batch forward and backward once and gets each
  example's gradient norm from the batch quantities (||x_i||^2 ||delta_i||^2
  per kernel, Goodfellow 2015, as Opacus' ghost clipping), then forms the
  clipped sum with one GEMM per kernel. Any other model replays every example
  through the compiled program at batch size 1, which works for any layer
  except those that mix the examples of a batch (BatchNormalization is
  refused, as Opacus does). `clipping_path` tells which one a fit used and
  `clipping_path_reason` why ghost clipping was ruled out; both give the same
  result up to float rounding, and Dropout draws the same mask for an example
  in either.
* Weight regularizers are part of every example's loss, so their gradient is
  clipped with it (such models take the replay path).
* `poisson_sampling=False` uses fit's ordinary (shuffled) fixed batches and
  divides by their size, as TF-Privacy's Keras optimizers do; the epsilon
  reported is then the Poisson-sampling figure, which is what TF-Privacy reports
  too but is not a proof for shuffled batches.
* The seeded mode (default) draws the sampling and the noise from pynn's
  counter-based generator (`pynn.set_seed` or `seed=`): reproducible bit for bit
  and independent of the thread count, which is for experiments. Use
  `secure_mode=True` for a release: OS entropy and Opacus' secure-mode noise.
* The seeded noise comes from a versioned normal stream (`stream_version`,
  csrc/core/rng_normal.c). Version 2 (the default; ziggurat, one
  hash per draw, vectorised with AVX2 / AVX-512 with the same bits as the
  portable code) costs a few ns a draw; version 1 (Box-Muller, ~50 ns a draw)
  is the noise of every seeded run before it: ask for it to reproduce one. A
  config saved without `stream_version` loads as version 1.
"""
import math
import numbers

import numpy as np

from .. import _C, optimizers
from . import accountant as acc

__all__ = ["DPSGD", "make_private"]


def _positive(name, value, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"DPSGD: `{name}` must be a finite number {'>= 0' if allow_zero else '> 0'}, "
                         f"got {value!r}")
    return float(value)


class DPSGD:
    """Differentially private training (DP-SGD, Abadi et al. 2016) inside ``model.fit``.

    Each step, as Opacus' DPOptimizer: Poisson-sample the batch (rate
    ``q = batch_size / n``), clip every example's gradient to L2 norm
    ``l2_norm_clip``, sum, add Gaussian noise of std ``noise_multiplier *
    l2_norm_clip``, divide by the expected batch size, and let the wrapped
    optimizer step. DPSGD composes that optimizer (``DPSGD(optimizer=Adam())``)
    rather than being one: it is registered as a `pynn.optimizers.Optimizer`,
    its optimizer attributes (``learning_rate``, ``iterations``, ``variables``,
    ``get_state``, ...) are the wrapped optimizer's, and ``fit`` gets the
    private per-batch strategy of its compiled loop from it. All of it runs in C in the same loop as a plain fit; the
    privacy spent (RDP accountant) appears as ``"epsilon"`` in the logs and the
    History. Per-example gradient norms come from ghost clipping for Dense-only
    models and from a per-example replay otherwise (``clipping_path`` says
    which); BatchNormalization is refused. See `pynn.privacy.dpsgd` for details.

    Parameters
    ----------
    l2_norm_clip : float, default 1.0
        C, the bound on every example's gradient norm (> 0).
    noise_multiplier : float, optional
        sigma (>= 0); the noise std is sigma * C. Give this or ``target_epsilon``.
    learning_rate : float, default 0.01
        The learning rate of the default SGD (ignored with ``optimizer``).
    optimizer : Optimizer or str, optional
        The optimizer that steps on the private gradient (default SGD).
    target_epsilon : float, optional
        Instead of noise_multiplier: the noise is chosen at the first fit so that
        the fit ends at epsilon <= target_epsilon.
    delta : float, default 1e-5
        The delta of the reported epsilon (choose delta < 1 / n).
    poisson_sampling : bool, default True
        Poisson batches (the accounting's assumption); False uses fit's shuffled
        fixed batches, as TF-Privacy's Keras optimizers.
    secure_mode : bool, default False
        Draw sampling and noise from OS entropy (for a release; not reproducible).
    seed : int, optional
        Key of the reproducible mode (default: from pynn's generator, so
        `pynn.set_seed` makes a run reproducible).
    clipping_mode : {"auto", "ghost", "replay"}, default "auto"
        How per-example gradients are formed.
    stream_version : {2, 1}, default 2
        The normal stream of the seeded noise: 2, the ziggurat sampler; 1, the
        Box-Muller draws of runs made before stream versions existed (to
        reproduce one bit for bit). Secure mode ignores it.
    name : str, default "DPSGD"
        The optimizer's name.

    Raises
    ------
    ValueError
        Both or neither of noise_multiplier and target_epsilon, a value out of
        range, seed with secure_mode, or a stream_version other than 1 or 2.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> opt = pynn.privacy.DPSGD(l2_norm_clip=1.0, noise_multiplier=1.1, learning_rate=0.1)
    >>> model.compile(optimizer=opt, loss="binary_crossentropy", metrics=["accuracy"])
    >>> history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'epsilon', 'loss']
    >>> eps = history.history["epsilon"]
    >>> eps[0] < eps[1] < eps[2]  # privacy is spent epoch after epoch
    True
    >>> opt.clipping_path
    'ghost'

    A seeded run made before stream versions existed is reproduced with the
    Box-Muller stream:

    >>> old = pynn.privacy.DPSGD(noise_multiplier=1.1, seed=3, stream_version=1)
    >>> old.stream_version
    1
    """

    def __init__(self, l2_norm_clip=1.0, noise_multiplier=None, learning_rate=0.01, optimizer=None,
                 target_epsilon=None, delta=1e-5, poisson_sampling=True, secure_mode=False, seed=None,
                 clipping_mode="auto", stream_version=2, name="DPSGD"):
        self.l2_norm_clip = _positive("l2_norm_clip", l2_norm_clip)
        if (noise_multiplier is None) == (target_epsilon is None):
            raise ValueError("DPSGD: give exactly one of `noise_multiplier` and `target_epsilon`")
        self.noise_multiplier = None if noise_multiplier is None else \
            _positive("noise_multiplier", noise_multiplier, allow_zero=True)
        self.target_epsilon = None if target_epsilon is None else _positive("target_epsilon", target_epsilon)
        self.delta = _positive("delta", delta)
        if self.delta >= 1:
            raise ValueError(f"DPSGD: `delta` must be in (0, 1), got {delta!r}")
        for arg, v in (("poisson_sampling", poisson_sampling), ("secure_mode", secure_mode)):
            if not isinstance(v, bool):
                raise ValueError(f"DPSGD: `{arg}` must be a bool, got {v!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"DPSGD: `seed` must be an int or None, got {seed!r}")
        if seed is not None and secure_mode:
            raise ValueError("DPSGD: `seed` and `secure_mode=True` exclude each other (secure mode "
                             "draws from the OS)")
        if clipping_mode not in ("auto", "ghost", "replay"):
            raise ValueError(f"DPSGD: `clipping_mode` must be 'auto', 'ghost' or 'replay', got "
                             f"{clipping_mode!r}")
        if isinstance(stream_version, bool) or not isinstance(stream_version, numbers.Integral) \
                or stream_version not in (1, 2):
            raise ValueError(f"DPSGD: `stream_version` must be 1 (Box-Muller) or 2 (ziggurat), got "
                             f"{stream_version!r}")
        self.clipping_mode = clipping_mode
        self.stream_version = int(stream_version)
        self.clipping_path, self.clipping_path_reason = None, None  # set by fit
        self.poisson_sampling = poisson_sampling
        self.secure_mode = secure_mode
        self.seed = seed
        self.name = name
        self.optimizer = optimizers.get(optimizer) if optimizer is not None else \
            optimizers.SGD(learning_rate=learning_rate)
        if isinstance(self.optimizer, DPSGD):
            raise ValueError("DPSGD: `optimizer` is already a DPSGD")
        self.accountant = acc.RDPAccountant()
        self._key = None if seed is None else int(seed) & 0xFFFFFFFFFFFFFFFF
        self.clipping_record, self.clipping_count = None, 0

    # ------------------------------------------------------------ the wrapped optimizer
    def __getattr__(self, name):
        # called only for names DPSGD does not define: the optimizer attributes
        # (learning_rate, iterations, build, get_state, ...) are the wrapped one's
        if name == "optimizer" or name.startswith("__"):  # not set yet (copy, unpickling)
            raise AttributeError(name)
        return getattr(self.optimizer, name)

    def __setattr__(self, name, value):
        # the wrapped optimizer's settable properties (learning_rate, as callbacks
        # set it; iterations) are set on it, everything else is DPSGD's own
        inner = self.__dict__.get("optimizer")
        if isinstance(getattr(type(inner), name, None), property):
            setattr(inner, name, value)
        else:
            object.__setattr__(self, name, value)

    def apply(self, grads, trainable_variables=None):
        """Refused: DP-SGD needs every example's gradient, which only ``model.fit`` computes.

        A step from a batch gradient would not be private, so ``apply`` and
        ``apply_gradients`` raise instead.

        Parameters
        ----------
        grads : list
            Ignored.
        trainable_variables : list, optional
            Ignored.

        Raises
        ------
        TypeError
            Always.

        Examples
        --------
        >>> opt = pynn.privacy.DPSGD(noise_multiplier=1.0)
        >>> opt.apply([np.ones(1, np.float32)], [np.zeros(1, np.float32)])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: DPSGD needs every example's gradient, which only model.fit computes; ...
        """
        raise TypeError("DPSGD needs every example's gradient, which only model.fit computes; "
                        "apply() / apply_gradients() with a batch gradient would not be private")

    apply_gradients = apply

    # ------------------------------------------------------------ privacy
    def record_clipping(self, capacity):
        """Records, for the first ``capacity`` examples of every following fit, each gradient's norm
        and clip factor.

        Rows ``[norm before clipping, c_i]`` go to ``clipping_record`` (shape
        ``(capacity, 2)``; rows past ``clipping_count`` are unused). For tests and
        diagnostics: the record itself is not private. ``record_clipping(0)`` turns
        it off.

        Parameters
        ----------
        capacity : int
            Number of examples to record (>= 0).

        Raises
        ------
        ValueError
            A negative or non-integer capacity.

        Examples
        --------
        >>> pynn.set_seed(0)
        >>> x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
        >>> y = (x[:, :1] > 0).astype("float32")
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
        ...                          pynn.layers.Dense(1, activation="sigmoid")])
        >>> opt = pynn.privacy.DPSGD(noise_multiplier=1.0)
        >>> model.compile(optimizer=opt, loss="binary_crossentropy")
        >>> opt.record_clipping(10)
        >>> _ = model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        >>> opt.clipping_count, bool((opt.clipping_record[:, 1] <= 1).all())
        (10, True)
        """
        if isinstance(capacity, bool) or not isinstance(capacity, numbers.Integral) or capacity < 0:
            raise ValueError(f"record_clipping: `capacity` must be an integer >= 0, got {capacity!r}")
        self.clipping_record = np.zeros((int(capacity), 2)) if capacity else None
        self.clipping_count = 0

    def get_epsilon(self, delta=None):
        """Returns the epsilon spent so far by this optimizer's fits.

        Parameters
        ----------
        delta : float, optional
            The delta (default: the optimizer's).

        Returns
        -------
        float

        Examples
        --------
        >>> pynn.set_seed(0)
        >>> x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
        >>> y = (x[:, :1] > 0).astype("float32")
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
        ...                          pynn.layers.Dense(1, activation="sigmoid")])
        >>> opt = pynn.privacy.DPSGD(noise_multiplier=1.1)
        >>> model.compile(optimizer=opt, loss="binary_crossentropy")
        >>> opt.get_epsilon()  # no step taken yet
        0.0
        >>> _ = model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        >>> opt.get_epsilon() > opt.get_epsilon(delta=1e-3) > 0  # a larger delta: a smaller epsilon
        True
        """
        return self.accountant.get_epsilon(self.delta if delta is None else delta)

    # pynn.distribution may pass `shard` (below)
    _fit_strategy_shards = True

    def _fit_strategy(self, model, n, batch_size, epochs, program, shard=None):
        """fit's per-batch strategy (see `pynn.optimizers.Optimizer._fit_strategy`):
        checks the model, fixes the noise for a target epsilon, chooses the
        clipping path and returns the DP steps of this fit.

        ``shard`` (pynn.distribution's DataParallel): ``(rows, batch_size, key)`` of
        this process. Sampling rate, divisor and accountant stay those of the global
        ``n`` and ``batch_size``; the C state clips and samples this process's rows
        with its own key and adds no noise: the gradient hook adds it once per
        global step."""
        _check_layers(model)
        q = min(1.0, batch_size / n)
        if self.noise_multiplier is None:
            steps = epochs * ((n + batch_size - 1) // batch_size)
            self.noise_multiplier = acc.get_noise_multiplier(self.target_epsilon, self.delta, q,
                                                             steps=steps)
        acc.warn_if_delta_large(self.delta, n)
        if self._key is None and not self.secure_mode:
            self._key = _C.random_u64()
        self._q = q
        rows, sigma, key = n, self.noise_multiplier, self._key or 0
        if shard is not None:
            if self.secure_mode:
                raise ValueError("DPSGD: secure_mode is not supported under DataParallel on more "
                                 "than one process (its noise cannot be drawn once for all)")
            rows, batch_size, key = shard
            sigma = 0.0
        state = _C.DPState(n_params=int(model._grads.size), n_samples=int(rows),
                           l2_norm_clip=self.l2_norm_clip, noise_multiplier=sigma,
                           sample_rate=q, divisor=q * n, poisson=self.poisson_sampling,
                           secure=self.secure_mode, key=key, step=self.accountant.steps,
                           stream=self.stream_version)
        # ghost clipping's buffers hold a batch up to 5 standard deviations above
        # the expected Poisson size; a larger draw runs in parts
        chunk = batch_size + (int(5 * math.sqrt(batch_size)) + 1 if self.poisson_sampling else 0)
        path, reason = state.plan(program["prog"], program["loss"], model._grads,
                                  self.clipping_mode != "replay", min(chunk, rows))
        if self.clipping_mode == "ghost" and path != "ghost":
            raise ValueError(f"DPSGD: clipping_mode='ghost' is not possible for model "
                             f"'{model.name}': {reason}; use 'auto' or 'replay'")
        self.clipping_path, self.clipping_path_reason = path, reason or None
        if self.clipping_record is not None:
            state.set_record(self.clipping_record)
        return _DPSteps(self, state)

    # ------------------------------------------------------------ config
    def get_config(self):
        """Returns the privacy settings, the wrapped optimizer (serialized) and the
        accountant's history as a JSON-serialisable dict.

        Returns
        -------
        dict

        Examples
        --------
        >>> config = pynn.privacy.DPSGD(noise_multiplier=1.1, optimizer="adam").get_config()
        >>> config["noise_multiplier"], config["optimizer"]["class_name"]
        (1.1, 'Adam')
        """
        return {"name": self.name, "l2_norm_clip": self.l2_norm_clip,
                "noise_multiplier": self.noise_multiplier,
                "target_epsilon": None if self.noise_multiplier is not None else self.target_epsilon,
                "delta": self.delta, "poisson_sampling": self.poisson_sampling,
                "secure_mode": self.secure_mode, "seed": self.seed, "clipping_mode": self.clipping_mode,
                "stream_version": self.stream_version,
                "optimizer": optimizers.serialize(self.optimizer),
                "accountant_history": [list(h) for h in self.accountant.history]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates a DPSGD from ``get_config()``'s dict, with the privacy already spent.

        Parameters
        ----------
        config : dict
            The configuration.
        custom_objects : dict, optional
            Custom optimizer or schedule classes, by name.

        Returns
        -------
        DPSGD

        Examples
        --------
        >>> opt = pynn.privacy.DPSGD(noise_multiplier=1.1, optimizer="adam")
        >>> copy = pynn.privacy.DPSGD.from_config(opt.get_config())
        >>> copy.noise_multiplier, type(copy.optimizer).__name__
        (1.1, 'Adam')
        """
        config = dict(config)
        config.setdefault("stream_version", 1)  # saved before versions: the stream it ran on
        inner = optimizers.deserialize(config.pop("optimizer"), custom_objects)
        history = config.pop("accountant_history", [])
        opt = cls(optimizer=inner, **config)
        for sigma, q, steps in history:
            opt.accountant.step(sigma, q, steps)
        return opt

    def __repr__(self):
        return (f"<pynn.privacy.DPSGD l2_norm_clip={self.l2_norm_clip} noise_multiplier="
                f"{self.noise_multiplier} optimizer={self.optimizer!r}>")


class _DPSteps:
    """One fit's DP steps: `state` (a pynn._C.DPState) is the per-batch strategy
    fit's _C.Loop runs; after_run counts the steps taken and adds `epsilon` to the logs."""

    def __init__(self, dpsgd, state):
        self.dpsgd, self.state = dpsgd, state

    def after_run(self, logs):
        opt, taken = self.dpsgd, self.state.step - self.dpsgd.accountant.steps
        if taken > 0:
            opt.accountant.step(opt.noise_multiplier, opt._q, taken)
        logs["epsilon"] = opt.get_epsilon()
        if opt.clipping_record is not None:
            opt.clipping_count = self.state.record_count


optimizers.Optimizer.register(DPSGD)  # an optimizer to compile, serialize and save


def _check_layers(model):
    from ..layers import BatchNormalization
    stack = list(model.layers)
    while stack:
        layer = stack.pop()
        if isinstance(layer, BatchNormalization):
            raise ValueError(f"DPSGD: layer '{layer.name}' (BatchNormalization) mixes the examples of a "
                             f"batch, so per-example gradients do not exist; use LayerNormalization")
        stack.extend(getattr(layer, "_layers", []))


def make_private(model, l2_norm_clip=1.0, noise_multiplier=None, target_epsilon=None, delta=1e-5,
                 poisson_sampling=True, secure_mode=False, seed=None, stream_version=2):
    """Makes a compiled model train with DP-SGD: Opacus' ``make_private`` as a one-liner.

    The model's optimizer is wrapped in a `DPSGD` with these arguments, so the
    next ``fit`` is private.

    Parameters
    ----------
    model : Model
        A compiled model.
    l2_norm_clip : float, default 1.0
        The per-example gradient norm bound.
    noise_multiplier : float, optional
        The noise multiplier (or give target_epsilon).
    target_epsilon : float, optional
        The epsilon the next fit should end at.
    delta : float, default 1e-5
        The delta of the reported epsilon.
    poisson_sampling : bool, default True
        Poisson batches.
    secure_mode : bool, default False
        OS entropy.
    seed : int, optional
        Key of the reproducible mode.
    stream_version : {2, 1}, default 2
        The normal stream of the seeded noise (see `DPSGD`).

    Returns
    -------
    Model
        The same model.

    Raises
    ------
    ValueError
        The model is not compiled, or its optimizer already is a DPSGD.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer=pynn.optimizers.Adam(), loss="binary_crossentropy")
    >>> model = pynn.privacy.make_private(model, noise_multiplier=1.0)
    >>> type(model.optimizer).__name__, type(model.optimizer.optimizer).__name__
    ('DPSGD', 'Adam')
    """
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError("make_private: compile the model first (its optimizer is the one made private)")
    if isinstance(model.optimizer, DPSGD):
        raise ValueError("make_private: the model's optimizer is already a DPSGD")
    model.optimizer = DPSGD(l2_norm_clip=l2_norm_clip, noise_multiplier=noise_multiplier,
                            optimizer=model.optimizer, target_epsilon=target_epsilon, delta=delta,
                            poisson_sampling=poisson_sampling, secure_mode=secure_mode, seed=seed,
                            stream_version=stream_version)
    return model

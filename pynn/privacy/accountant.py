"""The RDP accountant of the sampled Gaussian mechanism (DP-SGD's privacy budget).

Rényi-DP of one step of Poisson sampling with rate q followed by Gaussian noise
of multiplier sigma, at order alpha (Mironov, Talwar & Zhang 2019, "Rényi
differential privacy of the sampled Gaussian mechanism", Section 3.3):

* integer alpha: A = sum_{i=0..alpha} C(alpha, i) (1-q)^(alpha-i) q^i exp((i^2 - i) / (2 sigma^2)),
  RDP(alpha) = log(A) / (alpha - 1);
* fractional alpha: the two-sided series in erfc of the same paper;
* q = 1 (no sampling): alpha / (2 sigma^2); q = 0: 0; sigma = 0: infinite.

RDP composes by addition over steps (and over phases with different sigma or q).
The conversion to (epsilon, delta)-DP is Theorem 21 of Balle et al. 2020
("Hypothesis testing interpretations and Rényi differential privacy"), the one
Opacus' ``get_privacy_spent`` and TF-Privacy's (dp_accounting's) RDP accountant use:

    epsilon = min over alpha of  RDP(alpha) - (log(delta) + log(alpha)) / (alpha - 1) + log((alpha - 1) / alpha)

with Opacus' default orders ``[1 + x / 10 for x in 1..99] + [12, ..., 63]``.
Everything is computed in log space with the standard library (no SciPy).
"""
import functools
import math
import numbers
import warnings

import numpy as np

DEFAULT_ORDERS = tuple([1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64)))


# ------------------------------------------------------------------ log-space helpers
def _log_add(a, b):
    lo, hi = min(a, b), max(a, b)
    if lo == -math.inf:
        return hi
    return math.log1p(math.exp(lo - hi)) + hi


def _log_sub(a, b):
    """log(exp(a) - exp(b)) for a >= b."""
    if b == -math.inf:
        return a
    if a <= b:
        return -math.inf
    try:
        return math.log(math.expm1(a - b)) + b
    except OverflowError:
        return a


def _log_erfc(x):
    r = math.erfc(x)
    if r > 1e-300:
        return math.log(r)
    # erfc underflows: its asymptotic series (Abramowitz & Stegun 7.1.23)
    return (-0.5 * math.log(math.pi) - math.log(x) - x * x - 0.5 * x ** -2 + 0.625 * x ** -4
            - 37.0 / 24.0 * x ** -6 + 353.0 / 64.0 * x ** -8)


def _log_a_int(q, sigma, alpha):
    log_a = -math.inf
    for i in range(alpha + 1):
        term = (math.log(math.comb(alpha, i)) + i * math.log(q) + (alpha - i) * math.log1p(-q)
                + (i * i - i) / (2 * sigma ** 2))
        log_a = _log_add(log_a, term)
    return log_a


def _log_a_frac(q, sigma, alpha):
    # A splits into integrals over (-inf, z0] and [z0, inf), each a series in erfc
    log_a0 = log_a1 = -math.inf
    z0 = sigma ** 2 * math.log(1 / q - 1) + 0.5
    coef = 1.0  # C(alpha, i), by the recurrence C(alpha, i+1) = C(alpha, i) (alpha - i) / (i + 1)
    i = 0
    while coef != 0.0:
        j = alpha - i
        log_coef = math.log(abs(coef))
        log_t0 = log_coef + i * math.log(q) + j * math.log1p(-q)
        log_t1 = log_coef + j * math.log(q) + i * math.log1p(-q)
        log_e0 = math.log(0.5) + _log_erfc((i - z0) / (math.sqrt(2) * sigma))
        log_e1 = math.log(0.5) + _log_erfc((z0 - j) / (math.sqrt(2) * sigma))
        log_s0 = log_t0 + (i * i - i) / (2 * sigma ** 2) + log_e0
        log_s1 = log_t1 + (j * j - j) / (2 * sigma ** 2) + log_e1
        if coef > 0:
            log_a0, log_a1 = _log_add(log_a0, log_s0), _log_add(log_a1, log_s1)
        else:
            log_a0, log_a1 = _log_sub(log_a0, log_s0), _log_sub(log_a1, log_s1)
        if max(log_s0, log_s1) < -30:
            break
        coef *= (alpha - i) / (i + 1)
        i += 1
    return _log_add(log_a0, log_a1)


def _rdp_one(q, sigma, alpha):
    if q == 0:
        return 0.0
    if sigma == 0:
        return math.inf
    if q == 1.0:
        return alpha / (2 * sigma ** 2)
    if math.isinf(alpha):
        return math.inf
    if float(alpha).is_integer():
        return _log_a_int(q, sigma, int(alpha)) / (alpha - 1)
    return _log_a_frac(q, sigma, alpha) / (alpha - 1)


@functools.lru_cache(maxsize=256)
def _rdp_per_step(q, sigma, orders):
    return np.array([_rdp_one(q, sigma, a) for a in orders])


# ------------------------------------------------------------------ checks
def _real(name, value, low=None, high=None, low_open=False, fn="accountant"):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{fn}: {name} must be a finite number, got {value!r}")
    value = float(value)
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{fn}: {name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{fn}: {name} must be <= {high}, got {value}")
    return value


def _count(name, value, fn):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{fn}: {name} must be an integer >= 0, got {value!r}")
    return int(value)


def _orders(orders, fn):
    orders = DEFAULT_ORDERS if orders is None else np.atleast_1d(orders).astype(float)
    if len(orders) == 0 or any(not (a > 1) for a in orders):
        raise ValueError(f"{fn}: every RDP order must be > 1")
    return tuple(float(a) for a in orders)


def _delta(delta, fn):
    delta = _real("delta", delta, 0.0, None, True, fn)
    if delta >= 1:
        raise ValueError(f"{fn}: delta must be in (0, 1), got {delta}")
    return delta


# ------------------------------------------------------------------ public functions
def compute_rdp(q, noise_multiplier, steps, orders=None):
    """Returns the Rényi-DP of ``steps`` steps of the sampled Gaussian mechanism, at each order.

    Mironov, Talwar & Zhang (2019); the same values as Opacus and TF-Privacy.

    Parameters
    ----------
    q : float
        Sampling rate in [0, 1] (batch size / dataset size).
    noise_multiplier : float
        Noise std over the L2 sensitivity (>= 0).
    steps : int
        Number of steps.
    orders : float or sequence of float, optional
        RDP orders > 1 (default ``DEFAULT_ORDERS``).

    Returns
    -------
    float or numpy.ndarray
        A float for one order, an array for several.

    Raises
    ------
    ValueError
        A value out of range.

    Examples
    --------
    >>> round(pynn.privacy.compute_rdp(0.01, 1.1, steps=1000, orders=8.0), 4)
    0.5841
    >>> pynn.privacy.compute_rdp(0.01, 1.1, steps=1000).shape
    (151,)
    """
    fn = "compute_rdp"
    q = _real("q (sample rate)", q, 0.0, 1.0, fn=fn)
    sigma = _real("noise_multiplier", noise_multiplier, 0.0, fn=fn)
    steps = _count("steps", steps, fn)
    scalar = orders is not None and np.ndim(orders) == 0
    per_step = _rdp_per_step(q, sigma, _orders(orders, fn))
    rdp = per_step * steps if steps else np.zeros_like(per_step)  # (inf * 0 would be nan)
    return float(rdp[0]) if scalar else rdp


def get_privacy_spent(orders, rdp, delta):
    """Converts RDP values to (epsilon, best order) for a target delta.

    By Balle et al. 2020, Theorem 21, as Opacus and TF-Privacy.

    Parameters
    ----------
    orders : sequence of float
        RDP orders (> 1).
    rdp : sequence of float
        RDP at those orders.
    delta : float
        The target delta in (0, 1).

    Returns
    -------
    tuple of (float, float)
        ``(epsilon, order)``; ``(inf, nan)`` when no order gives a finite epsilon.

    Raises
    ------
    ValueError
        Mismatched lengths, orders <= 1, NaN values or a bad delta.

    Examples
    --------
    >>> orders = pynn.privacy.DEFAULT_ORDERS
    >>> rdp = pynn.privacy.compute_rdp(0.01, 1.1, steps=1000, orders=orders)
    >>> epsilon, order = pynn.privacy.get_privacy_spent(orders, rdp, delta=1e-5)
    >>> round(epsilon, 2), order
    (1.71, 9.6)
    """
    fn = "get_privacy_spent"
    orders_v = np.atleast_1d(np.asarray(orders, float))
    rdp_v = np.atleast_1d(np.asarray(rdp, float))
    if orders_v.shape != rdp_v.shape:
        raise ValueError(f"{fn}: {len(orders_v)} orders but {len(rdp_v)} RDP values")
    if np.any(orders_v <= 1):
        raise ValueError(f"{fn}: every RDP order must be > 1")
    if np.any(np.isnan(rdp_v)):
        raise ValueError(f"{fn}: RDP values must not be NaN")
    delta = _delta(delta, fn)
    with np.errstate(invalid="ignore", over="ignore"):
        eps = rdp_v - (math.log(delta) + np.log(orders_v)) / (orders_v - 1) + np.log((orders_v - 1) / orders_v)
    if np.all(np.isinf(eps)):
        return math.inf, math.nan
    best = int(np.argmin(eps))
    return float(eps[best]), float(orders_v[best])


class RDPAccountant:
    """Tracks the privacy spent by DP-SGD steps (Opacus' RDPAccountant).

    Call ``step(noise_multiplier, sample_rate)`` once per step (or with
    ``steps=k``), and ``get_epsilon(delta)`` at any time. Consecutive steps with
    the same parameters are kept as one phase (``history``).

    Parameters
    ----------
    orders : sequence of float, optional
        RDP orders (default ``DEFAULT_ORDERS``).

    Examples
    --------
    >>> accountant = pynn.privacy.RDPAccountant()
    >>> accountant.step(noise_multiplier=1.1, sample_rate=0.01, steps=1000)
    >>> round(accountant.get_epsilon(delta=1e-5), 2), accountant.steps
    (1.71, 1000)
    """

    def __init__(self, orders=None):
        self.orders = _orders(orders, "RDPAccountant")
        self.history = []  # [(noise_multiplier, sample_rate, steps)]

    def step(self, noise_multiplier, sample_rate, steps=1):
        """Records DP-SGD steps with the given noise and sampling rate.

        Parameters
        ----------
        noise_multiplier : float
            The noise multiplier (>= 0).
        sample_rate : float
            The sampling rate in [0, 1].
        steps : int, default 1
            How many steps.

        Raises
        ------
        ValueError
            A value out of range.

        Examples
        --------
        >>> accountant = pynn.privacy.RDPAccountant()
        >>> accountant.step(1.0, 0.01)
        >>> accountant.step(1.0, 0.01, steps=9)
        >>> accountant.history  # one phase of 10 steps
        [(1.0, 0.01, 10)]
        """
        fn = "RDPAccountant.step"
        sigma = _real("noise_multiplier", noise_multiplier, 0.0, fn=fn)
        q = _real("sample_rate", sample_rate, 0.0, 1.0, fn=fn)
        steps = _count("steps", steps, fn)
        if self.history and self.history[-1][:2] == (sigma, q):
            self.history[-1] = (sigma, q, self.history[-1][2] + steps)
        elif steps:
            self.history.append((sigma, q, steps))

    @property
    def steps(self):
        """The number of steps recorded."""
        return sum(s for _, _, s in self.history)

    def get_rdp(self):
        """Returns the accumulated RDP at each of the accountant's orders.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> accountant = pynn.privacy.RDPAccountant(orders=[2.0, 4.0])
        >>> accountant.step(1.0, 1.0)  # no sampling: alpha / (2 sigma^2)
        >>> accountant.get_rdp()
        array([1., 2.])
        """
        rdp = np.zeros(len(self.orders))
        for sigma, q, steps in self.history:
            rdp = rdp + _rdp_per_step(q, sigma, self.orders) * steps
        return rdp

    def get_privacy_spent(self, delta):
        """Returns ``(epsilon, best order)`` for a delta.

        Parameters
        ----------
        delta : float
            The target delta.

        Returns
        -------
        tuple of (float, float)
            ``(0.0, nan)`` before any step.

        Examples
        --------
        >>> accountant = pynn.privacy.RDPAccountant()
        >>> accountant.step(1.1, 0.01, steps=1000)
        >>> epsilon, order = accountant.get_privacy_spent(1e-5)
        >>> round(epsilon, 2), order
        (1.71, 9.6)
        """
        if not self.history:
            return 0.0, math.nan
        return get_privacy_spent(self.orders, self.get_rdp(), delta)

    def get_epsilon(self, delta):
        """Returns the epsilon spent for a delta (0.0 before any step).

        Parameters
        ----------
        delta : float
            The target delta.

        Returns
        -------
        float

        Examples
        --------
        >>> pynn.privacy.RDPAccountant().get_epsilon(1e-5)
        0.0
        """
        return self.get_privacy_spent(delta)[0]


def get_noise_multiplier(target_epsilon, target_delta, sample_rate, epochs=None, steps=None,
                         epsilon_tolerance=0.01, orders=None):
    """Returns the smallest noise multiplier that keeps a training run within a privacy budget.

    As Opacus: doubling from sigma = 20, then bisection until the epsilon
    reached is within ``epsilon_tolerance`` below the target.

    Parameters
    ----------
    target_epsilon : float
        The budget (> 0).
    target_delta : float
        The delta.
    sample_rate : float
        Batch size / dataset size.
    epochs : float, optional
        Training length in epochs (steps = epochs / sample_rate)...
    steps : int, optional
        ... or in steps (give exactly one).
    epsilon_tolerance : float, default 0.01
        Precision of the search.
    orders : sequence of float, optional
        RDP orders.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Both or neither of epochs and steps, a value out of range, or a budget
        too small for any noise up to 1e6.

    Examples
    --------
    >>> sigma = pynn.privacy.get_noise_multiplier(2.0, 1e-5, sample_rate=0.01, epochs=10)
    >>> round(sigma, 2)
    1.02
    >>> accountant = pynn.privacy.RDPAccountant()
    >>> accountant.step(sigma, 0.01, steps=1000)
    >>> 1.99 <= accountant.get_epsilon(1e-5) <= 2.0
    True
    """
    fn = "get_noise_multiplier"
    target_epsilon = _real("target_epsilon", target_epsilon, 0.0, None, True, fn)
    target_delta = _delta(target_delta, fn)
    q = _real("sample_rate", sample_rate, 0.0, 1.0, True, fn)
    epsilon_tolerance = _real("epsilon_tolerance", epsilon_tolerance, 0.0, None, True, fn)
    if (steps is None) == (epochs is None):
        raise ValueError(f"{fn}: give exactly one of epochs and steps")
    if steps is None:
        steps = int(_real("epochs", epochs, 0.0, None, True, fn) / q)
    steps = _count("steps", steps, fn)
    orders = _orders(orders, fn)

    def eps(sigma):
        return get_privacy_spent(orders, _rdp_per_step(q, sigma, orders) * steps, target_delta)[0]

    sigma_low, sigma_high, eps_high = 0.0, 10.0, math.inf
    while eps_high > target_epsilon:
        sigma_high *= 2
        eps_high = eps(sigma_high)
        if sigma_high > 1e6:
            raise ValueError(f"{fn}: the privacy budget epsilon={target_epsilon} is too small for "
                             f"{steps} steps at sample rate {q} (a noise multiplier above 1e6 would "
                             f"be needed)")
    while target_epsilon - eps_high > epsilon_tolerance:
        sigma = (sigma_low + sigma_high) / 2
        e = eps(sigma)
        if e < target_epsilon:
            sigma_high, eps_high = sigma, e
        else:
            sigma_low = sigma
    return sigma_high


def warn_if_delta_large(delta, n_samples):
    """DP with delta >= 1/n allows leaking a whole record: say so."""
    if delta * n_samples >= 1:
        warnings.warn(f"DP-SGD: delta={delta} is not below 1/n = {1 / n_samples:.3g} for n = "
                      f"{n_samples} examples; the guarantee is weak. Choose delta < 1/n.",
                      stacklevel=4)

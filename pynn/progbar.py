"""Keras 3's progress bar, line for line:

    verbose=1:  `469/469 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.9222 - loss: 0.2688`
    verbose=2:  `469/469 - 1s - 2ms/step - accuracy: 0.9222 - loss: 0.2688` (once, at the end)

Where pynn deliberately differs from keras/src/utils/progbar.py:

* fit's bar shows the logs as given (``stateless_metrics=set()``, as Keras 3.15's
  ProgbarLogger now passes too): they are the epoch's running aggregates, so
  what the bar shows is what fit returns. (Older Keras averaged them a second
  time, keras #21301.) A bar made by the user (``keras.utils.Progbar``) averages
  the values it is given over the steps, as Keras' does, except the names in
  ``stateful_metrics``.
* In-place redraw (carriage return) only where it works: a terminal or a
  Jupyter kernel. Keras also redraws whenever `posix` is imported, i.e. on every
  Linux/macOS run, which fills CI logs and files with `\\b` and `\\r`. Elsewhere
  pynn prints each update on its own line, as Keras does off-terminal.
* ANSI colour codes only when redrawing on a colour terminal/notebook (and
  NO_COLOR is unset); piped text is plain. The characters are Keras' own.
"""
import math
import os
import sys
import time

import numpy as np


def _in_jupyter_kernel():
    """True inside a running Jupyter kernel (not merely with ipykernel imported)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _dynamic_display():
    if "PYCHARM_HOSTED" in os.environ or _in_jupyter_kernel():
        return True
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdout
        return False


def format_eta(seconds):
    """Keras' ETA: `45s`, `2:31`, `1:02:03` (truncated, not rounded)."""
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def format_per_unit(seconds, unit_name="step"):
    """Keras' time per step: `2s/step`, `12ms/step`, `97us/step` (0 shows `0s/step`)."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1000.0:.0f}ms/{unit_name}"
    return f"{seconds * 1000000.0:.0f}us/{unit_name}"


def _scalar(v):
    # A vector metric (e.g. F1Score(average=None)) shows its mean, as in Keras.
    if not isinstance(v, float):
        v = float(np.mean(v))
    return v


def format_value(v, verbose=1):
    """4 decimals, or scientific notation for tiny values (Keras' rule: `|v| >
    1e-3`; its verbose=2 branch tests `v > 1e-3` without abs, kept for parity)."""
    try:
        v = _scalar(v)
    except (TypeError, ValueError):
        return str(v)
    big = abs(v) > 1e-3 if verbose == 1 else v > 1e-3
    return f"{v:.4f}" if big else f"{v:.4e}"


class Progbar:
    """Displays a progress bar (``keras.utils.Progbar``), as Keras 3 draws it.

    Values given to `update` are averaged over the steps they cover (weighted by
    the steps since the previous update), except the names in
    ``stateful_metrics``, shown as given; ``stateless_metrics`` instead names the
    only ones to average. Keys appear in the order they are first seen.

    Parameters
    ----------
    target : int or None
        Total number of steps expected (None: unknown).
    width : int, default 20
        Width of the bar in characters.
    verbose : int, default 1
        0 silent, 1 the bar redrawn, 2 one line at the end.
    interval : float, default 0.05
        Minimum seconds between redraws.
    stateful_metrics : iterable of str, optional
        Names shown as given, not averaged.
    unit_name : str, default "step"
        The unit of the rate shown ("step", "sample").
    stateless_metrics : iterable of str, optional
        The only names to average (then every other is shown as given).

    Raises
    ------
    ValueError
        Both ``stateful_metrics`` and ``stateless_metrics`` given.

    Examples
    --------
    >>> bar = pynn.utils.Progbar(10, verbose=0)
    >>> for step in range(1, 5):
    ...     bar.update(step, values=[("loss", float(step))])
    >>> bar.average("loss")
    2.5
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step", stateless_metrics=None):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar: give stateful_metrics or stateless_metrics, not both")
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics is not None else None
        self.stateless_metrics = set(stateless_metrics) if stateless_metrics is not None \
            else None
        if self.stateful_metrics is None and self.stateless_metrics is None:
            self.stateful_metrics = set()  # Keras: every value is averaged
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._dynamic_display = _dynamic_display()
        self._color = self._dynamic_display and os.environ.get("NO_COLOR") is None
        self._values = {}
        self._values_order = []
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0
        self._stream = None  # sys.stdout at write time (pytest's capsys swaps it)

    # kept for callers that set the start time of work done before the bar existed
    @property
    def start_time(self):
        """When the bar started (``time.time()``); settable, for work begun before it.

        Returns
        -------
        float

        Examples
        --------
        >>> bar = pynn.utils.Progbar(3, verbose=0)
        >>> bar.start_time = 100.0
        >>> bar.start_time
        100.0
        """
        return self._start

    @start_time.setter
    def start_time(self, t):
        self._start = t

    def _style(self, text, code):
        return f"\x1b[{code}m{text}\x1b[0m" if self._color else text

    def _estimate_step_duration(self, current, now):
        # The first step (tracing, cache warm-up) is not representative: once
        # past it, the estimate uses only the steps after it.
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per = (now - self._time_after_first_step) / (current - 1)
        else:
            per = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per

    def _metrics_text(self):
        return "".join(f" - {k}: {format_value(self.average(k), self.verbose)}"
                       for k in self._values_order)

    def average(self, name):
        """The value shown for ``name``: its average over the steps so far, or the
        latest value for a stateful one.

        Parameters
        ----------
        name : str
            A name passed to `update`.

        Returns
        -------
        float or ndarray

        Raises
        ------
        KeyError
            A name never passed to `update`.

        Examples
        --------
        >>> bar = pynn.utils.Progbar(2, verbose=0, stateful_metrics=["acc"])
        >>> bar.update(1, [("acc", 0.5)]); bar.update(2, [("acc", 0.7)])
        >>> bar.average("acc")
        0.7
        """
        total, count = self._values[name]
        return total / max(count, 1) if count != 1 else total

    def _averaged(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def line(self, current, finalize, now=None, time_per_unit=None):
        """The text of the bar at ``current`` (no carriage return or newline).

        Parameters
        ----------
        current : int
            The step reached.
        finalize : bool
            Whether this is the last update (shows the elapsed time, not the ETA).
        now : float, optional
            The time (default: now).
        time_per_unit : float, optional
            Seconds per step (default: estimated from the updates so far).

        Returns
        -------
        str

        Examples
        --------
        >>> bar = pynn.utils.Progbar(10, verbose=0)
        >>> bar.line(5, False, time_per_unit=0.0)[:5]
        ' 5/10'
        """
        now = time.time() if now is None else now
        if time_per_unit is None:
            time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 2:
            numdigits = int(math.log10(self.target)) + 1
            count = f"%{numdigits}d/%d" % (current, self.target)
            return (f"{count} - {now - self._start:.0f}s - "
                    f"{format_per_unit(time_per_unit, self.unit_name)}" + self._metrics_text())
        if self.target is not None and self.target > 0:
            numdigits = int(math.log10(self.target)) + 1
            bar = self._style(f"%{numdigits}d/%d" % (current, self.target), "1") + " "
            done = int(self.width * float(current) / self.target)
            if done > 0:
                bar += self._style("━" * done, "32")
            bar += self._style("━" * (self.width - done), "37")
        else:
            bar = "%7d/Unknown" % current
        if self.target is not None and self.target > 0 and not finalize:
            timing = format_eta(time_per_unit * (self.target - current))
        else:
            timing = f"{now - self._start:.0f}s"
        info = " " + self._style(timing, "1") + " " + format_per_unit(time_per_unit, self.unit_name)
        return bar + info + self._metrics_text()

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step ``current`` and records values.

        Parameters
        ----------
        current : int
            The step reached.
        values : list of (str, float), optional
            Named values; averaged over the steps they cover unless stateful.
        finalize : bool, optional
            Whether this is the last update (default: ``current >= target``).

        Examples
        --------
        >>> bar = pynn.utils.Progbar(3, verbose=0)
        >>> bar.update(1, [("loss", 3.0)]); bar.update(3, [("loss", 0.0)], finalize=False)
        >>> bar.average("loss")
        1.0
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if self._averaged(k) and not finalize:  # weighted by the steps since the last update
                base = max(current - self._seen_so_far, 1)
                total, count = self._values.get(k, (0.0, 0))
                self._values[k] = (total + v * base, count + base)
            else:  # Keras: a stateful value, or the final one, is shown as given
                self._values[k] = (v, 1)
        self._seen_so_far = current
        now = time.time()
        if self.verbose == 1:
            time_per_unit = self._estimate_step_duration(current, now)
            if now - self._last_update < self.interval and not finalize:
                return
            text = self.line(current, finalize, now, time_per_unit)
            width = len(_strip_ansi(text))
            out = sys.stdout
            if self._dynamic_display:
                pad = " " * max(0, self._prev_total_width - width)
                out.write("\r" + text + pad + ("\n" if finalize else ""))
            else:
                out.write(text + "\n")
            out.flush()
            self._prev_total_width = width
        elif self.verbose == 2:
            time_per_unit = self._estimate_step_duration(current, now)
            if finalize and self.target is not None and self.target > 0:
                sys.stdout.write(self.line(current, True, now, time_per_unit) + "\n")
                sys.stdout.flush()
        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by ``n`` steps (`update` at the step reached plus n).

        Parameters
        ----------
        n : int
            Steps to advance.
        values : list of (str, float), optional
            As for `update`.

        Examples
        --------
        >>> bar = pynn.utils.Progbar(10, verbose=0)
        >>> bar.add(4); bar.add(3)
        >>> bar.line(7, False, time_per_unit=0.0)[:5]
        ' 7/10'
        """
        self.update(self._seen_so_far + n, values)


def _strip_ansi(text):
    import re
    return re.sub(r"\x1b\[[0-9;]*m", "", text)

"""Keras 3's progress bar: `469/469 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - loss: 0.2688`.

Redrawn in place on terminals and in Jupyter (carriage return), one line per
update otherwise (logs, CI)."""
import math
import os
import sys
import time


def _interactive():
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def format_time(seconds):
    """Keras' short durations: 1s, 2:31, 1:02:03."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(round(seconds))}s"


def format_per_step(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def format_value(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if abs(v) > 1e-3 or v == 0:
        return f"{v:.4f}"
    return f"{v:.4e}"


class Progbar:
    def __init__(self, target, width=20, verbose=1, interval=0.05, unit_name="step"):
        self.target, self.width, self.verbose, self.interval = target, width, verbose, interval
        self.unit_name = unit_name
        self.start_time = time.time()
        self._last_update = 0.0
        self._interactive = _interactive()
        self._ansi = self._interactive and os.environ.get("NO_COLOR") is None
        self._prev_len = 0

    def _bar(self, current):
        numdigits = int(math.log10(self.target)) + 1 if self.target else 1
        count = f"{current:{numdigits}d}/{self.target}"
        done = int(self.width * current / self.target) if self.target else self.width
        if self._ansi:
            return (f"\x1b[1m{count}\x1b[0m \x1b[32m{'━' * done}\x1b[0m"
                    f"\x1b[37m{'━' * (self.width - done)}\x1b[0m")
        return f"{count} {'━' * self.width}"

    def line(self, current, values, finalize):
        now = time.time()
        elapsed = now - self.start_time
        per_step = elapsed / current if current else 0.0
        if finalize:
            timing = f"{format_time(elapsed)} {format_per_step(per_step)}"
        else:
            timing = f"{format_time(per_step * (self.target - current))} {format_per_step(per_step)}"
        parts = [f"{k}: {format_value(v)}" for k, v in sorted(values)]
        if self.verbose == 2:
            return " - ".join([f"{current}/{self.target}", format_time(elapsed),
                               format_per_step(per_step)] + parts)
        return " - ".join([f"{self._bar(current)} {timing}"] + parts)

    def update(self, current, values=None, finalize=None):
        values = list(values or [])
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if self.verbose == 0:
            return
        if self.verbose == 2:
            if finalize:
                sys.stdout.write(self.line(current, values, True) + "\n")
                sys.stdout.flush()
            return
        now = time.time()
        if not finalize and now - self._last_update < self.interval:
            return
        self._last_update = now
        text = self.line(current, values, finalize)
        if self._interactive:
            pad = max(0, self._prev_len - len(text))
            sys.stdout.write("\r" + text + " " * pad + ("\n" if finalize else ""))
            self._prev_len = len(text)
        elif finalize:
            sys.stdout.write(text + "\n")
        sys.stdout.flush()

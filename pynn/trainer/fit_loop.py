"""fit's compiled loop: one `_C.Loop` per fit, run once per epoch (or per chunk of
batches when callbacks or the progress bar need Python in between), closed when fit
ends, also on an exception or Ctrl-C.

Callbacks run between the runs and may change what the loop was built from: a
``compile`` (new optimizer, new programs), a layer frozen or unfrozen (a new weight
table and gradient arena, the programs traced again), another gradient hook. Before
every run the loop compares what it was built from with the model as it now is and
is built again when anything differs, so it never steps stale weights with a stale
optimizer. What changes inside those objects needs no rebuild: the learning rate
(LearningRateScheduler, ReduceLROnPlateau), weights written in place (set_weights),
the optimizer's iteration count and state."""


class FitLoop:
    """The loop of one fit over data of the given per-sample shapes.

    `strategy` is the per-batch strategy chosen when fit began (None: the plain
    step; DP-SGD's otherwise). A strategy is planned for one program, arena and
    optimizer, so a callback that changes them under a strategy is refused
    (ValueError) instead of training with a plan made for other weights."""

    def __init__(self, model, y_shapes, x_shapes, strategy):
        self.model, self.y_shapes, self.x_shapes = model, y_shapes, x_shapes
        self.strategy = strategy
        self.loop = self._built_from = None

    def _sources(self):
        """What the loop is built from, as it is now (compared by identity)."""
        m = self.model
        entry = m._program("train", self.y_shapes, self.x_shapes)
        m._build_optimizer()
        opt = m.optimizer
        return (entry, opt, getattr(opt, "_c", None), m._grads, m._gradient_hook)

    def current(self):
        """(the train program's entry, the loop to run now): the loop built at the
        first call and again whenever its sources changed since."""
        sources = self._sources()
        old = self._built_from
        if old is not None and all(a is b for a, b in zip(sources, old)):
            return sources[0], self.loop
        if old is not None:
            self._refuse_under_strategy(old, sources)
            self.loop.close()
            self.loop = None
        self.loop = self.model._open_loop(sources[0], train=True, strategy=self.strategy,
                                          gradient_hook=sources[4])
        self._built_from = sources
        return sources[0], self.loop

    def _refuse_under_strategy(self, old, new):
        from ..optimizers import Optimizer
        opt = new[1]
        own_strategy = type(opt)._fit_strategy is not Optimizer._fit_strategy
        if self.strategy is None and not (own_strategy and opt is not old[1]):
            return
        what = ("the optimizer" if opt is not old[1] or new[2] is not old[2] else
                "the trainable weights or the traced program" if new[0] is not old[0]
                or new[3] is not old[3] else "the gradient hook")
        name = type(old[1] if self.strategy is not None else opt).__name__
        raise ValueError(f"fit: model '{self.model.name}': a callback changed {what} during fit, "
                         f"but the per-batch strategy of {name} was planned for the model as fit "
                         f"began; make such changes between fit() calls")

    def close(self):
        """Releases the loop and what it holds. Idempotent."""
        if self.loop is not None:
            self.loop.close()
            self.loop = self._built_from = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

"""What fit, evaluate and predict do differently under DataParallel on more than
one process. models.py asks `active()` for the plan and calls it at a few
points; with one process there is no plan and nothing here runs.
"""
import contextlib
import io

import numpy as np

from . import _plan
from ._world import ProcessError


def active(what):
    """The running DataParallel's world when it spans more than one process, else None."""
    from . import distribution
    dist = distribution()
    if dist is None or dist.num_processes == 1:
        return None
    return dist


class _Null(io.TextIOBase):
    def write(self, s):
        return len(s)


@contextlib.contextmanager
def process_0_output(world):
    """Only process 0 prints: the others' stdout is discarded (progress bar, callbacks)."""
    if world.rank == 0:
        yield
        return
    with contextlib.redirect_stdout(_Null()):
        yield


@contextlib.contextmanager
def failures_shared(world):
    """An exception on this process is sent to every peer (which raises ProcessError)."""
    try:
        yield
    except ProcessError:
        raise
    except BaseException as e:
        world.fail(e)
        raise


class FitPlan:
    """One distributed fit: broadcast at the start, rows per epoch, the gradient
    hook, global logs."""

    def __init__(self, dist, model, n, batch_size):
        self.world = w = dist._world
        self.auto = dist.auto_shard_dataset
        self.nproc, self.rank = w.size, w.rank
        self.B = batch_size
        self.b = _plan.check_batch(batch_size, self.nproc, "fit")
        got = w.allgather(np.array([n, sum(v.size for v in model.trainable_weights),
                                    sum(v.size for v in model.non_trainable_weights)], np.int64))
        if len({tuple(r) for r in got[:, 1:].tolist()}) != 1:
            raise ValueError(f"fit: the processes hold different models ({got[:, 1].tolist()} "
                             f"trainable and {got[:, 2].tolist()} non-trainable values): every "
                             f"process must build the same model")
        sizes = got[:, 0]
        if self.auto and len(set(sizes.tolist())) != 1:
            raise ValueError(
                f"fit: with DataParallel() (auto_shard_dataset=True) every process must pass the same "
                f"dataset, but the processes have {sizes.tolist()} training rows; pass each process's "
                f"own shard with DataParallel(auto_shard_dataset=False)")
        self.own_totals = None if self.auto else _plan.own_totals(sizes, batch_size, self.nproc)
        self.n_local, self.n_total = n, (n if self.auto else int(sizes.sum()))
        self.totals, self.step = [], 0
        self.dp = None

    # ------------------------------------------------------------ start of fit
    def broadcast_state(self, model, rng):
        """Process 0's weights, optimizer state and shuffling generator, everywhere."""
        w = self.world
        for weights in (model.trainable_weights, model.non_trainable_weights):
            _scatter(w.bcast_(_flat(weights)), weights)  # one message for each kind
        opt = model.optimizer
        for a in opt._state_arrays():
            w.bcast_(a)
        it = w.bcast_(np.array([opt._raw_iterations], np.int64))
        opt._set_raw_iterations(int(it[0]))
        # the numpy generator (PCG64): 128-bit state and increment as 4 words
        st = rng.bit_generator.state
        words = np.array([st["state"]["state"] >> 64, st["state"]["state"] & (2**64 - 1),
                          st["state"]["inc"] >> 64, st["state"]["inc"] & (2**64 - 1)], np.uint64)
        w.bcast_(words)
        st["state"]["state"] = (int(words[0]) << 64) | int(words[1])
        st["state"]["inc"] = (int(words[2]) << 64) | int(words[3])
        st["has_uint32"], st["uinteger"] = 0, 0
        rng.bit_generator.state = st
        if self.rank:
            # Dropout draws its masks from the engine's stream: left equal, every process
            # would drop the same units for the same local row. The others take streams
            # of their own; process 0 keeps one process's.
            from .. import _C
            _C.set_seed(_mix(_C.random_u64(), self.rank))

    def fit_strategy(self, model, epochs, entry):
        """The optimizer's per-batch strategy for this process (None: the plain step).
        DP-SGD's: this process clips its own rows and adds no noise (the hook adds it
        once, on process 0, before the allreduce); the sampling rate, the divisor and
        the accountant are the global ones."""
        opt = model.optimizer
        if not getattr(opt, "_fit_strategy_shards", False):
            strategy = opt._fit_strategy(model, self.n_total, self.B, epochs, entry)
            if strategy is not None:
                raise ValueError(f"fit: the optimizer {type(opt).__name__} drives the loop with a "
                                 f"strategy of its own, which DataParallel cannot split over "
                                 f"processes")
            return None
        if opt._key is None and not opt.secure_mode:  # process 0's key everywhere
            from .. import _C
            opt._key = int(self.world.bcast_(np.array([_C.random_u64()], np.uint64))[0])
        key = opt._key or 0
        self.poisson = opt.poisson_sampling
        if self.poisson:
            # each process Poisson-samples its own rows (a fixed contiguous part, or its
            # shard) with draws of its own: independent inclusions, as on one process
            start, stop, _ = _plan.split_rows(self.n_local, self.nproc if self.auto else 1,
                                              self.rank if self.auto else 0)
            self.dp_rows = np.arange(start, stop, dtype=np.int64)
            n_rows, sample_key = stop - start, _mix(key, self.rank + 1)
        else:  # fit's fixed batches, split as without DP; the key only seeds noise
            full, r = divmod(self.n_local, self.B) if self.auto else (0, 0)
            n_rows = (full * self.b + r // self.nproc + (self.rank < r % self.nproc)
                      if self.auto else self.n_local)
            sample_key = key
        strategy = opt._fit_strategy(model, self.n_total, self.B, epochs, entry,
                                     shard=(n_rows, self.b, sample_key))
        self.dp, self.dp_key, self.dp_step = strategy.state, key, strategy.state.step
        self.dp_std = opt.noise_multiplier * opt.l2_norm_clip
        self.dp_stream = opt.stream_version
        return strategy

    # ------------------------------------------------------------ each epoch
    def epoch(self, perm, data, n):
        """This process's data for the epoch (a gathered copy), its batch size, its
        number of batches and the number of global steps."""
        if self.dp is not None and self.poisson:
            # Poisson steps draw their own rows: the loop only counts the steps
            steps = (self.n_total + self.B - 1) // self.B
            if len(self.dp_rows) < steps:
                raise ValueError(f"fit: DP-SGD with {self.nproc} processes needs at least {steps} "
                                 f"rows per process, this one has {len(self.dp_rows)}")
            self.totals, self.step = [None] * steps, 0
            return [np.ascontiguousarray(a[self.dp_rows]) for a in data], 1, steps, steps
        if self.auto:
            order = perm if perm is not None else np.arange(n, dtype=np.int64)
            rows, self.totals = _plan.shared_slices(order, self.B, self.nproc, self.rank)
        else:
            rows = perm if perm is not None else np.arange(n, dtype=np.int64)
            self.totals = self.own_totals
        local = [np.ascontiguousarray(a[rows]) for a in data]
        self.step = 0
        return local, self.b, (len(rows) + self.b - 1) // self.b, len(self.totals)

    def hook(self, grads, rows):
        """The gradient hook: this process's mean gradient weighted by its share of
        the global batch, summed over all processes in one in-place allreduce.
        Under DP-SGD grads is this process's sum of clipped gradients: process 0
        adds the noise, the allreduce sums, and the loop divides (Poisson: by the
        global expected batch size; fixed batches: by `rows`, hence the scaling)."""
        total = self.totals[self.step]
        if self.dp is None:
            grads *= np.float32(rows / total)
            self.world.allreduce_(grads)
        else:
            self._dp_noise(grads)
            self.world.allreduce_(grads)
            if not self.poisson:
                grads *= np.float32(rows / total)
            self.dp_step += 1
        self.step += 1

    def _dp_noise(self, grads):
        if self.rank == 0 and self.dp_std > 0:  # once per global step, as dp.c draws it
            from .. import _C
            z = _C.dp_seeded_noise(self.dp_key, self.dp_step, grads.size, self.dp_stream)
            grads += (self.dp_std * z).astype(np.float32)

    def empty_step(self, model, entry, data):
        """The step of a process without a row in the last global batch (fewer rows
        than processes): one row's backward whose gradient zero_hook replaces by
        zeros; its loss and metrics are not counted."""
        row = [np.ascontiguousarray(a[:1]) for a in data]
        acc = np.zeros(max(1, sum(s.size for s in entry["stats"])), np.float64)
        with model._open_loop(entry, train=True, gradient_hook=self.zero_hook) as loop:
            _, _, d, _ = loop.run(row, 1, 0, 1, acc=acc)
        if self.dp is not None:  # this process's DP state counts the step too
            self.dp.step = self.dp.step + 1
        return d

    def zero_hook(self, grads, rows):
        """A process without a row in the last global batch: it contributes zero
        and still joins the allreduce, so every process takes the same step."""
        grads[:] = 0.0
        self.world.allreduce_(grads)
        if self.dp is not None:  # the others' clipped sums and noise: their mean here
            grads *= np.float32(1.0 / self.totals[self.step])
            self.dp_step += 1
        self.step += 1

    # ------------------------------------------------------------ logs
    def reduce(self, loss_sum, count, acc, dt):
        """Global loss sum, count and metric statistics, and the mean chunk time
        (so that every process runs the same number of batches per call)."""
        v = np.concatenate([[loss_sum, count, dt], acc]).astype(np.float64)
        self.world.allreduce_(v)
        return v[0], v[1], v[3:], v[2] / self.nproc

    def agree(self, flag):
        """True on every process if it is True on any (stop_training)."""
        return bool(self.world.allreduce_(np.array([1.0 if flag else 0.0]), op="max")[0])

    def average_frozen(self, model):
        """The non-trainable weights (BatchNormalization's moving statistics, updated
        by each process from its own rows): process 0's value plus the mean
        difference, which leaves identical values exactly as they are."""
        weights = model.non_trainable_weights
        frozen = _flat(weights)
        if not frozen.size:
            return
        base = self.world.bcast_(frozen.copy())
        diff = (frozen - base).astype(np.float64)
        self.world.allreduce_(diff)
        _scatter(base + (diff / self.nproc).astype(np.float32), weights)


def _flat(weights):
    """The weights' values end to end (they live apart: each where it was born)."""
    return np.concatenate([w.ravel() for w in weights]) if weights else np.zeros(0, np.float32)


def _scatter(flat, weights):
    """Writes `flat` (as `_flat` lays it out) back into the weights, in place."""
    off = 0
    for w in weights:
        w[...] = flat[off:off + w.size].reshape(w.shape)
        off += w.size


def _mix(key, i):
    """A sampling key per process, derived from the shared one."""
    z = (key + 0x9E3779B97F4A7C15 * i) & (2**64 - 1)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
    return z ^ (z >> 31)


def eval_rows(dist, n, batch_size, what):
    """The rows of an evaluate / predict pass for each process (a list, process
    order) and the local batch size: with the same data everywhere, each
    process's share of every global batch; with own shards, all of its own."""
    w = dist._world
    b = _plan.check_batch(batch_size, w.size, what)
    sizes = w.allgather(np.array([n], np.int64))[:, 0].tolist()
    if not dist.auto_shard_dataset:
        return [np.arange(s, dtype=np.int64) for s in sizes], b
    if len(set(sizes)) != 1:
        raise ValueError(f"{what}: with DataParallel() every process must pass the same data, but "
                         f"the processes have {sizes} rows; pass each process's own shard with "
                         f"DataParallel(auto_shard_dataset=False)")
    order = np.arange(n, dtype=np.int64)
    return [_plan.shared_slices(order, batch_size, w.size, p)[0] for p in range(w.size)], b


def eval_data(dist, data, batch_size, what):
    """evaluate's data for this process, its batch size and number of batches, and
    the number of steps every process loops over (the largest)."""
    every, b = eval_rows(dist, len(data[0]), batch_size, what)
    mine = every[dist._world.rank]
    local = [np.ascontiguousarray(a[mine]) for a in data] if dist.auto_shard_dataset else data
    steps = max((len(r) + b - 1) // b for r in every)
    return local, b, (len(mine) + b - 1) // b, steps


def reduce_eval(dist, ls, lc, acc):
    v = np.concatenate([[ls, lc], acc]).astype(np.float64)
    dist._world.allreduce_(v)
    return v[0], v[1], v[2:]


def predict(dist, model, x, batch_size, callbacks):
    """Each process predicts its rows; every process returns the whole result, in
    the order of x (with own shards: the shards concatenated in process order)."""
    from ..trainer.data import prepare_x
    xs = prepare_x(model, x)
    every, b = eval_rows(dist, xs[0].shape[0], batch_size, "predict")
    mine = every[dist._world.rank]
    pick = mine if dist.auto_shard_dataset and len(mine) else slice(0, max(1, len(mine)))
    local = [a[pick] for a in xs]
    outs = model._predict(local[0] if len(local) == 1 else local, b, callbacks)
    outs = [o[:len(mine)] for o in (outs if isinstance(outs, list) else [outs])]
    counts = [len(r) for r in every]
    full = []
    for o in outs:
        gathered = dist._world.allgatherv(o, counts)
        if dist.auto_shard_dataset:  # back to the order of x
            placed = np.empty_like(gathered)
            placed[np.concatenate(every)] = gathered
            gathered = placed
        full.append(gathered)
    return full[0] if len(full) == 1 else full

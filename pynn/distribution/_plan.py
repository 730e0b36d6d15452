"""Which rows each process trains on: the arithmetic of global batches, apart
from MPI so that it can be checked in one process.

`batch_size` is the global batch B; with P processes each computes B / P rows of
every global batch. Step k's gradient must be the mean over the whole global
batch, sum_p rows_p(k) g_p(k) / R(k), where g_p is process p's mean over its own
rows and R(k) = sum_p rows_p(k): each process scales its gradient by
rows_p(k) / R(k) before the allreduce sums them.
"""
import numpy as np


def check_batch(batch_size, nproc, what="fit"):
    if batch_size % nproc:
        raise ValueError(
            f"{what}: under DataParallel batch_size is the global batch, split evenly over the "
            f"processes, so it must be divisible by the number of processes: batch_size="
            f"{batch_size}, {nproc} processes (use e.g. batch_size={nproc * max(1, batch_size // nproc)})")
    return batch_size // nproc


def shared_slices(order, batch_size, nproc, rank):
    """Every process reads the same n rows (in `order`, the epoch's permutation).

    Returns ``(rows, totals)``: the indices this process trains on, in step order
    (its B/P rows of each global batch), and the global batch size R(k) of each
    step. The last, partial global batch of r rows is split as evenly as
    possible; when r < P some processes have no row in it, and `rows_of_step`
    tells them to take a zero-weight step (see fit).
    """
    n = len(order)
    b = batch_size // nproc
    full = n // batch_size
    r = n - full * batch_size
    mine = order[:full * batch_size].reshape(full, nproc, b)[:, rank, :].reshape(-1)
    totals = [batch_size] * full
    if r:
        sizes = [r // nproc + (p < r % nproc) for p in range(nproc)]
        start = full * batch_size + sum(sizes[:rank])
        mine = np.concatenate([mine, order[start:start + sizes[rank]]])
        totals.append(r)
    return mine, totals


def own_totals(shard_sizes, batch_size, nproc, what="fit"):
    """Every process reads its own shard: the global batch size of each step.

    The shards must give every process the same number of local batches of
    B / P rows (a process without a batch would leave the others waiting).
    """
    b = batch_size // nproc
    steps = [(int(s) + b - 1) // b for s in shard_sizes]
    if len(set(steps)) != 1 or steps[0] == 0:
        raise ValueError(
            f"{what}: with DataParallel(auto_shard_dataset=False) every process must have the same "
            f"number of local batches of batch_size / processes = {b} rows; the shards have "
            f"{[int(s) for s in shard_sizes]} rows, i.e. {steps} batches")
    return [sum(min(b, int(s) - k * b) for s in shard_sizes) for k in range(steps[0])]


def split_rows(n, nproc, rank):
    """Contiguous, near-equal split of n rows: this process's [start, stop) and all counts."""
    counts = [n // nproc + (p < n % nproc) for p in range(nproc)]
    start = sum(counts[:rank])
    return start, start + counts[rank], counts

"""Data-parallel training across processes and machines on MPI (mpi4py + Open MPI).

With Keras 3's names::

    pynn.distribution.initialize()                     # reads the MPI world
    pynn.distribution.set_distribution(pynn.distribution.DataParallel())
    model.fit(x, y, batch_size=64, epochs=5)           # 64 = the GLOBAL batch

The same script runs as ``python train.py`` (one process: nothing changes) or as
``mpiexec -n 4 python train.py``. Every process reads the same data and
computes its quarter of every global batch; after backward the gradients are
summed with one in-place allreduce of the whole gradient arena per step, and
every process takes the same optimizer step. Process 0's weights, optimizer
state and shuffling generator are broadcast at the start of each fit. Losses and
metrics are reduced over the processes (the progress bar, History and callbacks
see global values, so EarlyStopping and ReduceLROnPlateau decide identically
everywhere); only process 0 prints and runs the callbacks that write files
(ModelCheckpoint, CSVLogger, BackupAndRestore). ``evaluate`` is distributed
the same way and ``predict`` returns the full result on every process. Every
process must call fit / evaluate / predict, as with any collective.

Needs the extra ``pip install 'pynn-dl[mpi]'``; mpi4py is imported only when the
process was started by an MPI launcher (mpiexec, srun).
"""
from . import _world
from ._world import ProcessError

__all__ = ["DataParallel", "ProcessError", "distribution", "initialize", "num_processes",
           "process_id", "set_distribution"]

_state = {"world": None, "initialized": False, "distribution": None}


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Joins the MPI world this process was started in (Keras 3's ``initialize``).

    Under ``mpiexec``/``srun`` this imports mpi4py and reads the world's size and
    this process's rank; started plainly (``python train.py``) it is a no-op and
    the run is one process. Safe to call more than once.

    Parameters
    ----------
    job_addresses : str, optional
        Accepted for Keras compatibility; MPI's launcher knows the hosts (give them
        to ``mpiexec --hostfile``), so it must be None.
    num_processes : int, optional
        If given, checked against the world the launcher started.
    process_id : int, optional
        If given, checked against this process's rank.

    Returns
    -------
    None

    Raises
    ------
    ImportError
        Started by an MPI launcher but mpi4py is not installed (the message gives
        the pip command).
    ValueError
        ``job_addresses`` given, or ``num_processes``/``process_id`` that differ
        from the launcher's.
    RuntimeError
        Started by ``srun`` as one of several tasks without MPI's process
        management (PMI): each would train alone.

    Examples
    --------
    >>> pynn.distribution.initialize()          # plain python: one process
    >>> pynn.distribution.num_processes(), pynn.distribution.process_id()
    (1, 0)
    """
    if job_addresses is not None:
        raise ValueError("initialize: job_addresses is not used with MPI: start the processes with "
                         "mpiexec (-n N, --hostfile for several machines) or srun")
    if not _state["initialized"]:
        _world.refuse_srun_without_pmi()
        if _world.launched_by_mpi():
            MPI = _world.import_mpi()
            _state["world"] = _world.World(MPI, MPI.COMM_WORLD)
        _state["initialized"] = True
    if num_processes is not None and num_processes != _num():
        raise ValueError(f"initialize: num_processes={num_processes}, but the launcher started "
                         f"{_num()} process(es)")
    if process_id is not None and process_id != _rank():
        raise ValueError(f"initialize: process_id={process_id}, but this process has rank {_rank()}")


def _num():
    w = _state["world"]
    return 1 if w is None else w.size


def _rank():
    w = _state["world"]
    return 0 if w is None else w.rank


def num_processes():
    """The number of processes in the job (1 when not started by an MPI launcher).

    Returns
    -------
    int

    Examples
    --------
    >>> pynn.distribution.num_processes()
    1
    """
    initialize()
    return _num()


def process_id():
    """This process's rank, from 0 to ``num_processes() - 1``; 0 is the one that prints.

    Returns
    -------
    int

    Examples
    --------
    >>> pynn.distribution.process_id()
    0
    """
    initialize()
    return _rank()


class DataParallel:
    """Data parallelism over the processes of an MPI job (Keras 3's ``DataParallel``).

    Every process holds the whole model; each global batch is split evenly over
    the processes and the gradients are summed with one allreduce per step.

    Parameters
    ----------
    device_mesh, devices
        Keras' accelerator arguments; pynn runs one CPU process per replica, so
        they must be None (choose the processes with ``mpiexec -n``).
    auto_shard_dataset : bool, default True
        True: every process passes the same dataset to fit/evaluate/predict and
        takes its share of each global batch. False: each process passes its own
        shard; every shard must give the same number of batches of
        ``batch_size / num_processes`` rows.

    Attributes
    ----------
    num_processes : int
        Processes in the job.
    process_id : int
        This process's rank.

    Raises
    ------
    ValueError
        ``device_mesh`` or ``devices`` given.
    ImportError
        Under an MPI launcher without mpi4py.

    Examples
    --------
    >>> dp = pynn.distribution.DataParallel()
    >>> dp.num_processes, dp.process_id
    (1, 0)
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None or devices is not None:
            raise ValueError("DataParallel: pynn runs one CPU process per replica; device_mesh and "
                             "devices must be None (start N processes with mpiexec -n N)")
        if not isinstance(auto_shard_dataset, bool):
            raise TypeError(f"DataParallel: auto_shard_dataset must be True or False, got "
                            f"{auto_shard_dataset!r}")
        initialize()
        self._world = _state["world"]
        self.auto_shard_dataset = auto_shard_dataset

    @property
    def num_processes(self):
        """Processes in the job (1 when not started by an MPI launcher)."""
        return _num()

    @property
    def process_id(self):
        """This process's rank (0 prints and writes files)."""
        return _rank()

    def __repr__(self):
        return (f"<DataParallel num_processes={self.num_processes} "
                f"auto_shard_dataset={self.auto_shard_dataset}>")


def set_distribution(value):
    """Makes ``value`` the distribution fit/evaluate/predict use (None: none).

    Parameters
    ----------
    value : DataParallel or None

    Returns
    -------
    None

    Raises
    ------
    TypeError
        ``value`` is not a DataParallel or None.

    Examples
    --------
    >>> pynn.distribution.set_distribution(pynn.distribution.DataParallel())
    >>> pynn.distribution.distribution()
    <DataParallel num_processes=1 auto_shard_dataset=True>
    >>> pynn.distribution.set_distribution(None)
    """
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(f"set_distribution expects a pynn.distribution.DataParallel or None, got "
                        f"{type(value).__name__}")
    _state["distribution"] = value


def distribution():
    """The distribution set by ``set_distribution`` (None if none).

    Returns
    -------
    DataParallel or None

    Examples
    --------
    >>> pynn.distribution.distribution() is None
    True
    """
    return _state["distribution"]

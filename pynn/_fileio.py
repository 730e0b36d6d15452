"""Opening files that someone else may have made: the loaders of pynn (models,
weights, word vectors, datasets) read only regular files, and know the file's
real size before they trust any size written inside it.

A FIFO would block the open (and then every read) forever, /dev/zero or
/dev/urandom never end, and a directory is not data: they are refused with a
ValueError naming the path and what it is, before anything is read."""
import os
import stat

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a directory"))


def _kind(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path, what="file"):
    """(binary file object, size in bytes) of the regular file at `path`.

    Opened non-blocking so that a FIFO cannot hang the open itself; the check
    is made on the opened descriptor (fstat), so a path swapped between a check
    and the open cannot slip through."""
    path = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"No such file: {path!r}") from None
    except IsADirectoryError:
        raise ValueError(f"{path!r} is a directory, not a {what}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{path!r} is {_kind(st.st_mode)}, not a {what}: pynn reads only "
                             f"regular files")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return f, st.st_size


def check_regular(path, what="file"):
    """Raises ValueError unless `path` is a regular file (FileNotFoundError if absent)."""
    f, _ = open_regular(path, what)
    f.close()

"""One kernel at a time for the notebooks whose broker names are fixed (04, 05 and 10).

    ownership.claim("04", "its nb04- topic and queues")   # in the Setup cell, before it resets anything

A claim is an exclusive `flock` on `nbNN.lock` in the data folder, held for as long as the kernel lives: the
kernel's end releases it, a crash included. Running the Setup cell again keeps this kernel's claim; a second
kernel's Setup is refused with what to do, before it can delete the first kernel's topics and queues.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import TextIO

from helpers import config

_HELD: dict[str, TextIO] = {}  # notebook -> its open, locked file, for the life of this process


def claim(notebook: str, owns: str) -> Path:
    """This kernel's claim on a notebook's broker names (its lock file); RuntimeError with the fix if another has it."""
    if notebook not in _HELD:
        lock = config.data_path(f"nb{notebook}.lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise RuntimeError(f"another kernel is running notebook {notebook} and owns {owns}: shut that kernel "
                               "down (Kernel > Shut Down Kernel in its tab), then re-run this cell") from None
        _HELD[notebook] = lock
    return Path(_HELD[notebook].name)

"""A readers-writer lock: questions search side by side, a write waits for them alone.

FAISS may search one index from many threads at once but not while it is
being added to, so searches share the lock and in-place writes take it whole.
A waiting writer holds new readers back, so a stream of questions cannot
starve an upload.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    def __init__(self) -> None:
        self._state = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._state:
            while self._writing or self._writers_waiting:
                self._state.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._state:
                self._readers -= 1
                if not self._readers:
                    self._state.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._state:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._state.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._state:
                self._writing = False
                self._state.notify_all()

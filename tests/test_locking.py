"""The readers-writer lock: readers overlap, a writer is alone and is not starved."""

from __future__ import annotations

import threading
import time

from index.locking import ReadWriteLock


def test_readers_hold_the_lock_together() -> None:
    lock = ReadWriteLock()
    inside = threading.Barrier(2, timeout=5)

    def reader() -> None:
        with lock.read():
            inside.wait()  # both readers must be inside at once, or this times out

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not inside.broken and not any(t.is_alive() for t in threads)


def test_a_writer_waits_for_readers_and_holds_new_readers_back() -> None:
    lock = ReadWriteLock()
    events: list[str] = []
    reading = threading.Event()
    release = threading.Event()

    def first_reader() -> None:
        with lock.read():
            reading.set()
            release.wait(timeout=5)
            events.append("first reader out")

    def writer() -> None:
        with lock.write():
            events.append("writer")

    def late_reader() -> None:
        with lock.read():
            events.append("late reader")

    threads = [threading.Thread(target=first_reader)]
    threads[0].start()
    assert reading.wait(timeout=5)
    threads.append(threading.Thread(target=writer))
    threads[1].start()
    deadline = time.monotonic() + 5
    while not lock._writers_waiting and time.monotonic() < deadline:
        time.sleep(0.001)
    threads.append(threading.Thread(target=late_reader))
    threads[2].start()
    time.sleep(0.05)
    assert events == []
    release.set()
    for t in threads:
        t.join(timeout=10)
    assert events == ["first reader out", "writer", "late reader"]

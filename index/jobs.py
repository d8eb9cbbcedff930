"""Background index rebuilds that callers can follow: one at a time, with progress."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from index.builder import Progress
from index.store import StoreError


class JobConflictError(StoreError):
    """A rebuild is already running."""


@dataclass(frozen=True)
class Job:
    id: str
    state: str
    """queued, running, done or failed."""
    done: int = 0
    total: int = 0
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None


class RebuildJobs:
    """Runs ``rebuild(progress)`` in a thread; a second start while one runs is refused."""

    def __init__(self, rebuild: Callable[[Progress], object]) -> None:
        self._rebuild = rebuild
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._running: str | None = None

    def start(self) -> Job:
        with self._lock:
            if self._running is not None:
                raise JobConflictError(f"rebuild {self._running} is still running")
            job = Job(id=uuid.uuid4().hex[:12], state="queued", started_at=time.time())
            self._jobs[job.id] = job
            self._running = job.id
        threading.Thread(target=self._run, args=(job.id,), daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout: float) -> Job | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.state in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)  # type: ignore[arg-type]

    def _run(self, job_id: str) -> None:
        self._update(job_id, state="running")
        try:
            self._rebuild(lambda done, total: self._update(job_id, done=done, total=total))
        except Exception as exc:  # noqa: BLE001 - the job reports any failure to its caller
            self._update(job_id, state="failed", error=str(exc), finished_at=time.time())
        else:
            self._update(job_id, state="done", finished_at=time.time())
        finally:
            with self._lock:
                self._running = None

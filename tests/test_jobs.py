import threading

import pytest

from index.jobs import JobConflictError, RebuildJobs


def test_second_start_while_running_is_refused_with_blocking_fake_rebuild() -> None:
    release = threading.Event()

    def slow_rebuild(progress) -> None:
        progress(1, 4)
        assert release.wait(10)
        progress(4, 4)

    jobs = RebuildJobs(slow_rebuild)
    job = jobs.start()
    with pytest.raises(JobConflictError):
        jobs.start()
    release.set()
    finished = jobs.wait(job.id, timeout=10)
    assert finished is not None and finished.state == "done"
    assert (finished.done, finished.total) == (4, 4)
    assert jobs.start().id != job.id


def test_failed_rebuild_reports_its_error() -> None:
    def broken(progress) -> None:
        raise RuntimeError("disk full")

    jobs = RebuildJobs(broken)
    finished = jobs.wait(jobs.start().id, timeout=10)
    assert finished is not None and finished.state == "failed"
    assert finished.error == "disk full"

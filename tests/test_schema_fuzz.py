"""Schemathesis over the OpenAPI schema against a real uvicorn: no 5xx, responses as documented.

It runs on a private copy of the seed index, so generated uploads, deletes and
rebuilds are allowed. Examples per operation are capped to keep it under a minute.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api.app import create_app
from tests.conftest import Server, start_server

EXAMPLES_PER_OPERATION = 100
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]

cases_run: list[tuple[str, str]] = []
"""(operation, request) per case; requests include probes of undocumented methods."""


@pytest.fixture(scope="module")
def fuzz_server(seed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(seed_data_dir, data_dir)
    server = start_server(data_dir)
    yield server
    server.stop()
    operations = len({label for label, _ in cases_run})
    print(f"schemathesis ran {len(cases_run)} cases over {operations} operations")


# The schema the app itself generates, loaded eagerly: schemathesis's lazy fixture loader
# does not work with pytest 9 (it sets `node._nodeid`, which pytest no longer has).
schema = schemathesis.openapi.from_dict(create_app().openapi())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_response_is_documented_and_no_5xx(
    case: schemathesis.Case, fuzz_server: Server
) -> None:
    cases_run.append((case.operation.label, f"{case.method} {case.path}"))
    case.call_and_validate(base_url=fuzz_server.url, checks=CHECKS, timeout=60)

"""Schemathesis against each running service's OpenAPI: no 500, no response outside the schema."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import Stack

pytestmark = pytest.mark.e2e

ROOT = str(Path(__file__).resolve().parents[2])
HOOKS = "tests.e2e.schemathesis_hooks"
"""Signs each generated gateway call, so that what parses reaches the handlers."""
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
LOOPBACK = "127.0.0.1,localhost,::1"


def loopback_off_the_proxy(env: dict[str, str]) -> dict[str, str]:
    """Schemathesis' HTTP client honours proxy variables: the stack on loopback is reached
    directly, whatever proxy the machine sets."""
    out = dict(env)
    for name in ("NO_PROXY", "no_proxy"):
        out[name] = ",".join(part for part in (env.get(name), LOOPBACK) if part)
    return out


@pytest.mark.parametrize("service", ["treating", "hub", "insured"])
def test_no_server_error_and_no_schema_violation(stack: Stack, service: str) -> None:
    url = {"treating": stack.treating_url, "hub": stack.hub_url, "insured": stack.insured_url}[
        service
    ]
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    if st is None:
        pytest.fail("schemathesis is a dev dependency: pip install -e '.[dev]'")
    result = subprocess.run(
        [
            st,
            "run",
            f"{url}/openapi.json",
            "--max-examples",
            "60" if service == "treating" else "15",
            "--checks",
            CHECKS,
            "--workers",
            "1",
            "--seed",
            "20261123",
            "--request-timeout",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env=loopback_off_the_proxy({**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": ROOT}),
    )
    assert result.returncode == 0, result.stdout[-4000:]

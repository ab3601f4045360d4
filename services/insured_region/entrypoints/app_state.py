"""What the app keeps for its routes (set at start-up by ``api.create_app``)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request

from services.insured_region.domain.policy import RegionPolicy
from shared.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def policies_of(request: Request) -> Mapping[str, RegionPolicy]:
    policies: Mapping[str, RegionPolicy] = request.app.state.policies
    return policies


def person_index_key_of(request: Request) -> bytes:
    key: bytes = request.app.state.person_index_key
    return key

"""The public policy read: the policy in force for a region (no personal data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.insured_region.entrypoints.app_state import policies_of
from services.insured_region.entrypoints.schemas import policy_out
from shared.errors import E5001, RelayError

router = APIRouter()


@router.get(
    "/policies/{admdvs}",
    tags=["policy"],
    summary="The policy in force for a region (public: no personal data)",
)
async def read_policy(request: Request, admdvs: str) -> dict[str, Any]:
    policy = policies_of(request).get(admdvs)
    if policy is None:
        raise RelayError(E5001, detail=f"没有 {admdvs} 的医保政策")
    return policy_out(policy)

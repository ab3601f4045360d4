"""conformance timeout: how long a session's timeout scenario holds a settlement's answer, and
which scenario armed a rule

Revision ID: 8e2a6c4f1b37
Revises: 5d1f3b7a9c24
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e2a6c4f1b37"
down_revision: str | None = "5d1f3b7a9c24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "conformance_session",
        sa.Column("slow_reply_seconds", sa.Numeric(8, 2), nullable=False, server_default="35"),
    )
    op.alter_column("conformance_session", "slow_reply_seconds", server_default=None)
    op.add_column("forced_outcome_rule", sa.Column("scenario", sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column("forced_outcome_rule", "scenario")
    op.drop_column("conformance_session", "slow_reply_seconds")

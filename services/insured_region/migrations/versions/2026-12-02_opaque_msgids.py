"""opaque msgids up to 40 characters (design §3: real clients send 28–30, some more)

Revision ID: 5d2f0c9e8a41
Revises: 651cffb02f4d
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2f0c9e8a41"
down_revision: str | None = "651cffb02f4d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MSGIDS = (
    ("filing", "msgid", True),
    ("chronic_filing", "msgid", True),
    ("settlement", "medins_setl_id", False),
    ("reversal_tombstone", "omsgid", False),
    ("reversal_tombstone", "msgid", False),
    ("reversal", "msgid", False),
    ("reversal", "omsgid", False),
    ("owed_reply", "msgid", False),
)


def upgrade() -> None:
    for table, column, nullable in _MSGIDS:
        op.alter_column(
            table,
            column,
            type_=sa.String(length=40),
            existing_type=sa.String(length=30),
            existing_nullable=nullable,
        )


def downgrade() -> None:
    for table, column, nullable in _MSGIDS:
        op.alter_column(
            table,
            column,
            type_=sa.String(length=30),
            existing_type=sa.String(length=40),
            existing_nullable=nullable,
        )

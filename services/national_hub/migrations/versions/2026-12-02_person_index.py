"""person index: certificate (keyed hash) → insured region, for 1101 without it (design §4)

Revision ID: 8e4b2f61c0d7
Revises: 6452a639e69e
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e4b2f61c0d7"
down_revision: str | None = "6452a639e69e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_index",
        sa.Column("certno_hash", sa.String(length=64), nullable=False),
        sa.Column("psn_cert_type", sa.String(length=2), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("certno_hash", "psn_cert_type", name=op.f("pk_person_index")),
    )


def downgrade() -> None:
    op.drop_table("person_index")

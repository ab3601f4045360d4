"""conformance kit: test sessions, what they saw, forced-outcome rules, and the mark a forced
outcome leaves on the hospital message

Revision ID: 5d1f3b7a9c24
Revises: 2c8f4a6e9d13
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d1f3b7a9c24"
down_revision: str | None = "2c8f4a6e9d13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hospital_message", sa.Column("forced", sa.String(length=60), nullable=True))
    op.create_table(
        "conformance_session",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("scenarios", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("lost_reply_minutes", sa.Numeric(8, 2), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conformance_session")),
    )
    op.create_index(
        op.f("ix_conformance_session_fixmedins_code"),
        "conformance_session",
        ["fixmedins_code"],
    )
    op.create_table(
        "conformance_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("msgid", sa.String(length=40), nullable=False),
        sa.Column("infno", sa.String(length=10), nullable=False),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("err_code", sa.String(length=5), nullable=True),
        sa.Column("output", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("forced", sa.String(length=60), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["conformance_session.id"],
            name=op.f("fk_conformance_event_session_id_conformance_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conformance_event")),
    )
    op.create_index(op.f("ix_conformance_event_session_id"), "conformance_event", ["session_id"])
    op.create_table(
        "forced_outcome_rule",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("infnos", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("msgid", sa.String(length=40), nullable=True),
        sa.Column("psn_no", sa.String(length=40), nullable=True),
        sa.Column("min_amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("max_amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("err_code", sa.String(length=5), nullable=True),
        sa.Column("err_msg", sa.String(length=200), nullable=True),
        sa.Column("delay_s", sa.Numeric(8, 2), nullable=True),
        sa.Column("remaining", sa.BigInteger(), nullable=True),
        sa.Column("session_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["conformance_session.id"],
            name=op.f("fk_forced_outcome_rule_session_id_conformance_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forced_outcome_rule")),
    )


def downgrade() -> None:
    op.drop_table("forced_outcome_rule")
    op.drop_index(op.f("ix_conformance_event_session_id"), table_name="conformance_event")
    op.drop_table("conformance_event")
    op.drop_index(op.f("ix_conformance_session_fixmedins_code"), table_name="conformance_session")
    op.drop_table("conformance_session")
    op.drop_column("hospital_message", "forced")

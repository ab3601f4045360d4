"""opaque msgids up to 40 characters, 9001 sign-ins, nonces remembered with their timestamp

Revision ID: c3e1a7d05b12
Revises: a84cd922847f
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e1a7d05b12"
down_revision: str | None = "a84cd922847f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MSGIDS = (
    ("hospital_message", "msgid", False),
    ("hospital_message", "inf_refmsgid", False),
    ("fee_line", "msgid", True),
    ("settlement", "msgid", False),
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
    op.add_column("hospital_message", sa.Column("sign_no", sa.String(length=64), nullable=True))
    # short random nonces recur across timestamps: a nonce is unique per timestamp
    op.execute("DELETE FROM request_nonce")
    op.drop_constraint("pk_request_nonce", "request_nonce", type_="primary")
    op.add_column("request_nonce", sa.Column("stamp", sa.String(length=20), nullable=False))
    op.alter_column(
        "request_nonce",
        "nonce",
        type_=sa.String(length=128),
        existing_type=sa.String(length=64),
        existing_nullable=False,
    )
    op.create_primary_key("pk_request_nonce", "request_nonce", ["paasid", "stamp", "nonce"])
    op.create_table(
        "sign_in",
        sa.Column("sign_no", sa.String(length=64), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("opter_no", sa.String(length=50), nullable=True),
        sa.Column("mac", sa.String(length=50), nullable=True),
        sa.Column("ip", sa.String(length=50), nullable=True),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("sign_no", name=op.f("pk_sign_in")),
    )
    op.create_index("ix_sign_in_fixmedins_code", "sign_in", ["fixmedins_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sign_in_fixmedins_code", table_name="sign_in")
    op.drop_table("sign_in")
    op.execute("DELETE FROM request_nonce")
    op.drop_constraint("pk_request_nonce", "request_nonce", type_="primary")
    op.drop_column("request_nonce", "stamp")
    op.alter_column("request_nonce", "nonce", type_=sa.String(length=64))
    op.create_primary_key("pk_request_nonce", "request_nonce", ["paasid", "nonce"])
    op.drop_column("hospital_message", "sign_no")
    for table, column, _nullable in _MSGIDS:
        op.alter_column(table, column, type_=sa.String(length=30))

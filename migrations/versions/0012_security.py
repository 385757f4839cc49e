"""security: index for sign-in throttling per network address

Revision ID: 0012_security
Revises: 0011_relogement
Create Date: 2026-11-23 08:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_security'
down_revision = '0011_relogement'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_action_ip_at', ['action', 'ip', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_action_ip_at')

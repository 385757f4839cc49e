"""dropin_privacy: the privacy state of people received at a permanence (archived, then
anonymised), and the retention runs' counts for them.

Revision ID: 0019_dropin_privacy
Revises: 0018_notification_lease
Create Date: 2026-11-24 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_dropin_privacy'
down_revision = '0018_notification_lease'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dropin_archive',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('last_seen_on', sa.Date(), nullable=True),
    sa.Column('archived_at', sa.DateTime(), nullable=True),
    sa.Column('archived_by_id', sa.Integer(), nullable=True),
    sa.Column('anonymised_at', sa.DateTime(), nullable=True),
    sa.Column('anonymised_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=30), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['anonymised_by_id'], ['app_user.id'], name=op.f('fk_dropin_archive_anonymised_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['archived_by_id'], ['app_user.id'], name=op.f('fk_dropin_archive_archived_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['dropin_person.id'], name=op.f('fk_dropin_archive_person_id_dropin_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_dropin_archive'))
    )
    with op.batch_alter_table('retention_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dropin_archived', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('dropin_anonymised', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('retention_run', schema=None) as batch_op:
        batch_op.drop_column('dropin_anonymised')
        batch_op.drop_column('dropin_archived')
    op.drop_table('dropin_archive')

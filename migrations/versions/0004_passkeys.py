"""passkeys: WebAuthn credentials, single-use challenges, the association's security policy

Revision ID: 0004_passkeys
Revises: 0003_housing
Create Date: 2026-11-23 05:10:33.729837

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_passkeys'
down_revision = '0003_housing'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('passkey_credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.LargeBinary(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('user_handle', sa.LargeBinary(), nullable=False),
    sa.Column('backup_eligible', sa.Boolean(), nullable=False),
    sa.Column('backed_up', sa.Boolean(), nullable=False),
    sa.Column('transports', sa.String(length=120), nullable=True),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_passkey_credential_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkey_credential')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_passkey_credential_credential_id'))
    )
    with op.batch_alter_table('passkey_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkey_credential_user_id'), ['user_id'], unique=False)

    op.create_table('security_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('passkey_required_for_leads', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_security_policy_updated_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_policy'))
    )
    op.create_table('webauthn_challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_webauthn_challenge_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webauthn_challenge')),
    sa.UniqueConstraint('challenge', name=op.f('uq_webauthn_challenge_challenge'))
    )
    with op.batch_alter_table('webauthn_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webauthn_challenge_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('webauthn_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webauthn_challenge_expires_at'))

    op.drop_table('webauthn_challenge')
    op.drop_table('security_policy')
    with op.batch_alter_table('passkey_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkey_credential_user_id'))

    op.drop_table('passkey_credential')

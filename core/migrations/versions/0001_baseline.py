"""Baseline: the platform tables as released on 2026-11-30 (records, record_rows, history,
sequences, meta_versions, users, files, wf_definitions, wf_instances, wf_tasks, wf_actions).

A database made before migrations existed has these tables without an alembic_version row;
core.migrate stamps it at this revision and upgrades from here.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# frozen copies of core.db's column types: a migration never changes when core.db does
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Doc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('files',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('entity', sa.String(length=63), nullable=False),
    sa.Column('field', sa.String(length=127), nullable=False),
    sa.Column('record_id', Id, nullable=True),
    sa.Column('uploaded_by', sa.String(length=100), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index('ix_files_record', ['entity', 'record_id'], unique=False)

    op.create_table('history',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('entity', sa.String(length=63), nullable=False),
    sa.Column('record_id', Id, nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changes', Doc, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index('ix_history_record', ['entity', 'record_id', 'id'], unique=False)

    op.create_table('meta_versions',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('packs', Doc, nullable=False),
    sa.Column('installed_at', sa.DateTime(), nullable=False),
    sa.Column('installed_by', sa.String(length=100), nullable=True),
    sa.Column('indexes', Doc, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('records',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('entity', sa.String(length=63), nullable=False),
    sa.Column('data', Doc, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('meta_version', sa.Integer(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index('ix_records_entity_id', ['entity', 'deleted', 'id'], unique=False)

    op.create_table('sequences',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('users',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=True),
    sa.Column('roles', Doc, nullable=False),
    sa.Column('department', sa.String(length=63), nullable=True),
    sa.Column('manager_id', Id, nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username', name='uq_users_username')
    )
    op.create_table('wf_definitions',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('workflow', sa.String(length=63), nullable=False),
    sa.Column('meta_version', sa.Integer(), nullable=True),
    sa.Column('source', Doc, nullable=False),
    sa.PrimaryKeyConstraint('digest')
    )
    op.create_table('wf_instances',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('workflow', sa.String(length=63), nullable=False),
    sa.Column('definition', sa.String(length=64), nullable=False),
    sa.Column('meta_version', sa.Integer(), nullable=True),
    sa.Column('entity', sa.String(length=63), nullable=False),
    sa.Column('record_id', Id, nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('step', sa.String(length=63), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('initiator', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('wf_instances', schema=None) as batch_op:
        batch_op.create_index('ix_wf_instances_initiator', ['initiator', 'state', 'id'], unique=False)
        batch_op.create_index('ix_wf_instances_record', ['entity', 'record_id', 'id'], unique=False)

    op.create_table('record_rows',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('record_id', Id, nullable=False),
    sa.Column('entity', sa.String(length=63), nullable=False),
    sa.Column('field', sa.String(length=63), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('data', Doc, nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record_rows', schema=None) as batch_op:
        batch_op.create_index('ix_record_rows_entity_field', ['entity', 'field'], unique=False)
        batch_op.create_index('ix_record_rows_record', ['record_id', 'field'], unique=False)

    op.create_table('wf_actions',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('instance_id', Id, nullable=False),
    sa.Column('task_id', Id, nullable=True),
    sa.Column('step', sa.String(length=63), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('on_behalf_of', sa.String(length=100), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_step', sa.String(length=63), nullable=True),
    sa.Column('to_step', sa.String(length=63), nullable=True),
    sa.Column('opinion', sa.String(length=2000), nullable=True),
    sa.Column('attachments', Doc, nullable=True),
    sa.Column('data', Doc, nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['wf_instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('wf_actions', schema=None) as batch_op:
        batch_op.create_index('ix_wf_actions_actor', ['actor', 'id'], unique=False)
        batch_op.create_index('ix_wf_actions_instance', ['instance_id', 'id'], unique=False)

    op.create_table('wf_tasks',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('instance_id', Id, nullable=False),
    sa.Column('step', sa.String(length=63), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('assignee', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('waits_for', Id, nullable=True),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('acted_at', sa.DateTime(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=True),
    sa.Column('opinion', sa.String(length=2000), nullable=True),
    sa.Column('on_behalf_of', sa.String(length=100), nullable=True),
    sa.Column('delegated_from', sa.String(length=100), nullable=True),
    sa.Column('added_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['wf_instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('wf_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_wf_tasks_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_wf_tasks_instance', ['instance_id', 'step', 'round'], unique=False)
        batch_op.create_index('ix_wf_tasks_todo', ['assignee', 'state', 'kind', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wf_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_wf_tasks_todo')
        batch_op.drop_index('ix_wf_tasks_instance')
        batch_op.drop_index('ix_wf_tasks_due')

    op.drop_table('wf_tasks')
    with op.batch_alter_table('wf_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_wf_actions_instance')
        batch_op.drop_index('ix_wf_actions_actor')

    op.drop_table('wf_actions')
    with op.batch_alter_table('record_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_record_rows_record')
        batch_op.drop_index('ix_record_rows_entity_field')

    op.drop_table('record_rows')
    with op.batch_alter_table('wf_instances', schema=None) as batch_op:
        batch_op.drop_index('ix_wf_instances_record')
        batch_op.drop_index('ix_wf_instances_initiator')

    op.drop_table('wf_instances')
    op.drop_table('wf_definitions')
    op.drop_table('users')
    op.drop_table('sequences')
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_entity_id')

    op.drop_table('records')
    op.drop_table('meta_versions')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index('ix_history_record')

    op.drop_table('history')
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index('ix_files_record')

    op.drop_table('files')

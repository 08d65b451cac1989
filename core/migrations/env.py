"""Alembic environment: runs on the connection core.migrate hands over (no alembic.ini, no URL
here), against the platform tables of core.db. The expression indexes that installing metadata
creates (`fx_…`) belong to the metastore, not to migrations, and are ignored."""
from alembic import context

from core.db import schema
from core.migrate import include_object


connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=schema, render_as_batch=True,
                  include_object=include_object, compare_type=True)
with context.begin_transaction():
    context.run_migrations()

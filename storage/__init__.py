"""rallybot's storage: SQLAlchemy 2 models, the database handle, repositories, migrations."""

"""rallybot's storage: SQLAlchemy 2 models, the database handle, one module of functions per
table family, migrations."""

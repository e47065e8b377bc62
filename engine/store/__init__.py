"""Results store: SQLAlchemy async over SQLite (embedded) or PostgreSQL, with Alembic migrations."""

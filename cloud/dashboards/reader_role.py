"""The PostgreSQL role Grafana reads as: it may log in and read, nothing else."""

from __future__ import annotations

from sqlalchemy import create_engine, text

READER_ROLE = "grafana"  # the provisioning's data source user (Sources.pg_user)


def ensure_reader_role(database_url: str, password: str, role: str = READER_ROLE) -> bool:
    """Create the role (or set its password), let it read every table of the schema, today's
    and those later migrations add; returns True when the role was created. Run as the
    database's owner (the cloud's own URL)."""
    if len(password) < 12:
        raise ValueError("the reader's password needs at least 12 characters")
    from psycopg import sql

    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            psy = conn.connection.driver_connection  # psycopg's own, for composed SQL
            assert psy is not None
            exists = conn.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).first()
            verb = "ALTER" if exists else "CREATE"
            statements = [
                sql.SQL(
                    verb + " ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE"
                ).format(sql.Identifier(role), sql.Literal(password)),
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(conn.exec_driver_sql("SELECT current_database()").scalar_one()),
                    sql.Identifier(role),
                ),
                sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(role)),
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
                    sql.Identifier(role)
                ),
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {}"
                ).format(sql.Identifier(role)),
            ]
            for statement in statements:
                psy.execute(statement)
            return not exists
    finally:
        engine.dispose()

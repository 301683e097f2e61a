"""Real failures provoked in the real services, for tests of what users see when they happen."""

import contextlib

from django.db import connection

from sessions_app.models import ChatMessage


@contextlib.contextmanager
def database_refusing_agent_messages():
    """A real database error on storing the trainee's message (a trigger, as a full disk or a
    failing constraint would): the rest of the session reads and writes as usual."""
    table = ChatMessage._meta.db_table
    if connection.vendor == "postgresql":
        create = [
            "CREATE FUNCTION dojo_refuse_agent() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ "
            "LANGUAGE plpgsql",
            f"CREATE TRIGGER dojo_refuse_agent BEFORE INSERT ON {table} FOR EACH ROW "
            "WHEN (NEW.role = 'agent') EXECUTE FUNCTION dojo_refuse_agent()",
        ]
        drop = [f"DROP TRIGGER dojo_refuse_agent ON {table}", "DROP FUNCTION dojo_refuse_agent()"]
    else:
        create = [
            f"CREATE TRIGGER dojo_refuse_agent BEFORE INSERT ON {table} "
            "WHEN NEW.role = 'agent' BEGIN SELECT RAISE(FAIL, 'disk I/O error'); END"
        ]
        drop = ["DROP TRIGGER dojo_refuse_agent"]
    with connection.cursor() as cursor:
        for statement in create:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)

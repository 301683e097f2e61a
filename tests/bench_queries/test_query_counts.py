"""The pages and endpoints `make bench` loads run the same queries with 10 rows and with 1,000
(scenarios, trainees, and their sessions, messages, metrics and XP), and at most 8 of them —
the session and user lookups that every signed-in request pays included."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from overview.management.commands.generate_bench_data import bench_users, generate

PATHS = [
    "/scenarios/",
    "/scenarios/?difficulty=starter",
    "/api/v1/scenarios/",
    "/api/v1/leaderboard/",
    "/api/v1/leaderboard/?period=week",
    "/",
]
MAX_QUERIES = 8


def _counts(client) -> dict[str, int]:
    counts = {}
    for path in PATHS:
        client.get(path)  # a first request warms the content-type and throttle caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[path] = len(queries.captured_queries)
    return counts


@pytest.mark.django_db
def test_query_counts_do_not_grow_from_10_to_1000_rows(client):
    # given ten of everything, and a trainee with a history
    generate(scenarios=10, users=10, sessions=50)
    viewer = bench_users().order_by("pk").first()
    client.force_login(viewer)
    few = _counts(client)

    # when everything grows a hundredfold
    counts = generate(scenarios=1000, users=1000, sessions=5000)
    assert counts["scenarios"] == 1000
    assert counts["users"] == 1000
    many = _counts(client)

    # then every page runs the same queries, and few of them
    assert many == few
    assert max(many.values()) <= MAX_QUERIES, many


@pytest.mark.django_db
def test_the_generator_adds_only_what_is_missing():
    first = generate(scenarios=5, users=4, sessions=20)
    again = generate(scenarios=5, users=4, sessions=20)
    assert first == again == {"scenarios": 5, "users": 4, "sessions": 20}
    viewer = bench_users().order_by("pk").first()
    # the trainee's XP is the sum of their ledger, and their level follows from it
    ledger = sum(viewer.xp_transactions.values_list("amount", flat=True))
    assert viewer.xp == ledger
    assert viewer.level == ledger // 100 + 1

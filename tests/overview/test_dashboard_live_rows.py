"""The dashboard names each recent session's row, so that a `session.scored` notification can
update it in place (static/js/app.js; the browser side is tests/e2e/test_report_catalogue_ux.py)."""

import re
from pathlib import Path

import pytest

from tests.factories import UserSessionFactory

pytestmark = pytest.mark.django_db

APP_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "app.js"


def _row(html: str, session) -> str:
    match = re.search(rf'<li data-session-id="{session.id}"[^>]*>(.*?)</li>', html, re.S)
    assert match, f"no row for {session.id}"
    return match.group(0)


def test_rows_carry_the_session_id_status_and_a_polite_live_status(client_user, user, scenario):
    active = UserSessionFactory(user=user, scenario=scenario, status="active")
    scored = UserSessionFactory(
        user=user, scenario=scenario, status="scored", score=88, passed=True, xp_awarded=12
    )
    html = client_user.get("/").content.decode()
    assert "{#" not in html
    assert "{%" not in html

    row = _row(html, active)
    assert 'data-session-status="active"' in row
    assert 'data-session-state aria-live="polite" aria-atomic="true"' in row
    assert re.search(r"data-session-score>Active</span>", row)
    assert f'href="/sessions/{active.id}/" data-session-link' in row
    assert re.search(r"data-session-action>Continue", row)

    row = _row(html, scored)
    assert 'data-session-status="scored"' in row
    assert re.search(r"data-session-score>88 · passed</span>", row)
    assert "data-session-xp>+12 XP</span>" in row
    assert re.search(r"data-session-action>Report", row)


def test_the_live_update_writes_event_data_as_text_only():
    script = APP_JS.read_text(encoding="utf-8")
    update = script.split("function updateSessionRow", 1)[1].split("\n  }\n", 1)[0]
    assert "innerHTML" not in script
    assert "insertAdjacentHTML" not in script
    assert "textContent" in update
    # The id is checked before it goes into a selector.
    assert "session_id" in update
    assert ".test(event.session_id)" in update

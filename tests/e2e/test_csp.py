"""Issue 10 §1 in a real browser: the strict Content-Security-Policy breaks nothing we ship.

Chromium reports every blocked inline script, inline style or foreign connection on the
console; the pages below (app, Swagger UI, Django admin) must produce none.
"""

import pytest
from playwright.sync_api import expect


@pytest.fixture
def author(transactional_db):
    from tests.factories import UserFactory

    return UserFactory(email="author@example.com", is_staff=True, is_superuser=True)


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return violations


def test_app_swagger_and_admin_run_under_the_strict_csp(author, page, asgi_server, login):
    violations = _watch_csp(page)

    page.goto(asgi_server("/api/docs/"))
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()

    login(page, author)
    for path in ["/", "/profile/", "/scenarios/", "/leaderboard/"]:
        page.goto(asgi_server(path))
        page.wait_for_load_state("networkidle")

    pk = author.pk
    for path in [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{pk}/change/",
        "/admin/scenarios/scenario/add/",
    ]:
        page.goto(asgi_server(path))
        expect(page.locator("#content")).to_be_visible()

    assert violations == []


def test_the_probe_does_see_a_violation(page, asgi_server):
    """Guards the test above against watching the wrong thing."""
    violations = _watch_csp(page)
    page.goto(asgi_server("/"))
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert len(violations) == 1
    assert page.evaluate("() => window.injected") is None

"""An accessibility smoke check with axe-core on the pages a trainee lives in.

It enforces what the product promises (labelled controls, images with alt text, ordered
headings, readable contrast) and fails on any critical violation; other findings are printed,
so a failing run shows everything at once.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import axe_violations, blocking, describe, log_in, say
from tests.e2e.showcase import (
    GREETING,
    PROCEDURE,
    QUESTION,
    build_showcase,
    open_new_attempt,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def showcase(transactional_db):
    return build_showcase()


def test_main_pages_pass_the_accessibility_smoke_check(showcase, page: Page, asgi_server):
    found: dict[str, list[dict]] = {}

    def check(name: str) -> None:
        found[name] = axe_violations(page)

    log_in(page, asgi_server, showcase.email, PASSWORD)
    check("dashboard")
    page.goto(asgi_server("/scenarios/"))
    check("catalogue")

    open_new_attempt(page, asgi_server)
    say(page, GREETING)
    say(page, QUESTION)
    check("chat")
    say(page, PROCEDURE)
    page.get_by_role("button", name="End session").click()
    page.get_by_role("dialog").get_by_role("button", name="End and score").click()
    expect(page.locator("#report")).to_have_attribute("data-status", "scored", timeout=30_000)
    check("report")

    page.goto(asgi_server("/performance/"))
    check("performance")
    page.goto(asgi_server("/leaderboard/"))
    check("leaderboard")

    for name, violations in found.items():
        if violations:
            print(f"axe on {name}:\n{describe(violations)}")  # noqa: T201 - shown on failure
    failures = {name: blocking(v) for name, v in found.items() if blocking(v)}
    assert not failures, "\n".join(f"{name}:\n{describe(v)}" for name, v in failures.items())

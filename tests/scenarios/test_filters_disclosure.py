"""The catalogue's filters fold behind a "Filters" disclosure (a <details>), open when a filter
is active; catalogue.js opens it on wide screens (the browser side is in
tests/e2e/test_report_catalogue_ux.py)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _details(html: str) -> str:
    match = re.search(r"<details[^>]*data-filters[^>]*>", html)
    assert match, "the filters are not in a disclosure"
    return match.group(0)


def test_without_filters_the_disclosure_is_rendered_closed(client_user, history):
    html = client_user.get(reverse("scenario-list")).content.decode()
    assert "{#" not in html
    assert "#}" not in html
    assert "{%" not in html
    assert " open" not in _details(html)
    summary = html.split('class="filters-summary"', 1)[1].split("</summary>", 1)[0]
    assert "Filters" in summary
    assert "active" not in summary
    # The form is inside it, still a labelled search landmark, and the script right after it.
    inside = html.split(_details(html), 1)[1].split("</details>", 1)[0]
    assert 'role="search"' in inside
    assert 'aria-label="Filter scenarios"' in inside
    after = html.split("</details>", 1)[1]
    assert re.match(r'\s*(\{#.*?#\})?\s*<script src="[^"]*js/catalogue\.js"></script>', after)


def test_active_filters_keep_it_open_and_are_counted(client_user, history):
    url = reverse("scenario-list")
    html = client_user.get(url, {"difficulty": "starter", "q": "B"}).content.decode()
    assert " open" in _details(html)
    assert "data-filters-active" in _details(html)
    assert '<span class="badge">2 active</span>' in html
    one = client_user.get(url, {"category": "billing-refunds"}).content.decode()
    assert '<span class="badge">1 active</span>' in one

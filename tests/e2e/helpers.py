"""What a person does and sees, in a few reusable steps: sign up, log in, check accessibility."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe.min.js"

# The smoke check's promises: labelled controls, images with alt text, ordered headings and
# readable contrast. Any other axe rule fails the check only when its impact is critical.
ENFORCED_RULES = frozenset(
    {
        "label",
        "select-name",
        "input-button-name",
        "image-alt",
        "input-image-alt",
        "role-img-alt",
        "svg-img-alt",
        "heading-order",
        "color-contrast",
    }
)

PASSWORD = "a-long-Passw0rd!"


def sign_up(page: Page, url, email: str, password: str = PASSWORD) -> None:
    page.goto(url("/accounts/signup/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_label(re.compile(r"^Password \(again\)")).fill(password)
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()


def log_in(page: Page, url, email: str, password: str) -> None:
    page.goto(url("/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core in the page; evaluated through the DevTools protocol, so CSP does not apply."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => ({
                    target: n.target.join(" "),
                    summary: n.failureSummary,
                })),
            }));
        }"""
    )


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["id"] in ENFORCED_RULES or v["impact"] == "critical"]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            details = [line.strip() for line in (node["summary"] or "").splitlines()[1:]]
            lines.append(f"    {node['target']}: {' / '.join(details[:2])}")
    return "\n".join(lines)

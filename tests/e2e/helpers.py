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


def sign_up(
    page: Page, url, email: str, password: str = PASSWORD, display_name: str = "New Trainee"
) -> None:
    page.goto(url("/accounts/signup/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill(display_name)
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


# --- The chat ---------------------------------------------------------------------------------

# Records, on every change of the chat, whether the typing indicator shows and the text of the
# reply being streamed: what a person would have seen frame by frame.
STREAM_RECORDER = """() => {
    const typing = document.getElementById("chat-typing");
    const log = (window.__e2eStream = []);
    const snap = () => {
        const streaming = document.querySelector(".chat-msg-streaming .chat-text");
        log.push({typing: !typing.hidden, text: streaming ? streaming.textContent : null});
    };
    new MutationObserver(snap).observe(document.getElementById("chat"), {
        subtree: true, childList: true, characterData: true,
        attributes: true, attributeFilter: ["hidden", "class"],
    });
}"""

# Keeps every toast shown on any page of the tab (they vanish after a few seconds, and the chat
# reloads itself into the report) in sessionStorage, so the test can ask what appeared.
TOAST_RECORDER = """(() => {
    const record = () => {
        const box = document.getElementById("toasts");
        if (!box) return;
        new MutationObserver((mutations) => {
            const seen = JSON.parse(sessionStorage.getItem("e2e-toasts") || "[]");
            for (const m of mutations) for (const n of m.addedNodes) seen.push(n.textContent);
            sessionStorage.setItem("e2e-toasts", JSON.stringify(seen));
        }).observe(box, {childList: true});
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", record);
    else record();
})();"""


def recorded_toasts(page: Page) -> list[str]:
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('e2e-toasts') || '[]')")


def chat_input(page: Page):
    return page.get_by_role("textbox", name=re.compile("^Your reply to"))


def transcript(page: Page):
    return page.locator("#chat-transcript")


def customer_messages(page: Page):
    return transcript(page).locator(".chat-msg-customer")


def agent_messages(page: Page):
    return transcript(page).locator(".chat-msg-agent")


def wait_connected(page: Page) -> None:
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()


def say(page: Page, text: str, *, replies_before: int | None = None) -> None:
    """Type a message, press Enter, and wait until the customer has answered it."""
    if replies_before is None:
        replies_before = customer_messages(page).count()
    box = chat_input(page)
    box.fill(text)
    box.press("Enter")
    expect(agent_messages(page).filter(has_text=text)).to_have_count(1)
    expect(customer_messages(page)).to_have_count(replies_before + 1)
    expect(transcript(page).locator(".chat-msg-streaming, .chat-msg-pending")).to_have_count(0)


def end_session(page: Page) -> None:
    page.get_by_role("button", name="End session").click()
    dialog = page.get_by_role("dialog", name="End this session?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="End and score").click()


# Keeps a handle on every WebSocket the page opens, so that a test can cut them as a dropped
# network would (the chat's own socket is private to chat.js).
SOCKET_TRACKER = """(() => {
    const Native = window.WebSocket;
    window.__e2eSockets = [];
    window.WebSocket = class extends Native {
        constructor(...args) { super(...args); window.__e2eSockets.push(this); }
    };
})();"""


def drop_network(page: Page) -> None:
    """Go offline and cut the open sockets: reconnecting fails until `restore_network`."""
    page.context.set_offline(True)
    page.evaluate(
        """() => window.__e2eSockets
            .filter((s) => s.url.includes("/ws/sessions/"))
            .forEach((s) => s.close())"""
    )


def restore_network(page: Page) -> None:
    page.context.set_offline(False)


def focused(page: Page) -> dict:
    """The element that has keyboard focus, and whether a focus ring is drawn around it."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(),
                id: el.id,
                text: (el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 60),
                ring: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
                    || style.boxShadow !== "none",
            };
        }"""
    )


def tab_until(page: Page, matches, *, key: str = "Tab", limit: int = 40) -> list[dict]:
    """Press Tab (or Shift+Tab) until `matches(focused)`; the stops on the way, in order."""
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        stop = focused(page)
        stops.append(stop)
        if matches(stop):
            return stops
    raise AssertionError(f"never reached by {key}: {[s['text'] or s['id'] for s in stops]}")


def session_with(user, scenario, agent_messages):
    """A session in which the trainee already said `agent_messages`, each answered in turn (or
    until the session ended). ORM code: call it from a fixture or through `db_call`."""
    from sessions_app.services import customer_reply, message_post_agent, session_start

    session = session_start(user=user, scenario=scenario)
    for content in agent_messages:
        posted = message_post_agent(session=session, content=content)
        customer_reply(session=session, reply_to=posted.message)
        session.refresh_from_db()
        if session.status != "active":
            break
    return session

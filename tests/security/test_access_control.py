"""Issue 10 §3: who can reach what, for EVERY URL pattern of the site (Zulip-style inventory).

The walk starts from Django's real resolver (pages, API, admin, allauth), fills each path
parameter with a real object owned by the first trainee (the victim), and sends every request
as an anonymous visitor and as a second trainee. Anything that answers other than "no" (401,
403, 404, 405, or a redirect to a login page) must be on an allow-list below, with a reason.
Routes that show or change a trainee's session must answer the second trainee 404, exactly as
for a session that does not exist, and the victim's data must be byte-for-byte unchanged.
A route the inventory cannot fill, or an allow-list entry for a route that no longer exists,
fails the suite: new routes must be classified here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.forms.models import model_to_dict
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import Team, TeamInvitation, TeamMembership, User
from accounts.services import team_create, trainer_role_grant
from config.asgi import application
from config.routing import websocket_urlpatterns
from performance.models import PerformanceMetric
from sessions_app.models import (
    Assignment,
    ChatMessage,
    SessionHint,
    SessionStatus,
    UserSession,
)
from sessions_app.services import message_post_agent, session_start
from tests.factories import ScenarioFactory, UserFactory
from tests.security.inventory import Route, UnfillableRoute, all_routes, concrete_url

pytestmark = pytest.mark.django_db

PAGE_METHODS = ("get", "post")
API_METHODS = ("get", "post", "put", "patch", "delete")
LOGIN_PAGES = ("/accounts/login/", "/admin/login/")

# --- the allow-lists: reachable on purpose, each with the reason a reviewer can judge ---------

# Reachable by an anonymous visitor. Keys are route patterns as Django spells them.
PUBLIC = {
    "": ({"get", "post"}, "the landing page; a POST renders the same page and changes nothing"),
    "healthz": ({"get", "post"}, "load-balancer liveness check: {status: ok}, no data"),
    "favicon.ico": ({"get"}, "a redirect to the static icon browsers ask for on every site"),
    "docs/scenarios/": (
        {"get"},
        "the scenario file format, rendered from docs/scenarios.md: published documentation "
        "(like api/docs/), no data, nothing read from the database",
    ),
    "admin/login/": ({"get", "post"}, "the admin's sign-in form (axes-limited, issue 10 §2)"),
    "admin/logout/": ({"get", "post"}, "redirects to the admin, which asks to sign in"),
    "accounts/login/": ({"get", "post"}, "allauth sign-in (axes- and rate-limited)"),
    "accounts/logout/": ({"get", "post"}, "signing out nobody is a redirect home"),
    "accounts/inactive/": ({"get"}, "allauth's 'account inactive' notice, static text"),
    "accounts/signup/": ({"get", "post"}, "self sign-up is a product feature (docs/security.md)"),
    "accounts/confirm-email/": ({"get"}, "'check your inbox' notice, static text"),
    "accounts/confirm-email/(?P<key>[-:\\w]+)/$": (
        {"get"},
        "email confirmation by emailed key; a bad key shows 'invalid link'",
    ),
    "accounts/password/reset/": ({"get", "post"}, "password reset request (allauth-limited)"),
    "accounts/password/reset/done/": ({"get"}, "'reset email sent' notice, static text"),
    "accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": (
        {"get", "post"},
        "password reset by emailed key; a bad key shows 'invalid link' and changes nothing",
    ),
    "accounts/password/reset/key/done/": ({"get"}, "'password changed' notice, static text"),
    "api/v1/auth/token/": ({"post"}, "how a script logs in: it has no token yet"),
    "api/schema/": ({"get"}, "the API's description, for people who have no token yet"),
    "api/docs/": ({"get"}, "the browsable docs of that description"),
    "teams/join/<str:token>/": (
        {"get", "post"},
        "an invitation link: sends a visitor to sign up and back; shows nothing of the team",
    ),
}

# Reachable by a signed-in trainee (besides PUBLIC): each acts on the trainee's OWN data, or
# shows content every trainee shares (the scenario library, the leaderboard).
TRAINEE = {
    "leaderboard/": ({"get", "post"}, "everyone's rank is public to trainees by design"),
    "accounts/logout/": ({"get", "post"}, "GET asks to confirm, POST signs this trainee out"),
    "accounts/reauthenticate/": ({"get", "post"}, "re-enter own password before a change"),
    "accounts/email/": ({"get", "post"}, "own email addresses"),
    "accounts/password/change/": ({"get", "post"}, "own password"),
    "accounts/password/set/": ({"get", "post"}, "redirects to the change form: one is set"),
    "accounts/reauthenticate/code/": (
        {"get", "post"},
        "sign-in codes are switched off: redirects to the password re-entry form",
    ),
    "accounts/reauthenticate/code/confirm/": (
        {"get", "post"},
        "sign-in codes are switched off: redirects back, nothing pending",
    ),
    "accounts/login/code/confirm/": (
        {"get", "post"},
        "sign-in codes are switched off: an already signed-in trainee is sent home",
    ),
    "profile/": ({"get", "post"}, "own profile (POST saves own preferences)"),
    "profile/token/": ({"post"}, "own API token"),
    "profile/token/revoke/": ({"post"}, "own API token"),
    "profile/sessions/end-others/": ({"post"}, "signs out own other devices"),
    "teams/": ({"get", "post"}, "OWN teams; POST creates a team only for trainers (403)"),
    "scenarios/": ({"get", "post"}, "the shared scenario library; POST renders the same page"),
    "scenarios/<slug:slug>/": ({"get", "post"}, "a library scenario with OWN progress"),
    "scenarios/<slug:slug>/start/": (
        {"post"},
        "starts the trainee's OWN session of a library scenario (not the victim's)",
    ),
    "performance/": ({"get", "post"}, "own charts and history"),
    "api/v1/users/me/": ({"get", "patch", "put"}, "own account (PUT/PATCH: own profile)"),
    "api/v1/auth/token/revoke/": ({"post", "delete"}, "own token"),
    "api/v1/scenarios/": ({"get"}, "the shared library with OWN progress"),
    "api/v1/scenarios/<slug:slug>/": ({"get"}, "a library scenario with OWN progress"),
    "api/v1/scenarios/<slug:slug>/start/": ({"post"}, "starts the trainee's OWN session"),
    "api/v1/sessions/": ({"get"}, "OWN sessions only (tested in tests/sessions_app)"),
    "api/v1/performance/summary/": ({"get"}, "own summary"),
    "api/v1/leaderboard/": ({"get"}, "everyone's rank is public to trainees by design"),
    "api/v1/achievements/": ({"get"}, "the catalogue with OWN unlock dates"),
    "api/v1/teams/": ({"get", "post"}, "OWN teams; POST creates a team only for trainers (403)"),
    "api/v1/teams/join/": ({"post"}, "joins a team only with a valid invitation secret"),
    "api/v1/assignments/": ({"get"}, "OWN assigned scenarios (to them or their teams) only"),
}

# Routes that show or change one trainee's session, or one trainer's team: anyone else gets
# exactly 404 (405 for a method the route never supports), the same answer as for a session or
# team that does not exist.
OWNED = {
    "sessions/<uuid:session_id>/": "the live chat, or the report once scored",
    "review/<uuid:session_id>/": "a trainer's review of a team member's scored session",
    "teams/<int:team_id>/": "a team's people, for its trainers (members see its trainers)",
    "teams/<int:team_id>/invite/": "making an invitation link to the team",
    "teams/<int:team_id>/members/<int:user_id>/remove/": "taking someone off the team",
    "api/v1/teams/<int:team_id>/": "a team's people, for its trainers (members see its trainers)",
    "api/v1/teams/<int:team_id>/members/<int:user_id>/": "taking someone off the team",
    "api/v1/teams/<int:team_id>/invitations/": "making an invitation link to the team",
    "api/v1/teams/<int:team_id>/assignments/": "a team's assignments and progress; setting one",
    "api/v1/teams/<int:team_id>/sessions/": "a team's latest scored sessions, for its trainers",
    "teams/<int:team_id>/analytics/": "a team's scores, late assignments and XP, for its trainers",
    "api/v1/teams/<int:team_id>/analytics/": "a team's analytics, for its trainers",
    "api/v1/sessions/<uuid:pk>/": "session detail with transcript and metrics",
    "api/v1/sessions/<uuid:pk>/messages/": "posting into the conversation",
    "api/v1/sessions/<uuid:pk>/complete/": "ending (and scoring) the session",
    "api/v1/sessions/<uuid:pk>/hints/": "asking for a hint, and the hints given",
    "api/v1/sessions/<uuid:pk>/review/": "a trainer's review of a team member's scored session",
    "performance/sessions/<uuid:session_id>/export.pdf": "a scored session's report as PDF",
    "performance/sessions/<uuid:session_id>/export.csv": "a scored session's report as CSV",
    "performance/teams/<int:team_id>/results.csv": "a team's results as CSV, for its trainers",
}

# Content authors' pages: staff only, everything under admin/ except these.
ADMIN_PREFIX = "admin/"
ADMIN_PUBLIC = {"admin/login/", "admin/logout/"}

# Not requested, with the reason.
NOT_REQUESTED = {
    "__errors__/500": "DEBUG-only route that raises on purpose to show the 500 page",
}


# --- the victim's world ------------------------------------------------------------------------


@dataclass
class World:
    victim: User
    stranger: User
    staff: User
    active: UserSession
    scored: UserSession
    scenario_slug: str
    scenario_pk: int
    team: Team


@pytest.fixture
def world(db) -> World:
    victim, stranger = UserFactory(), UserFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    scenario = ScenarioFactory(slug="victims-scenario")
    active = session_start(user=victim, scenario=scenario)
    message_post_agent(session=active, content="My private words", client_id=None)
    scored = session_start(user=victim, scenario=ScenarioFactory(slug="another-one"))
    UserSession.objects.filter(pk=scored.pk).update(
        status=SessionStatus.SCORED, outcome="ended", score=77, passed=True
    )
    PerformanceMetric.objects.create(
        session=scored, user=victim, criterion="empathy", score=77, weight=1.0
    )
    Token.objects.create(user=victim)
    trainer_role_grant(user=victim)
    team = team_create(trainer=victim, name="Victim's team")
    return World(
        victim=victim,
        stranger=stranger,
        staff=staff,
        active=active,
        scored=scored,
        scenario_slug=scenario.slug,
        scenario_pk=scenario.pk,
        team=team,
    )


def value_for(world: World):
    """Parameter values: the victim's objects wherever a route names one."""
    by_name = {
        ("uuid", "session_id"): str(world.active.pk),
        ("uuid", "pk"): str(world.active.pk),
        ("slug", "slug"): world.scenario_slug,
        ("int", "pk"): str(world.scenario_pk),  # admin "try it" of a scenario
        ("path", "object_id"): str(world.victim.pk),
        ("str", "id"): str(world.victim.pk),  # admin password change of a user
        ("path", "content_type_id"): "1",
        ("re", "app_label"): "sessions_app",
        ("re", "url"): "no-such-admin-page/",
        ("re", "key"): "not-a-real-key",
        ("re", "uidb36"): str(world.victim.pk),
        ("path", "rest"): "no/such/endpoint/",
        ("int", "team_id"): str(world.team.pk),
        ("int", "user_id"): str(world.victim.pk),
        ("str", "token"): "not-a-real-invitation",
    }
    return lambda converter, name: by_name.get((converter, name))


def victims_data(world: World) -> dict:
    """Everything of the victim's that another user might try to read or change."""
    victim = User.objects.get(pk=world.victim.pk)
    return {
        "user": model_to_dict(victim),
        "password": victim.password,
        "token": list(Token.objects.filter(user=victim).values_list("key", flat=True)),
        "sessions": [
            model_to_dict(s) | {"updated_at": s.updated_at, "ended_at": s.ended_at}
            for s in UserSession.objects.filter(user=victim).order_by("pk")
        ],
        "messages": list(
            ChatMessage.objects.filter(session__user=victim)
            .order_by("session_id", "seq")
            .values_list("session_id", "seq", "role", "content")
        ),
        "hints": list(SessionHint.objects.filter(session__user=victim).values_list("pk", "text")),
        "metrics": list(
            PerformanceMetric.objects.filter(user=victim).values_list("criterion", "score")
        ),
        "teams": list(
            TeamMembership.objects.order_by("pk").values_list("team_id", "user_id", "role")
        ),
        "invitations": TeamInvitation.objects.count(),
        "assignments": Assignment.objects.count(),
    }


# --- the walk ----------------------------------------------------------------------------------


def planned_requests(world: World) -> list[tuple[Route, str, str]]:
    """(route, url, method) for every route not in NOT_REQUESTED; raises UnfillableRoute."""
    plan = []
    fill = value_for(world)
    for route in all_routes():
        if route.key in NOT_REQUESTED:
            continue
        url = concrete_url(route, fill)
        methods = API_METHODS if route.key.startswith("api/") else PAGE_METHODS
        plan.extend((route, url, method) for method in methods)
    return plan


def _send(client: Client, method: str, url: str):
    cache.clear()  # throttles and allauth's rate limits would blur "denied" into 429
    if url.startswith("/api/") and method != "get":
        return getattr(client, method)(url, data=json.dumps({}), content_type="application/json")
    return getattr(client, method)(url)


def _denied(response) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    location = response.get("Location", "")
    return response.status_code == 302 and location.startswith(LOGIN_PAGES)


def _allowed(allow_list: dict, key: str, method: str) -> bool:
    methods, _reason = allow_list.get(key, (set(), ""))
    return method in methods


def test_every_route_is_classified_and_exercised(world):
    """New routes must be classified: each one resolves from a filled URL, every parameter has
    a real value, and no allow-list names a route that does not exist any more."""
    routes = {route.key for route in all_routes()}
    try:
        plan = planned_requests(world)
    except UnfillableRoute as error:
        pytest.fail(f"The access-control inventory cannot exercise a route: {error}")
    exercised = {route.key for route, _url, _method in plan}
    assert exercised == routes - set(NOT_REQUESTED)
    for name, listed in (("PUBLIC", PUBLIC), ("TRAINEE", TRAINEE), ("OWNED", OWNED)):
        stale = set(listed) - routes
        assert not stale, f"{name} lists routes that do not exist: {sorted(stale)}"
    assert not ADMIN_PUBLIC - routes, "ADMIN_PUBLIC lists routes that do not exist"
    # A route that takes a session's uuid is about one trainee's session: it must be OWNED.
    for route in all_routes():
        if any(conv == "uuid" for conv, _name in route.parameters):
            assert route.key in OWNED, f"{route.route} takes a uuid but is not classified OWNED"


def test_an_anonymous_visitor_reaches_only_the_public_allow_list(world):
    before = victims_data(world)
    client = Client()
    reachable = []
    for route, url, method in planned_requests(world):
        response = _send(client, method, url)
        if route.key in OWNED and route.key.startswith("api/"):
            assert response.status_code in (401, 405), (method, url, response.status_code)
        if not _denied(response) and not _allowed(PUBLIC, route.key, method):
            reachable.append(f"{method.upper()} {url} -> {response.status_code}")
        if route.key.startswith(ADMIN_PREFIX) and route.key not in ADMIN_PUBLIC:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith("/admin/login/"), (method, url)
    assert not reachable, "Reachable without signing in, and not on PUBLIC:\n" + "\n".join(
        reachable
    )
    assert victims_data(world) == before


def test_a_second_trainee_reaches_only_their_own_data_and_changes_nothing(world):
    before = victims_data(world)
    reachable, owned_answers = [], []
    for route, url, method in planned_requests(world):
        # A fresh login for every request: the walk's own POST to log-out would end it.
        world.stranger.refresh_from_db()
        client = Client()
        client.force_login(world.stranger)
        response = _send(client, method, url)
        if route.key in OWNED:
            owned_answers.append((method, url, response.status_code))
            assert response.status_code in (404, 405), (method, url, response.status_code)
            continue
        if route.key.startswith(ADMIN_PREFIX) and route.key not in ADMIN_PUBLIC:
            # Staff only: a trainee is sent to the admin's sign-in, never shown the page.
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith("/admin/login/"), (method, url)
            continue
        if not _denied(response) and not (
            _allowed(TRAINEE, route.key, method) or _allowed(PUBLIC, route.key, method)
        ):
            reachable.append(f"{method.upper()} {url} -> {response.status_code}")
    assert not reachable, "Reachable by another trainee, and not allow-listed:\n" + "\n".join(
        reachable
    )
    # Every method each owned route supports really answered 404, not just 405.
    team = world.team.pk
    assert {url for _m, url, status in owned_answers if status == 404} == {
        f"/teams/{team}/",
        f"/teams/{team}/invite/",
        f"/teams/{team}/members/{world.victim.pk}/remove/",
        f"/api/v1/teams/{team}/",
        f"/api/v1/teams/{team}/members/{world.victim.pk}/",
        f"/api/v1/teams/{team}/invitations/",
        f"/api/v1/teams/{team}/assignments/",
        f"/api/v1/teams/{team}/sessions/",
        f"/teams/{team}/analytics/",
        f"/api/v1/teams/{team}/analytics/",
        f"/sessions/{world.active.pk}/",
        f"/review/{world.active.pk}/",
        f"/api/v1/sessions/{world.active.pk}/",
        f"/api/v1/sessions/{world.active.pk}/messages/",
        f"/api/v1/sessions/{world.active.pk}/complete/",
        f"/api/v1/sessions/{world.active.pk}/hints/",
        f"/api/v1/sessions/{world.active.pk}/review/",
        f"/performance/sessions/{world.active.pk}/export.pdf",
        f"/performance/sessions/{world.active.pk}/export.csv",
        f"/performance/teams/{team}/results.csv",
    }
    assert victims_data(world) == before


@pytest.mark.parametrize("session_kind", ["active", "scored"])
def test_another_trainees_session_transcript_and_report_are_404_and_untouched(world, session_kind):
    """The targeted version of the walk: the chat page, the report, the API detail and every
    write, on both an active and a scored session, through a session cookie and a token."""
    session = getattr(world, session_kind)
    before = victims_data(world)
    browser = Client()
    browser.force_login(world.stranger)
    token = Token.objects.create(user=world.stranger)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    base = f"/api/v1/sessions/{session.pk}/"
    answers = [
        browser.get(f"/sessions/{session.pk}/"),
        api.get(base),
        api.post(
            base + "messages/",
            data=json.dumps({"content": "hijack", "client_id": None}),
            content_type="application/json",
        ),
        api.post(base + "complete/", content_type="application/json"),
        api.get(base + "review/"),
        api.put(
            base + "review/",
            data=json.dumps({"corrections": {"empathy": {"score": 0}}}),
            content_type="application/json",
        ),
        browser.get(f"/performance/sessions/{session.pk}/export.pdf"),
        browser.get(f"/performance/sessions/{session.pk}/export.csv"),
    ]
    for response in answers:
        assert response.status_code == 404
        assert b"My private words" not in response.content
    # The same answers as for a session that does not exist: nothing to tell them apart.
    ghost = api.get("/api/v1/sessions/00000000-0000-4000-8000-000000000000/")
    assert ghost.json() == answers[1].json()
    assert victims_data(world) == before


def test_admin_pages_need_staff_and_staff_get_in(world):
    trainee = Client()
    trainee.force_login(world.stranger)
    for url in ("/admin/", "/admin/sessions_app/usersession/", "/admin/accounts/user/"):
        response = trainee.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    staff = Client()
    staff.force_login(world.staff)
    assert staff.get("/admin/").status_code == 200
    listing = staff.get("/admin/sessions_app/usersession/")
    assert listing.status_code == 200
    assert str(world.active.pk).encode() in listing.content or b"victims-scenario" in (
        listing.content
    )


# --- WebSockets --------------------------------------------------------------------------------

WS_OWNED = {"ws/sessions/<uuid:session_id>/": "one trainee's chat"}
WS_SELF = {"ws/notifications/": "the signed-in trainee's own events, no parameter"}


def test_every_websocket_route_is_classified():
    routes = {str(pattern.pattern) for pattern in websocket_urlpatterns}
    assert routes == set(WS_OWNED) | set(WS_SELF)


def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _close_code(path: str, cookie: bytes | None) -> int:
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected  # accepted first, so that a browser sees the close code
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output["code"]


@pytest.mark.django_db(transaction=True)
async def test_websockets_refuse_anonymous_4401_and_other_trainees_4404_changing_nothing():
    from django.db import connections

    world = await sync_to_async(_transactional_world)()
    before = await sync_to_async(victims_data)(world)
    stranger_cookie = await sync_to_async(_cookie)(world.stranger)
    for session in (world.active, world.scored):
        path = f"/ws/sessions/{session.pk}/"
        assert await _close_code(path, None) == 4401
        assert await _close_code(path, stranger_cookie) == 4404
    assert await _close_code("/ws/notifications/", None) == 4401
    assert await sync_to_async(victims_data)(world) == before
    await sync_to_async(connections.close_all)()


def _transactional_world() -> World:
    victim, stranger = UserFactory(), UserFactory()
    scenario = ScenarioFactory(slug="victims-scenario")
    active = session_start(user=victim, scenario=scenario)
    message_post_agent(session=active, content="My private words", client_id=None)
    scored = session_start(user=victim, scenario=ScenarioFactory(slug="another-one"))
    UserSession.objects.filter(pk=scored.pk).update(status=SessionStatus.SCORED, score=50)
    trainer_role_grant(user=victim)
    team = team_create(trainer=victim, name="Victim's team")
    return World(victim, stranger, victim, active, scored, scenario.slug, scenario.pk, team)

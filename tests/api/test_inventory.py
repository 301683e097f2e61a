"""Every route under /api/ is documented and protected, unless this file says otherwise.

The walk starts from the real URL resolver, so a route added anywhere (another app's
`api/urls.py`, a stray `path()` in `config/urls.py`) is checked without anyone listing it here.
"""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

# Public on purpose, each for a reason a reviewer can judge.
PUBLIC = {
    "/api/v1/auth/token/": "how a script logs in: it has no token yet",
    "/api/schema/": "the API's description, for people who have no token yet",
    "/api/docs/": "the browsable docs of that description",
}
# Routes that are not API operations, so the schema does not list them.
UNDOCUMENTED = {
    "/api/schema/": "the schema itself",
    "/api/docs/": "an HTML page rendering the schema",
    "/api/v1/{rest}": "the catch-all that answers unknown paths with a JSON 404",
}
OPERATION_METHODS = ("get", "post", "put", "patch", "delete")


def _openapi_path(route: str) -> str:
    """`api/v1/sessions/<uuid:pk>/` (or a regex) as the schema spells it: `/api/v1/sessions/{pk}/`.

    Only the path's shape matters here, so converters are dropped and parameters kept by name.
    """
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def _walk(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _api_routes():
    routes = {}
    for route, pattern in _walk(get_resolver()):
        path = _openapi_path(route)
        if path.startswith("/api/"):
            routes.setdefault(path, (route, pattern))
    return routes


def _concrete(route: str) -> str:
    """A URL that matches the route, with values that name nothing that exists."""
    values = {"uuid": str(uuid.uuid4()), "int": "999999", "slug": "no-such-thing", "path": "x/y"}

    def fill(match):
        converter = match.group(1) or "str"
        return values.get(converter, "no-such-thing")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", fill, route)


def _methods(pattern) -> list[str]:
    actions = getattr(pattern.callback, "actions", None)
    if actions:  # a ViewSet routed by a DRF router
        return [m for m in OPERATION_METHODS if m in actions]
    view_class = getattr(pattern.callback, "cls", None)
    if view_class is None:
        return ["get"]
    return [m for m in OPERATION_METHODS if hasattr(view_class, m)]


def test_the_walk_finds_the_contract_routes():
    routes = _api_routes()
    for path in ("/api/v1/users/me/", "/api/v1/auth/token/", "/api/schema/", "/api/docs/"):
        assert path in routes
    assert len(routes) >= 6


def _shape(path: str) -> str:
    """Parameter names aside (drf-spectacular spells a `pk` as `id`), the same path."""
    return re.sub(r"{[^}]+}", "{}", path)


def test_every_api_route_is_in_the_schema(openapi):
    documented = {_shape(path): item for path, item in openapi["paths"].items()}
    problems = []
    for path, (_route, pattern) in _api_routes().items():
        if path in UNDOCUMENTED:
            continue
        if _shape(path) not in documented:
            problems.append(f"{path} is not in the schema")
            continue
        for method in _methods(pattern):
            if method not in documented[_shape(path)]:
                problems.append(f"{method.upper()} {path} is not in the schema")
    assert not problems, problems
    # And the other way round: the schema documents nothing that does not exist.
    assert set(documented) <= {_shape(path) for path in _api_routes()}


def test_every_api_route_is_a_drf_view_with_an_explicit_permission_policy():
    for path, (_route, pattern) in _api_routes().items():
        if path in UNDOCUMENTED and path not in PUBLIC:
            continue
        view_class = getattr(pattern.callback, "cls", None)
        assert view_class is not None, f"{path} is not a DRF view: no envelope, no auth, no docs"
        permissions = view_class().get_permissions()
        is_public = any(isinstance(p, AllowAny) for p in permissions)
        assert is_public == (path in PUBLIC), (
            f"{path}: public={is_public}, but the allow-list says {path in PUBLIC}"
        )


def test_every_protected_route_answers_401_in_the_envelope_without_credentials():
    client = APIClient()
    checked = 0
    for path, (route, pattern) in _api_routes().items():
        if path in PUBLIC or path in UNDOCUMENTED:
            continue
        for method in _methods(pattern):
            url = _concrete(route)
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code == 401, (method, url, response.status_code)
            assert set(response.json()) == {"error", "details"}, (method, url)
            assert response["WWW-Authenticate"] == "Token", (method, url)
            # An invalid token is refused the same way, never treated as anonymous.
            bad = getattr(client, method)(
                url, {}, format="json", HTTP_AUTHORIZATION="Token 0000000000invalid"
            )
            assert bad.status_code == 401, (method, url, bad.status_code)
            checked += 1
    assert checked >= 3


def test_schema_security_matches_the_allow_list(openapi):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            anonymous_allowed = {} in operation.get("security", [])
            assert anonymous_allowed == (path in PUBLIC), (method, path)


def test_the_catch_all_answers_json_404_to_anyone():
    response = APIClient().post("/api/v1/definitely/not/here/", {}, format="json")
    assert response.status_code == 404
    assert set(response.json()) == {"error", "details"}

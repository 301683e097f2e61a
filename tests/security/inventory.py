"""Every URL pattern of the site, and a concrete URL for each that resolves back to it.

Used by the access-control inventory (test_access_control.py): path parameters are filled with
real objects owned by the first trainee, so a request by anyone else probes a real object rather
than a 404 for a made-up id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve


def route_key(route: str) -> str:
    """A route as Django's ResolverMatch.route spells it (inner regexes lose their `^`)."""
    return route.replace("^", "")


@dataclass(frozen=True)
class Route:
    route: str  # the pattern as written, prefixes joined: "api/v1/sessions/<uuid:pk>/"
    name: str | None
    pattern: URLPattern

    @property
    def key(self) -> str:
        return route_key(self.route)

    @property
    def parameters(self) -> list[tuple[str, str]]:
        """(converter, name) of each parameter; regex groups have converter "re"."""
        found = [("re", name) for name in _REGEX_GROUP_NAME.findall(self.route)]
        without_groups = _REGEX_GROUP.sub("", self.route)
        found += [(conv or "str", name) for conv, name in _TYPED.findall(without_groups)]
        return found


def _walk(resolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield Route(route=route, name=pattern.name, pattern=pattern)


def all_routes() -> list[Route]:
    """Every URL pattern, recursively through every include (admin and allauth too)."""
    return list(_walk(get_resolver()))


_TYPED = re.compile(r"<(?:(\w+):)?(\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()\\]|\\.)*\)")
_REGEX_GROUP_NAME = re.compile(r"\(\?P<(\w+)>")


class UnfillableRoute(Exception):
    """A parameter the inventory has no value for: teach its `value_for` about it."""


def concrete_url(route: Route, value_for: Callable[[str, str], str | None]) -> str:
    """`route` with each parameter replaced by `value_for(converter, name)`."""

    def lookup(converter, name):
        value = value_for(converter, name)
        if value is None:
            raise UnfillableRoute(f"no value for <{converter}:{name}> in {route.route!r}")
        return value

    path = _REGEX_GROUP.sub(lambda m: lookup("re", m.group(1)), route.route)
    path = _TYPED.sub(lambda m: lookup(m.group(1) or "str", m.group(2)), path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    if re.search(r"[()?*+\[\]|]", path):
        raise UnfillableRoute(f"{route.route!r} still has regex syntax once filled: {path!r}")
    url = "/" + path
    if not resolves_to(url, route):
        raise UnfillableRoute(f"{url!r} does not resolve back to {route.route!r}")
    return url


def resolves_to(url: str, route: Route) -> bool:
    match = resolve(url)
    return match.func is route.pattern.callback and route_key(match.route) == route.key

"""The production settings plus the bench's reference routes and two bench-only switches.

Only the URLconf differs from `config.settings` (it adds `/__bench__/json`), so the reference view
runs behind exactly the app's middleware, in the same server processes.
"""

import environ

from config.settings import *  # noqa: F403

_env = environ.Env()

ROOT_URLCONF = "bench.urls"
# DEBUG is off, so templates need the collected, hashed static files: the bench collects them
# into a temporary folder.
STATIC_ROOT = _env.str("BENCH_STATIC_ROOT", default=str(STATIC_ROOT))  # noqa: F405
# The in-memory channel layer (one server process) while everything else stays on Redis.
if _env.str("BENCH_CHANNEL_LAYER", default="") == "memory":
    CHANNEL_LAYERS = {"default": {"BACKEND": "core.layers.InMemoryChannelLayer"}}
# Experiments behind RESULTS.md's and docs/performance.md's analysis (BENCH_EXPERIMENT=a,b):
_experiments = set(_env.list("BENCH_EXPERIMENT", default=[]))
# no health check per database_sync_to_async call;
if "nohealth" in _experiments:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405
# what each cache of core/cache.py buys: the same code with that cache kept for 0 seconds.
if "nomemo" in _experiments:  # the catalogue, its API rows and the ranking rebuilt per request
    CATALOGUE_CACHE_SECONDS = 0
    LEADERBOARD_CACHE_SECONDS = 0
if "nostanding" in _experiments:  # a trainee's standing read from the database per request
    STANDING_CACHE_SECONDS = 0
if "nofragments" in _experiments:  # the catalogue's cards and filters rendered per request
    CACHES["local"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}  # noqa: F405

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
# An experiment behind RESULTS.md's analysis: no health check per database_sync_to_async call.
if _env.str("BENCH_EXPERIMENT", default="") == "nohealth":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405

"""Hashed static URLs, each worked out once per process (core.storage)."""

from django.core.management import call_command
from whitenoise.storage import CompressedManifestStaticFilesStorage

from core.storage import StaticFilesStorage


def test_urls_are_whitenoise_urls_and_worked_out_once(tmp_path, settings, monkeypatch):
    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "core.storage.StaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    ours, theirs = StaticFilesStorage(), CompressedManifestStaticFilesStorage()
    url = ours.url("css/app.css")
    assert url == theirs.url("css/app.css")
    assert url != "/static/css/app.css"  # the content hash is in the name

    def fail(*args, **kwargs):
        raise AssertionError("the URL was worked out again")

    monkeypatch.setattr(CompressedManifestStaticFilesStorage, "url", fail)
    assert ours.url("css/app.css") == url

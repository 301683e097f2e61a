"""Static files with content hashes in their names (whitenoise), with each URL worked out once.

`{% static %}` asks the storage for a URL on every use: a manifest lookup, name cleaning,
quoting and joining, ~25 µs each, and every page has six or more of them (`make bench`,
cProfile of the catalogue page). The manifest is read once when the process starts and never
changes while it runs, so neither does the URL of a given name.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = super().url(name)
        return url

"""What sessions tell the apps above them: sessions_app never imports those apps (the layers
in pyproject.toml), so an effect such as scoring follows from a signal they connect to."""

from django.dispatch import Signal

#: A session moved to `scoring` and that change is committed. Sent with `session_id`.
session_ended = Signal()

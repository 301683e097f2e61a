"""Celery app: configured from Django settings (`CELERY_*`), tasks found in each app."""

import contextlib
import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from core.logging import bind_request_id, request_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("support_dojo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _propagate_request_id(headers=None, **kwargs):
    """Carry the publishing request's id to the worker so one id spans HTTP and task logs."""
    if headers is not None and "request_id" not in headers:
        headers["request_id"] = request_id_var.get()


@task_prerun.connect
def _bind_task_request_id(task=None, **kwargs):
    incoming = getattr(task.request, "request_id", None) if task else None
    task.request._dojo_log_token = bind_request_id(
        incoming if incoming and incoming != "-" else None
    )


@task_postrun.connect
def _unbind_task_request_id(task=None, **kwargs):
    token = getattr(task.request, "_dojo_log_token", None) if task else None
    if token is not None:
        # Eager tasks may finish in another context than they started; nothing to undo then.
        with contextlib.suppress(ValueError):
            request_id_var.reset(token)

"""A session whose scoring task was lost (its worker killed with SIGKILL: the broker only gives
the task back after its one-hour visibility timeout) is scored again within two minutes by the
sweep, which `make worker` runs (celery beat inside the worker), not an optional process."""

import subprocess
from pathlib import Path

from django.conf import settings

from performance.tasks import STUCK_AFTER

ROOT = Path(__file__).resolve().parents[2]


def test_a_lost_session_is_swept_within_two_minutes():
    sweep = settings.CELERY_BEAT_SCHEDULE["sweep-unscored-sessions"]
    assert sweep["task"] == "performance.tasks.sweep_unscored_sessions"
    # Worst case: it becomes stuck just after a sweep, and is found by the first one after that.
    assert STUCK_AFTER.total_seconds() + sweep["schedule"] <= 120


def test_make_worker_runs_the_sweeps_and_further_workers_can_leave_them_out():
    def command(*args):
        dry_run = ["make", "-s", "-n", "worker", *args]
        return subprocess.run(dry_run, cwd=ROOT, capture_output=True, text=True, check=True)

    assert "--beat" in command().stdout
    assert "--beat" not in command("BEAT=0").stdout

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PerformanceMetric(models.Model):
    """One criterion's score for one scored session, with the evidence it rests on."""

    session = models.ForeignKey(
        "sessions_app.UserSession", on_delete=models.CASCADE, related_name="metrics"
    )
    # Denormalised from the session so that per-trainee trends need no join.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="performance_metrics"
    )
    criterion = models.CharField(max_length=64)
    score = models.PositiveSmallIntegerField()
    weight = models.FloatField()
    rationale = models.CharField(max_length=500, blank=True)
    # [{"message_id": "...", "quote": "..."}]
    evidence = models.JSONField(default=list, blank=True)
    tip = models.TextField(blank=True)
    # Set once a reviewer changes `score`: what the machine gave, kept beside the correction.
    machine_score = models.PositiveSmallIntegerField(null=True, blank=True)
    review_comment = models.TextField(blank=True, db_default="", default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "criterion"], name="metric_unique_session_criterion"
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="metric_score_0_100"),
        ]
        indexes = [models.Index(fields=["user", "criterion", "created_at"])]

    def __str__(self):
        return f"{self.criterion}: {self.score}"


class SessionReview(models.Model):
    """A trainer's review of a scored session: their overall comment, when it was marked
    reviewed, and the machine's total before any correction."""

    session = models.OneToOneField(
        "sessions_app.UserSession", on_delete=models.CASCADE, related_name="review"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)
    machine_score = models.PositiveSmallIntegerField()
    reviewed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Review of {self.session_id}"


class ScoreOverride(models.Model):
    """The audit record of one correction: who changed which criterion, from what to what,
    when and why. Never edited or deleted by the app."""

    metric = models.ForeignKey(
        PerformanceMetric, on_delete=models.CASCADE, related_name="overrides"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    score_before = models.PositiveSmallIntegerField()
    score_after = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.metric_id}: {self.score_before} -> {self.score_after}"

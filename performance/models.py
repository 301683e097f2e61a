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

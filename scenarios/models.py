from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from scenarios.validation import validate_scenario_document


class Difficulty(models.TextChoices):
    STARTER = "starter", "Starter"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


DIFFICULTY_ORDER = {Difficulty.STARTER: 0, Difficulty.INTERMEDIATE: 1, Difficulty.ADVANCED: 2}

# Top-level keys of the scenario file format (docs/scenarios.md), in the order they are written out.
DOCUMENT_FIELDS = (
    "slug",
    "title",
    "description",
    "difficulty",
    "estimated_time",
    "xp_reward",
    "is_active",
    "prerequisites",
    "ticket_template",
    "customer_persona",
    "knowledge_base_entries",
    "assessment_criteria",
)
JSON_FIELDS = (
    "ticket_template",
    "customer_persona",
    "knowledge_base_entries",
    "assessment_criteria",
)


class ScenarioQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Scenario(models.Model):
    """A support ticket with a simulated customer behind it, authored as one document.

    The structured parts stay JSON exactly as written (a round trip through import/export loses
    nothing); `category` is copied out of the ticket so that the catalogue can filter on a column.
    """

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    difficulty = models.CharField(
        max_length=16, choices=Difficulty.choices, default=Difficulty.STARTER, db_index=True
    )
    estimated_time = models.PositiveIntegerField(default=10, help_text="Minutes.")
    xp_reward = models.PositiveIntegerField(default=50)
    is_active = models.BooleanField(default=True, db_index=True)
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unlocks"
    )
    category = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    ticket_template = models.JSONField(default=dict)
    customer_persona = models.JSONField(default=dict)
    knowledge_base_entries = models.JSONField(default=list, blank=True)
    assessment_criteria = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        ordering = ["difficulty", "title"]
        indexes = [models.Index(fields=["is_active", "difficulty", "category"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # A denormalised copy for filtering, never edited by hand.
        self.category = str((self.ticket_template or {}).get("category", ""))[:64]
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        document = self.to_document(include_prerequisites=False)
        problems = validate_scenario_document(document, check_prerequisites=False)
        if problems:
            errors: dict[str, list[str]] = {}
            for problem in problems:
                field = problem.field if problem.field in DOCUMENT_FIELDS else "__all__"
                errors.setdefault(field, []).append(problem.message_with_path)
            raise ValidationError(errors)

    @property
    def difficulty_rank(self) -> int:
        return DIFFICULTY_ORDER.get(self.difficulty, 0)

    def to_document(self, *, include_prerequisites: bool = True) -> dict:
        """The scenario in the file format of docs/scenarios.md."""
        document = {
            "slug": self.slug,
            "title": self.title,
            "description": self.description,
            "difficulty": self.difficulty,
            "estimated_time": self.estimated_time,
            "xp_reward": self.xp_reward,
            "is_active": self.is_active,
            "prerequisites": [],
            "ticket_template": self.ticket_template,
            "customer_persona": self.customer_persona,
            "knowledge_base_entries": self.knowledge_base_entries,
            "assessment_criteria": self.assessment_criteria,
        }
        if include_prerequisites and self.pk:
            document["prerequisites"] = sorted(p.slug for p in self.prerequisites.all())
        return document

    # Convenience views of the document used by the engines, scoring and pages.
    @property
    def persona(self) -> dict:
        return self.customer_persona or {}

    @property
    def knowledge_base(self) -> list[dict]:
        return self.knowledge_base_entries or []

    @property
    def criteria(self) -> list[dict]:
        return (self.assessment_criteria or {}).get("criteria", [])

    @property
    def pass_score(self) -> int:
        return int((self.assessment_criteria or {}).get("pass_score", 70))

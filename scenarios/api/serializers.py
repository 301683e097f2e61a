"""What the API shows of a scenario. Only whitelisted parts of the document go out: the persona's
facts, its resolution and any field an author adds later stay hidden unless listed here."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scenarios.models import Difficulty, Scenario
from scenarios.selectors import category_label


class ScenarioQuerySerializer(serializers.Serializer):
    difficulty = serializers.ChoiceField(
        choices=Difficulty.choices, required=False, allow_blank=True
    )
    completed = serializers.BooleanField(required=False, allow_null=True, default=None)
    category = serializers.CharField(required=False, max_length=64, allow_blank=True)
    q = serializers.CharField(required=False, max_length=100, allow_blank=True)


class ScenarioCatalogueSerializer(serializers.ModelSerializer):
    """A scenario in the list, without the trainee's progress: the same for everyone, so it is
    serialised once per catalogue (`overview.api.serializers.rows_memo`)."""

    priority = serializers.SerializerMethodField()
    prerequisites = serializers.SerializerMethodField()
    category_label = serializers.SerializerMethodField(
        help_text="The category as pages show it ('saas-bug' reads 'SaaS bug')."
    )

    class Meta:
        model = Scenario
        fields = [
            "id",
            "slug",
            "title",
            "description",
            "difficulty",
            "category",
            "category_label",
            "priority",
            "estimated_time",
            "xp_reward",
            "prerequisites",
        ]
        read_only_fields = fields

    def get_priority(self, scenario) -> str | None:
        return (scenario.ticket_template or {}).get("priority")

    def get_category_label(self, scenario) -> str:
        return category_label(scenario.category)

    def get_prerequisites(self, scenario) -> list[str]:
        return [prerequisite.slug for prerequisite in scenario.prerequisites.all()]


class TicketSerializer(serializers.Serializer):
    priority = serializers.CharField(read_only=True)
    category = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    customer_info = serializers.JSONField(read_only=True)
    technical_context = serializers.JSONField(read_only=True)


class CustomerSerializer(serializers.Serializer):
    """The customer as the trainee first meets them: never facts, resolution or temperament."""

    name = serializers.CharField(read_only=True)
    technical_level = serializers.CharField(read_only=True)


class KnowledgeBaseEntrySerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    key_phrases = serializers.ListField(child=serializers.CharField(), read_only=True)


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    weight = serializers.FloatField(read_only=True)


class AssessmentSerializer(serializers.Serializer):
    pass_score = serializers.IntegerField(read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)


class ScenarioContentSerializer(ScenarioCatalogueSerializer):
    """What the trainee sees of one scenario before starting: the catalogue row plus the
    ticket, the customer as first met, the knowledge base and how the session is assessed."""

    ticket_template = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    knowledge_base = KnowledgeBaseEntrySerializer(many=True, read_only=True)
    assessment = serializers.SerializerMethodField()

    class Meta(ScenarioCatalogueSerializer.Meta):
        fields = [
            *ScenarioCatalogueSerializer.Meta.fields,
            "ticket_template",
            "customer",
            "knowledge_base",
            "assessment",
        ]
        read_only_fields = fields

    @extend_schema_field(TicketSerializer)
    def get_ticket_template(self, scenario) -> dict:
        return TicketSerializer(scenario.ticket_template or {}).data

    @extend_schema_field(CustomerSerializer)
    def get_customer(self, scenario) -> dict:
        return CustomerSerializer(scenario.persona).data

    @extend_schema_field(AssessmentSerializer)
    def get_assessment(self, scenario) -> dict:
        return AssessmentSerializer(
            {"pass_score": scenario.pass_score, "criteria": scenario.criteria}
        ).data

import copy

import factory
from django.utils import timezone

from accounts.models import User
from scenarios.models import Scenario
from sessions_app.models import ChatMessage, UserSession

# The contract's example scenario (docs/scenarios.md), used as the base of every test scenario.
ROUTER_SCENARIO = {
    "slug": "router-reboot-loop",
    "title": "Router stuck in a reboot loop",
    "description": "A home customer's fibre router restarts every few minutes.",
    "difficulty": "starter",
    "estimated_time": 10,
    "xp_reward": 50,
    "is_active": True,
    "prerequisites": [],
    "ticket_template": {
        "priority": "high",
        "category": "connectivity",
        "description": "My internet keeps cutting out every few minutes. Fix it.",
        "customer_info": {"name": "Dana Reyes", "plan": "Fibre 500", "account_id": "AC-99812"},
        "technical_context": {"device": "HX-200 router", "firmware": "2.1.4"},
    },
    "customer_persona": {
        "name": "Dana Reyes",
        "technical_level": "novice",
        "personality": {"patience": 2, "temperament": "irritable"},
        "communication_style": {"tone": "curt", "verbosity": "short"},
        "facts": [
            {
                "key": "light_colour",
                "asked_by": ["light", "led", "colour", "color", "blinking"],
                "answer": "The light on the front is blinking orange.",
            }
        ],
        "resolution": {
            "requires": ["kb-reset"],
            "confirm": "Oh, it's back up. Thanks!",
            "unresolved": "This isn't helping. I want to speak to a manager.",
        },
    },
    "knowledge_base_entries": [
        {
            "id": "kb-reset",
            "title": "Reset the HX-200",
            "body": "Hold the reset button on the back for 10 seconds, then wait two minutes.",
            "key_phrases": ["reset button", "10 seconds"],
        }
    ],
    "assessment_criteria": {
        "pass_score": 70,
        "criteria": [
            {"key": "greeting", "weight": 10},
            {"key": "empathy", "weight": 20},
            {"key": "information_gathering", "weight": 20},
            {"key": "resolution", "weight": 35},
            {"key": "professionalism", "weight": 15},
        ],
        "forbidden_phrases": ["calm down", "not my problem"],
    },
}


def scenario_document(**overrides) -> dict:
    """A deep copy of the contract's example with top-level fields replaced."""
    document = copy.deepcopy(ROUTER_SCENARIO)
    document.update(overrides)
    return document


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"trainee{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scenario
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"scenario-{n}")
    title = factory.Sequence(lambda n: f"Scenario {n}")
    description = ROUTER_SCENARIO["description"]
    difficulty = "starter"
    estimated_time = 10
    xp_reward = 50
    is_active = True
    ticket_template = factory.LazyFunction(
        lambda: copy.deepcopy(ROUTER_SCENARIO["ticket_template"])
    )
    customer_persona = factory.LazyFunction(
        lambda: copy.deepcopy(ROUTER_SCENARIO["customer_persona"])
    )
    knowledge_base_entries = factory.LazyFunction(
        lambda: copy.deepcopy(ROUTER_SCENARIO["knowledge_base_entries"])
    )
    assessment_criteria = factory.LazyFunction(
        lambda: copy.deepcopy(ROUTER_SCENARIO["assessment_criteria"])
    )


class UserSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserSession

    user = factory.SubFactory(UserFactory)
    scenario = factory.SubFactory(ScenarioFactory)
    scenario_snapshot = factory.LazyAttribute(lambda o: o.scenario.to_document())
    started_at = factory.LazyFunction(timezone.now)


class ChatMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatMessage

    session = factory.SubFactory(UserSessionFactory)
    seq = factory.Sequence(lambda n: n + 1)
    role = "agent"
    content = "Hello, how can I help?"

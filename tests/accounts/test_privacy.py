"""What other trainees learn about a trainee: the display name chosen at sign-up, never a part
of the e-mail address; and nothing at all on the leaderboard for one who chose to be hidden."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGN_UP = {"email": "jo.bloggs@example.com", "password1": "a-long-unusual-pass"}


def sign_up(**extra):
    data = {**SIGN_UP, "password2": SIGN_UP["password1"], **extra}
    return Client().post("/accounts/signup/", data)


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_sign_up_asks_for_a_display_name():
    page = Client().get("/accounts/signup/").content.decode()
    assert 'name="public_name"' in page
    assert "Display name" in page

    refused = sign_up()
    assert refused.status_code == 200
    assert not User.objects.filter(email=SIGN_UP["email"]).exists()

    blank = sign_up(public_name="   ")
    assert blank.status_code == 200
    assert not User.objects.filter(email=SIGN_UP["email"]).exists()

    assert sign_up(public_name=" Jo ").status_code == 302
    assert User.objects.get(email=SIGN_UP["email"]).public_name == "Jo"


@pytest.mark.parametrize(
    ("names", "shown"),
    [
        ({"public_name": "Ace", "first_name": "Jo", "last_name": "Bloggs"}, "Ace"),
        ({"public_name": "", "first_name": "Jo", "last_name": "Bloggs"}, "Jo Bloggs"),
        ({"public_name": "", "first_name": "", "last_name": ""}, "Trainee {pk}"),
    ],
)
def test_leaderboards_show_display_names_never_the_email(names, shown, client):
    ranked = UserFactory(email="secret.handle@example.com", xp=500, **names)
    viewer = UserFactory(xp=10)
    expected = shown.format(pk=ranked.pk)

    rows = api_for(viewer).get("/api/v1/leaderboard/").json()["data"]
    assert rows[0]["display_name"] == expected

    client.force_login(viewer)
    page = client.get("/leaderboard/").content.decode()
    assert expected in page
    assert "secret.handle" not in page


def test_a_hidden_trainee_is_left_out_of_the_leaderboard_and_told_so(client):
    hidden = UserFactory(public_name="Ghost", xp=900, on_leaderboard=False)
    shown = UserFactory(public_name="Visible", xp=100)

    body = api_for(shown).get("/api/v1/leaderboard/").json()
    assert [row["display_name"] for row in body["data"]] == ["Visible"]
    assert body["meta"]["total"] == 1

    mine = api_for(hidden).get("/api/v1/leaderboard/").json()["meta"]["me"]
    assert mine["rank"] is None
    client.force_login(hidden)
    page = client.get("/leaderboard/").content.decode()
    assert "Ghost" not in page.split("<tbody", 1)[-1].split("</tbody>", 1)[0]
    assert "chose not to be shown" in page


def test_hiding_and_renaming_take_effect_at_once(settings):
    settings.LEADERBOARD_CACHE_SECONDS = 600  # the ranking is cached: saves must move it on
    trainee = UserFactory(public_name="Before", xp=300)
    viewer = UserFactory(public_name="Viewer", xp=5)
    viewer_api = api_for(viewer)

    def names():
        rows = viewer_api.get("/api/v1/leaderboard/").json()["data"]
        return [row["display_name"] for row in rows]

    assert names() == ["Before", "Viewer"]

    api_for(trainee).patch("/api/v1/users/me/", {"public_name": "After"}, format="json")
    assert names() == ["After", "Viewer"]

    response = api_for(trainee).patch("/api/v1/users/me/", {"on_leaderboard": False}, format="json")
    assert response.json()["data"]["on_leaderboard"] is False
    assert names() == ["Viewer"]


def test_the_profile_page_changes_the_display_name_and_visibility(client):
    trainee = UserFactory(public_name="Old", xp=50)
    client.force_login(trainee)
    response = client.post(
        "/profile/",
        {"public_name": "New", "first_name": "", "last_name": "", "timezone": "UTC"},
    )
    assert response.status_code == 302
    trainee.refresh_from_db()
    assert (trainee.public_name, trainee.on_leaderboard) == ("New", False)

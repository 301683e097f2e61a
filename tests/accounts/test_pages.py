import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def _csrf(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.cookies["csrftoken"].value


def test_sign_up_log_out_and_log_in_through_the_real_pages(csrf_client):
    token = _csrf(csrf_client, "/accounts/signup/")
    response = csrf_client.post(
        "/accounts/signup/",
        {
            "email": "New.Trainee@Example.com",
            "public_name": "New Trainee",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="new.trainee@example.com")
    assert (user.level, user.xp, user.timezone) == (1, 0, "UTC")

    dashboard = csrf_client.get("/")
    assert b"Level 1" in dashboard.content

    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert b"Start training" in csrf_client.get("/").content

    token = _csrf(csrf_client, "/accounts/login/")
    response = csrf_client.post(
        "/accounts/login/",
        {
            "login": "new.trainee@example.com",
            "password": "a-long-unusual-passphrase",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    assert b"Level 1" in csrf_client.get("/").content


def test_a_post_without_csrf_token_is_refused(csrf_client):
    response = csrf_client.post("/accounts/login/", {"login": "x@example.com", "password": "x"})
    assert response.status_code == 403


def test_wrong_password_shows_an_error(client, user):
    response = client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    assert response.status_code == 200
    assert b"not correct" in response.content or b"incorrect" in response.content.lower()


def test_profile_page_edits_name_timezone_and_preferences(csrf_client, user):
    csrf_client.force_login(user)
    token = _csrf(csrf_client, "/profile/")
    response = csrf_client.post(
        "/profile/",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "timezone": "Pacific/Honolulu",
            "reduce_motion": "on",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.timezone) == (
        "Ada",
        "Lovelace",
        "Pacific/Honolulu",
    )
    assert user.preferences == {
        "show_customer_mood": False,
        "reduce_motion": True,
        "enter_sends": False,
    }


def test_profile_rejects_an_unknown_time_zone(client_user, user):
    response = client_user.post("/profile/", {"timezone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    user.refresh_from_db()
    assert user.timezone == "UTC"


def test_profile_requires_login(client):
    response = client.get("/profile/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_api_token_can_be_created_and_revoked_from_the_profile(client_user, user):
    client_user.post("/profile/token/")
    page = client_user.get("/profile/")
    key = user.auth_token.key
    assert key.encode() in page.content
    # Shown once only.
    assert key.encode() not in client_user.get("/profile/").content
    client_user.post("/profile/token/revoke/")
    assert not Token.objects.filter(key=key).exists()

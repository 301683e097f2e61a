import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_me_returns_the_contract_fields(api_client, user):
    response = api_client.get("/api/v1/users/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    for field in (
        "id",
        "email",
        "first_name",
        "last_name",
        "level",
        "xp",
        "xp_into_level",
        "xp_for_next_level",
        "timezone",
        "preferences",
    ):
        assert field in body["data"]
    assert body["data"]["xp_for_next_level"] == 100


def test_patch_me_ignores_fields_a_user_must_not_set(api_client, user):
    response = api_client.patch(
        "/api/v1/users/me/",
        {
            "first_name": "Grace",
            "xp": 99999,
            "level": 50,
            "is_staff": True,
            "timezone": "Asia/Tokyo",
        },
        format="json",
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.first_name, user.timezone) == ("Grace", "Asia/Tokyo")
    assert (user.xp, user.level, user.is_staff) == (0, 1, False)


def test_patch_me_rejects_a_bad_timezone_in_the_error_envelope(api_client):
    response = api_client.patch("/api/v1/users/me/", {"timezone": "Nowhere/Else"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "timezone" in body["error"]
    assert "timezone" in body["details"]


def test_token_issue_and_use(user, password):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"email": user.email, "password": password}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["data"]["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/users/me/").json()["data"]["email"] == user.email


def test_token_issue_with_wrong_password_is_401(user):
    response = APIClient().post(
        "/api/v1/auth/token/", {"email": user.email, "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["error"] == "Those credentials are not valid."


def test_anonymous_gets_401_in_the_envelope():
    response = APIClient().get("/api/v1/users/me/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"error", "details"}


def test_unknown_api_path_is_a_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]


def test_malformed_json_is_a_400_in_the_envelope(api_client):
    response = api_client.patch(
        "/api/v1/users/me/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_unsupported_media_type_is_415_in_the_envelope(api_client):
    response = api_client.patch("/api/v1/users/me/", data="a=b", content_type="text/plain")
    assert response.status_code == 415
    assert "error" in response.json()


def test_method_not_allowed_is_405_in_the_envelope(api_client):
    response = api_client.delete("/api/v1/users/me/")
    assert response.status_code == 405
    assert "error" in response.json()


@pytest.mark.parametrize("escaped", ["nul\\u0000here", "lone \\ud800 surrogate"])
def test_patch_me_refuses_preferences_the_database_cannot_store(api_client, user, escaped):
    body = '{"preferences": {"note": "' + escaped + '"}}'
    response = api_client.patch("/api/v1/users/me/", body, content_type="application/json")
    assert response.status_code == 400
    assert "preferences" in response.json()["details"]
    user.refresh_from_db()
    assert "note" not in (user.preferences or {})

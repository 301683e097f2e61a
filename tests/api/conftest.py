import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def openapi(client):
    """The schema exactly as `/api/schema/` serves it to API consumers."""
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content[:500]
    return response.json()


@pytest.fixture
def token(user):
    return Token.objects.create(user=user).key


@pytest.fixture
def token_client(token):
    """A script's view of the API: no cookie, only `Authorization: Token <key>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client

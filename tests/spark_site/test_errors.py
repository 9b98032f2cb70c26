"""Every API failure is JSON in one shape; no HTML error page from an API path."""

import pytest

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return error


def test_it_answers_unknown_api_paths_with_json_404(api):
    assert_error_shape(api.get("/futures/nope"), 404, "NOT_FOUND")
    assert_error_shape(api.get("/api/nope"), 404, "NOT_FOUND")


def test_it_refuses_unauthenticated_posts_with_401(api):
    assert_error_shape(api.post("/api/tokens", {"username": "x"}), 401, "NOT_AUTHENTICATED")


def test_it_maps_malformed_json_to_422(api, olga, token_for):
    error = assert_error_shape(
        api.post("/api/tokens", raw="{not json", token=token_for(olga)), 422, "VALIDATION_ERROR"
    )
    assert error["details"]["fields"]


def test_it_names_the_invalid_field(api, olga, token_for):
    response = api.post("/api/tokens", {"username": "x", "role": "god"}, token=token_for(olga))
    error = assert_error_shape(response, 422, "VALIDATION_ERROR")
    assert [f["field"] for f in error["details"]["fields"]] == ["role"]
    assert "role" in error["message"]


def test_it_answers_wrong_method_with_json(api):
    assert_error_shape(api.get("/api/tokens"), 405, "METHOD_NOT_ALLOWED")


def test_it_refuses_oversized_bodies_with_413(api, olga, token_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = {"username": "x" * 5000}
    assert_error_shape(
        api.post("/api/tokens", body, token=token_for(olga)), 413, "PAYLOAD_TOO_LARGE"
    )


def test_pages_keep_html_404(client, bob):
    client.force_login(bob)  # anonymous visitors of any page are sent to the login page first
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")

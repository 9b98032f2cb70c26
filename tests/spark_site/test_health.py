import pytest
import requests
from django.test import override_settings

from spark_site import __version__

pytestmark = [pytest.mark.backends, pytest.mark.django_db]


def test_it_reports_db_and_channel_layer_ok(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "db": "ok",
        "channel_layer": "ok",
        "version": __version__,
    }


@override_settings(
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
)
def test_it_degrades_to_503_naming_a_dead_channel_layer(api):
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = api.get("/health")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["db"] == "ok"
    assert body["channel_layer"].startswith("error")


def test_it_names_a_dead_database_over_real_daphne(daphne):
    server = daphne()
    assert requests.get(server.url + "/health", timeout=5).json()["db"] == "ok"
    broken = daphne(DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    response = requests.get(broken.url + "/health", timeout=15)
    assert response.status_code == 503
    assert response.json()["db"].startswith("error")
    assert response.json()["channel_layer"] == "ok"


def test_daphne_serves_the_api_docs_and_schema(daphne):
    server = daphne()
    docs = requests.get(server.url + "/api/docs", timeout=5)
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    # The docs page loads its JavaScript from Spark itself, never from a CDN.
    assert "cdn.jsdelivr" not in docs.text
    schema = requests.get(server.url + "/api/openapi.json", timeout=5).json()
    assert "/health" in schema["paths"]

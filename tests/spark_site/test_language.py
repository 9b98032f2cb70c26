"""The site is Turkish unless the user picks English (spark_site/locale.py)."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import LanguagePreference

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    text = response.content.decode()
    return text.split('<html lang="', 1)[1].split('"', 1)[0]


def pick(client, language: str, next_url: str = "/"):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


@pytest.mark.parametrize("accept", ["en-US,en;q=0.9", "tr-TR,tr;q=0.9", "de-DE", ""])
def test_it_shows_turkish_whatever_the_browser_asks_until_english_is_picked(client, bob, accept):
    client.force_login(bob)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 200
    assert html_lang(response) == "tr"
    assert "<title>Panel · Spark</title>" in response.content.decode()


def test_it_keeps_english_once_picked_in_session_and_cookie(client, bob):
    client.force_login(bob)
    answer = pick(client, "en", "/portfolio")
    assert answer.status_code == 302 and answer["Location"] == "/portfolio"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="tr")) == "en"
    # Back to Turkish with the same switch.
    pick(client, "tr")
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="en")) == "tr"


def test_the_pick_follows_the_user_to_another_browser(client, bob, django_user_model):
    client.force_login(bob)
    pick(client, "en")
    assert LanguagePreference.objects.get(user=bob).language == "en"
    from django.test import Client

    other = Client()
    other.force_login(bob)
    assert html_lang(other.get("/")) == "en"


def test_the_cookie_keeps_the_pick_after_logout(client, bob):
    client.force_login(bob)
    pick(client, "en")
    client.post("/logout/")
    assert html_lang(client.get("/login/")) == "en"


@pytest.mark.parametrize("bad", ["de", "", "en'><script>", "x" * 500])
def test_it_ignores_a_language_the_site_does_not_have(client, bob, bad):
    client.force_login(bob)
    pick(client, bad)
    assert html_lang(client.get("/")) == "tr"
    assert not LanguagePreference.objects.filter(user=bob).exists()


def test_the_switch_never_redirects_off_site(client):
    answer = pick(client, "en", "https://evil.example/phish")
    assert answer["Location"] == "/"


def test_the_switch_refuses_get(client):
    assert client.get("/i18n/setlang/?language=en").status_code == 405


def test_a_machine_client_without_session_may_choose_with_accept_language(api, alice, token_for):
    token = token_for(alice)
    english = api.client.post(
        "/futures/order.place",
        "{",
        "application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    turkish = api.client.post(
        "/futures/order.place", "{", "application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert english.json()["error"]["code"] == turkish.json()["error"]["code"] == "VALIDATION_ERROR"
    assert english.json()["error"]["message"] == "Invalid request: the body is not valid JSON."
    assert turkish.json()["error"]["message"] != english.json()["error"]["message"]


def test_a_browser_session_gets_turkish_api_messages_even_if_it_accepts_english(client, alice):
    client.force_login(alice)
    answer = client.post(
        "/futures/order.place",
        {"symbol": "BTCUSDT"},
        "application/json",
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
    )
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"].startswith("Geçersiz istek")
    pick(client, "en")
    answer = client.post("/futures/order.place", {"symbol": "BTCUSDT"}, "application/json")
    assert answer.json()["error"]["message"].startswith("Invalid request")


def test_a_refusal_with_values_in_its_message_is_still_turkish(api, bob, token_for):
    answer = api.post("/futures/order.place", {}, token=token_for(bob))
    error = answer.json()["error"]
    assert (answer.status_code, error["code"]) == (403, "PERMISSION_DENIED")
    # Turkish, with the action and the missing permission in it (codes stay as they are)
    assert error["message"] == "order.place için gereken futures.place_order yetkiniz yok."
    assert error["details"]["permission"] == "futures.place_order"

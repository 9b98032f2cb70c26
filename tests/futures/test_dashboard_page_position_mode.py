"""The dashboard says the account's position mode as the server read it from the stand-in, and
the order form offers a side (LONG/SHORT) only on a hedge-mode account (issue 22)."""

from __future__ import annotations

import pytest

from futures.position_mode import position_mode_forget
from tests.support.english import english_in, visible_strings

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_mode(exchange):
    """No earlier reading: the page reads the stand-in's mode itself."""
    position_mode_forget()
    yield exchange
    position_mode_forget()


def _page(client, user, language: str) -> str:
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get("/?symbol=ETHUSDT")
    assert response.status_code == 200
    return response.content.decode()


def _hedge(sim) -> None:
    assert sim.control.position_mode(True)["code"] == 200


def test_a_hedge_account_shows_the_mode_and_the_side_selector_in_turkish(client, alice, fresh_mode):
    _hedge(fresh_mode)
    html = _page(client, alice, "tr")
    assert 'data-mode="hedge"' in html
    assert "Hesap modu: Hedge (uzun ve kısa ayrı)" in html
    assert 'data-testid="order-position-side"' in html
    assert 'name="positionSide" value="LONG" checked' in html
    assert "Pozisyon yönü" in html and "Al: uzun aç" in html and "Sat: uzun kapat" in html
    # Binance refuses reduceOnly in hedge mode: the form does not offer it.
    assert 'name="reduceOnly"' not in html
    # The old "trading is stopped" banner is gone.
    assert "hedge-mode-banner" not in html and "işlem durduruldu" not in html
    assert not english_in(visible_strings(html)), english_in(visible_strings(html))


def test_a_hedge_account_in_english(client, alice, fresh_mode):
    _hedge(fresh_mode)
    html = _page(client, alice, "en")
    assert "Account mode: Hedge (long and short apart)" in html
    assert "Buy: open long" in html and "Sell: close long" in html
    assert "Sell opens (grows) the short side; Buy closes (shrinks) it." in html  # SHORT's hint


def test_a_one_way_account_has_no_side_selector(client, alice, fresh_mode):
    html = _page(client, alice, "tr")
    assert 'data-mode="one-way"' in html
    assert "Hesap modu: Tek yön" in html
    assert 'name="positionSide"' not in html
    assert 'name="reduceOnly"' in html  # one-way keeps reduce-only as before
    assert not english_in(visible_strings(html)), english_in(visible_strings(html))
    assert "Account mode: One-way" in _page(client, alice, "en")


def test_an_unread_mode_says_so_and_offers_no_side(client, alice, fresh_mode):
    fresh_mode.control.faults(error_rate=1.0)  # every call to the stand-in fails
    try:
        html = _page(client, alice, "tr")
    finally:
        fresh_mode.control.clear_faults()
    assert 'data-mode="unknown"' in html
    assert "Hesap modu: bilinmiyor" in html
    assert 'name="positionSide"' not in html
    assert not english_in(visible_strings(html)), english_in(visible_strings(html))


def test_a_viewer_sees_the_mode_but_no_order_form(client, bob, fresh_mode):
    _hedge(fresh_mode)
    html = _page(client, bob, "tr")
    assert "Hesap modu: Hedge (uzun ve kısa ayrı)" in html
    assert 'data-testid="order-form"' not in html and 'name="positionSide"' not in html

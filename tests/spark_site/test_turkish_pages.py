"""No English string on a Turkish page: every page, for every role that may see it."""

from __future__ import annotations

import pytest

from accounts.roles import OPERATOR, TRADER, VIEWER
from tests.support.english import english_figures_in, english_in, visible_strings
from tests.support.pages import NOT_PAGES, PAGE_NAMES, html_url_names, page_urls

pytestmark = pytest.mark.django_db

OPERATOR_ONLY = {"limits"}
# Pages whose figures (runner cards, backtest metrics and trades) the scan also reads. The
# dashboard and the portfolio keep the API's full-precision value in their hover titles.
FIGURE_PAGES = {name for name in PAGE_NAMES if name.startswith("strategies:")}


def test_the_page_list_names_every_page_of_the_site():
    assert html_url_names() - NOT_PAGES == set(PAGE_NAMES)


@pytest.mark.parametrize("role", [VIEWER, TRADER, OPERATOR])
def test_every_page_is_turkish_for_every_role(client, make_user, role, sim_settings):
    user = make_user(f"ayşe{len(role)}", role)  # a name that is no English word
    client.force_login(user)
    problems = []
    for name, url in page_urls(user).items():
        if name in OPERATOR_ONLY and role != OPERATOR:
            continue
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        assert response.status_code == 200, (url, response.status_code)
        strings = visible_strings(response.content.decode())
        for text, words in english_in(strings):
            problems.append(f"{url}: {words} in {text!r}")
        if name in FIGURE_PAGES:  # figures too: 1.234,56 on a Turkish page, never 0.008
            for text, figure in english_figures_in(strings):
                problems.append(f"{url}: English figure {figure} in {text!r}")
    assert not problems, "\n".join(problems)


def test_the_admin_names_every_model_in_turkish(client, django_user_model):
    admin = django_user_model.objects.create_superuser("yonetici", password="x-Parola-1")
    client.force_login(admin)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name in ("Emirler", "Risk limitleri", "API belirteçleri", "Denetim günlüğü", "Bildirimler"):
        assert name in page, name
    problems = english_in(visible_strings(page))
    assert not problems, problems

"""The first `make run`: the admin's credentials are printed last, in a box, and never kept."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import stat
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.models import ApiToken, hash_token

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("run_platform", ROOT / "scripts" / "run_platform.py")
run_platform = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_platform)


@pytest.mark.django_db
def test_the_first_run_writes_credentials_to_a_private_file_and_prints_none(tmp_path):
    target = tmp_path / "first-run"
    target.touch()
    out = io.StringIO()
    call_command("bootstrap_local", credentials_file=str(target), stdout=out)
    creds = json.loads(target.read_text())
    assert creds["password"] not in out.getvalue() and creds["token"] not in out.getvalue()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    admin = get_user_model().objects.get(username=creds["username"])
    assert admin.check_password(creds["password"])
    assert ApiToken.objects.get(user=admin).token_hash == hash_token(creds["token"])

    # A second run creates nothing and writes nothing: there is no password to show any more.
    again = tmp_path / "second-run"
    call_command("bootstrap_local", credentials_file=str(again), stdout=io.StringIO())
    assert not again.exists() or again.read_text() == ""
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_the_box_shows_the_credentials_the_reset_hint_and_ends_with_the_address():
    box = run_platform.credentials_box(
        "http://127.0.0.1:8000", {"username": "admin", "password": "pw-1", "token": "spk_t"}
    )
    lines = box.strip("\n").split("\n")
    assert lines[0].startswith("╔") and lines[-1].startswith("╚")
    assert len({len(line) for line in lines}) == 1  # a closed box: every line as wide
    body = [line.strip("║ ") for line in lines[1:-1]]
    assert "username : admin" in body and "password : pw-1" in body and "API token: spk_t" in body
    assert any("manage.py changepassword" in line for line in body)
    assert body[-1].startswith("Spark is running on http://127.0.0.1:8000")


def test_later_runs_say_how_to_reset_a_forgotten_password(tmp_path):
    empty = tmp_path / "first-run"
    empty.write_text("")
    box = run_platform.credentials_box("http://x", run_platform.read_credentials(empty))
    assert "password :" not in box and "changepassword" in box
    assert not empty.exists()  # the file is removed, whatever it held

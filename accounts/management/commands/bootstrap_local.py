"""On first run, create the local admin and print its password and an API token once."""

from __future__ import annotations

import json
import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import ApiToken
from accounts.roles import OPERATOR, assign_role, sync_roles
from audit.services import record


class Command(BaseCommand):
    help = "Create the local admin (operator + superuser) if no superuser exists yet."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--credentials-file",
            default="",
            help="write the new credentials as JSON to this file (mode 0600) instead of printing"
            " them, so `make run` can print them last, after every other line of output",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        sync_roles()
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            self.stdout.write("Local admin exists already; log in with your saved password.")
            return
        password = secrets.token_urlsafe(12)
        user = users.create_superuser(username=options["username"], password=password)
        assign_role(user, OPERATOR)
        _, raw = ApiToken.issue(user, name="bootstrap")
        record(actor="system", action="bootstrap.admin", target=user.get_username())
        if options["credentials_file"]:
            _write_private(
                options["credentials_file"],
                {"username": user.get_username(), "password": password, "token": raw},
            )
            return
        self.stdout.write(
            "\n".join(
                [
                    "=" * 64,
                    "First run: a local admin was created. This is shown only once.",
                    f"  username : {user.get_username()}",
                    f"  password : {password}",
                    f"  API token: {raw}",
                    "=" * 64,
                ]
            )
        )


def _write_private(path: str, data: dict) -> None:
    """Write data as JSON readable by this OS user only (it holds a password and a token)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through os.open: set it anyway
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)

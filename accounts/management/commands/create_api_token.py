"""create_api_token --user NAME [--role viewer|trader|operator] [--staff]: print only the token."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from accounts.roles import OPERATOR, ROLES, assign_role
from audit.services import record


class Command(BaseCommand):
    help = "Create the user if missing, give it a role, and print a new API token (only that)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username (created when missing)")
        parser.add_argument("--role", choices=ROLES, help="role to grant (new users: viewer)")
        parser.add_argument("--staff", action="store_true", help="synonym of --role operator")
        parser.add_argument("--name", default="", help="a label for the token")
        parser.add_argument("--expires-days", type=int, default=None, help="expire after N days")

    @transaction.atomic
    def handle(self, *args, **options):
        if options["staff"] and options["role"] not in (None, OPERATOR):
            raise CommandError("--staff means --role operator; do not combine it with another role")
        role = OPERATOR if options["staff"] else options["role"]
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=options["user"])
        if created:
            user.set_unusable_password()
            user.save()
        if role or created:
            assign_role(user, role or "viewer")
        expires = None
        if options["expires_days"] is not None:
            if options["expires_days"] < 1:
                raise CommandError("--expires-days must be at least 1")
            expires = timezone.now() + timedelta(days=options["expires_days"])
        token, raw = ApiToken.issue(user, name=options["name"], expires_at=expires)
        record(
            actor="system",
            action="token.create",
            target=user.get_username(),
            payload={"token_prefix": token.prefix, "role": role or "unchanged"},
        )
        self.stdout.write(raw)

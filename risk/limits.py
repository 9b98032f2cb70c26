"""Edit the risk limits in the app (operators): the admin's validation and audit, one service."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.permissions import require
from audit.services import record
from risk.gate import lock
from risk.models import RiskLimits
from spark_site.errors import ValidationFailed

PERMISSION = "risk.change_risklimits"
FIELDS = [
    "max_notional_usd",
    "default_max_position_usd",
    "daily_loss_limit_usd",
    "trading_day_timezone",
    "trading_day_start_hour",
]


class LimitsForm(forms.ModelForm):
    """The model's own validators and constraints, as the admin form uses them."""

    class Meta:
        model = RiskLimits
        fields = FIELDS
        # Numbers in the page's format: "75,5" on a Turkish page, "75.5" in English.
        localized_fields = FIELDS
        labels = {
            "max_notional_usd": _("Max notional per order (USD)"),
            "default_max_position_usd": _("Max position per symbol (USD)"),
            "daily_loss_limit_usd": _("Daily loss limit (USD)"),
            "trading_day_timezone": _("Trading day time zone"),
            "trading_day_start_hour": _("Trading day start hour"),
        }
        help_texts = {
            "max_notional_usd": _("Largest notional of one order."),
            "default_max_position_usd": _(
                "Largest absolute position value, for symbols without their own row."
            ),
            "daily_loss_limit_usd": _("Realized loss of one trading day that opens the breaker."),
            "trading_day_timezone": _("For example UTC or Europe/Istanbul."),
            "trading_day_start_hour": _("0-23, in the time zone above."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The table's check constraints, said again per field so the error names its field.
        for name in ("max_notional_usd", "default_max_position_usd", "daily_loss_limit_usd"):
            self.fields[name].validators.append(MinValueValidator(0))
        self.fields["trading_day_start_hour"].validators.append(MaxValueValidator(23))


class InvalidLimits(ValidationFailed):
    """The form's errors, with the bound form for the page to show them beside each field."""

    def __init__(self, form: LimitsForm):
        fields = [
            {"field": name, "message": " ".join(str(e) for e in errors)}
            for name, errors in form.errors.items()
        ]
        super().__init__("Invalid limits: nothing was changed.", details={"fields": fields})
        self.form = form


def limits_update(*, user, data) -> RiskLimits:
    """Change the limits (risk.change_risklimits); audit old and new values, or the refusal.

    Under the limits row lock, so an order in flight is checked against either the old or the new
    limits, never a mix.
    """
    require(user, PERMISSION, action="risk.limits.change", target="risk_limits")
    try:
        with transaction.atomic():
            row = lock()
            before = row.as_dict()
            form = LimitsForm(data, instance=row)
            if not form.is_valid():
                raise InvalidLimits(form)
            form.save()
            after = RiskLimits.objects.get(pk=row.pk).as_dict()
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            record(
                actor=user,
                action="risk.limits.change",
                target="risk_limits",
                payload={"old": before, "new": after, "changed": changed},
            )
            return row
    except InvalidLimits as exc:
        # Outside the rolled-back transaction, so the refusal stays in the audit log.
        record(
            actor=user,
            action="risk.limits.change",
            target="risk_limits",
            payload={"invalid": [f["field"] for f in exc.details["fields"]]},
            outcome="rejected",
        )
        raise

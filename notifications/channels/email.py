"""Email through Django's email backend; the Message-ID is the delivery's idempotency key, so
mail clients show a resend after a crash as the same message."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage


def send(*, to: str, subject: str, text: str, idempotency_key: str) -> str:
    message = EmailMessage(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": f"<{idempotency_key}@spark.notifications>"},
    )
    message.send(fail_silently=False)
    return idempotency_key

"""Spark's settings for the test suite: the real ones, with a fast password hasher.

Every user a test makes hashes a password, and PBKDF2's million rounds cost a quarter of a
second each on a loaded CI machine: over a thousand tests that is minutes of hashing that proves
nothing. Servers the tests start (Daphne, manage.py, scripts) load this module too (pytest-django
exports DJANGO_SETTINGS_MODULE and conftest puts the repository on PYTHONPATH), so they verify
the same hashes. The production hasher has its own test in tests/accounts/test_password_hasher.py.
"""

from __future__ import annotations

from spark_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The worker writes a user's daily summary once the Istanbul clock passes their time (21:00 by
# default), so a suite running after 21:00 Istanbul would see one message more than each test
# sends. Tests of the summary call summaries_due with their own clock or turn this back on.
SPARK_NOTIFY_DAILY_SUMMARIES = False

"""Production hashes passwords slowly (tests/settings.py swaps in a fast hasher for tests only)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.servers import ROOT

# Settings only, no app loading: the hashers need nothing else.
PROBE = """
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, make_password
hasher = get_hasher()
print(settings.SETTINGS_MODULE, hasher.algorithm, getattr(hasher, "iterations", 0))
print(make_password("probe").split("$", 1)[0])
"""


def test_production_settings_store_passwords_with_a_slow_salted_hasher():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "spark_site.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    module, algorithm, iterations, stored = done.stdout.split()
    assert module == "spark_site.settings"
    assert algorithm in {"pbkdf2_sha256", "argon2", "scrypt"}, algorithm
    assert stored == algorithm
    if algorithm == "pbkdf2_sha256":
        assert int(iterations) >= 600_000  # OWASP's floor for PBKDF2-HMAC-SHA256

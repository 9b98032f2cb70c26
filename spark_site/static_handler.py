"""Static files under /static/ that never answer 500 to a hostile path.

Django's ASGIStaticFilesHandler turns only Http404 into 404: a traversal (`..%2f..`, double
encoded `%252e%252e`), a NUL byte or a name longer than the file system allows raise
SuspiciousFileOperation, ValueError or OSError in the finders and end as an HTML 500. Such a path
names no static file, so it is refused as 404 before the finders see it, and anything the finders
still raise is a 404 too.
"""

from __future__ import annotations

from urllib.request import url2pathname

from asgiref.sync import sync_to_async
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.exception import response_for_exception
from django.http import Http404

# Longer than any file under static/; a longer path is refused without touching the disk.
MAX_STATIC_PATH = 512


def is_safe_static_path(relative: str) -> bool:
    """True when `relative` (already decoded as the finders will see it) stays inside /static/."""
    if not relative or len(relative) > MAX_STATIC_PATH:
        return False
    if any(ord(ch) < 32 or ch == "\x7f" for ch in relative) or "\\" in relative:
        return False
    parts = relative.split("/")
    return not any(part in ("..", ".") for part in parts) and not relative.startswith("/")


class SafeStaticFilesHandler(ASGIStaticFilesHandler):
    """ASGIStaticFilesHandler whose every refusal is a 404."""

    def serve(self, request):
        relative = self.file_path(request.path)
        # url2pathname decodes once more: check the name the finders will open, and the raw one.
        if not (is_safe_static_path(relative) and is_safe_static_path(url2pathname(relative))):
            raise Http404("No such static file.")
        try:
            return super().serve(request)
        except (SuspiciousOperation, ValueError, OSError) as exc:
            raise Http404("No such static file.") from exc

    async def get_response_async(self, request):
        try:
            return await super().get_response_async(request)
        except (SuspiciousOperation, ValueError, OSError) as exc:  # pragma: no cover - belt
            return await sync_to_async(response_for_exception, thread_sensitive=False)(
                request, Http404(str(exc))
            )

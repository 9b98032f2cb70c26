"""What a page looks like in the browser: English words, overflow and WCAG contrast (in-page JS)."""

from __future__ import annotations

from pathlib import Path

JS = Path(__file__).parent / "js"


def _script(name: str) -> str:
    """A snippet of tests/support/js run in the page (it returns its findings)."""
    return (JS / name).read_text()


# Strings a person reads: text nodes and title/placeholder/aria-label/alt, outside scripts,
# <pre>/<code>/<textarea> (data) and anything marked translate="no" (names a person typed).
VISIBLE_STRINGS_JS = _script("visible_strings.js")

# Horizontal overflow: the page scrolls sideways, or an element sticks out of the viewport or out
# of a card (a clipped column).
OVERFLOW_JS = _script("overflow.js")

# WCAG 2.1 contrast of each visible text against the background it is painted on.
CONTRAST_JS = _script("contrast.js")

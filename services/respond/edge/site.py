"""The command center's web app as respond serves it: the pages and assets Vite built into
`services/respond/static/` (`make web`), each with its security headers.

Pages are never cached (a new build is picked up at once); assets have content-hashed names, so they are cached
for a year. The Content-Security-Policy allows nothing but this origin: no inline script or style, no eval, no
third-party request, no framing, and Trusted Types with no policy, so no code path can hand a string to an HTML
sink (`innerHTML` and the like throw), whatever text a mention carries.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from shared.errors import NotConfigured, NotFound
from shared.web import SECURITY_HEADERS as EDGE_HEADERS
from shared.web import Raw

STATIC = Path(__file__).resolve().parents[1] / "static"

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    )
)
SECURITY_HEADERS = {
    **EDGE_HEADERS,  # nosniff, no referrer, no framing, HSTS: what every answer of the edge carries
    "Content-Security-Policy": CSP,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
PAGE_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
ASSET_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=31536000, immutable"}
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
PAGES = {"app": "index.html", "wall": "wall.html"}


@dataclass(frozen=True)
class Built:
    stamp: float
    pages: dict[str, str]
    assets: dict[str, tuple[str, str]]


class Site:
    """The built web app, read once and again whenever a new build replaced it."""

    def __init__(self, root: Path = STATIC) -> None:
        self._root = root
        self._built: Built | None = None
        self._lock = threading.Lock()

    def page(self, name: str) -> Raw:
        built = self._current()
        return Raw(built.pages[name], "text/html; charset=utf-8", headers=PAGE_HEADERS)

    def asset(self, name: str) -> Raw:
        found = self._current().assets.get(name)
        if found is None:
            raise NotFound(f"there is no asset {name[:128]}")
        body, content_type = found
        return Raw(body, content_type, headers=ASSET_HEADERS)

    def _current(self) -> Built:
        index = self._root / PAGES["app"]
        try:
            stamp = index.stat().st_mtime
        except FileNotFoundError as exc:
            raise NotConfigured("the web app is not built: run `make web` (or `make run`)") from exc
        with self._lock:
            if self._built is None or self._built.stamp != stamp:
                self._built = self._load(stamp)
            return self._built

    def _load(self, stamp: float) -> Built:
        pages = {name: (self._root / file).read_text(encoding="utf-8") for name, file in PAGES.items()}
        assets: dict[str, tuple[str, str]] = {}
        folder = self._root / "assets"
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            content_type = CONTENT_TYPES.get(path.suffix)
            if content_type is not None and path.is_file():
                assets[path.name] = (path.read_text(encoding="utf-8"), content_type)
        return Built(stamp, pages, assets)


site = Site()

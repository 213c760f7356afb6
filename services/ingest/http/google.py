"""Google adapters: the keys that sign Pub/Sub push tokens, and the Business Profile API that holds the reviews.

Both are read over plain HTTPS with the standard library (no SDK at cold start). The API's base URL is
`HARK_API_BASE_GOOGLE` (default `https://mybusiness.googleapis.com`), so tests point it at a local fake; the API's
OAuth access token is Hark's `google` token (`HARK_TOKEN_GOOGLE`; the secret's `tokens.google`).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from services.ingest.platforms.google import Review
from shared.errors import InvalidBody, InvalidSignature, NotConfigured, Unavailable
from shared.http import open_url

API_BASE = "https://mybusiness.googleapis.com"
TIMEOUT_S = 5.0
KEYS_MAX_AGE_S = 3600.0  # Google rotates its signing keys over days; an unknown kid refreshes at once


class JwksKeys:
    """Keys from a JWKS document: a file, a URL (cached for an hour, refreshed when a token names an unknown key),
    or a document given as is (the local development key)."""

    def __init__(self, source: str | Mapping[str, Any], clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def key(self, kid: str) -> Any:
        with self._lock:
            stale = self._clock() - self._loaded_at > KEYS_MAX_AGE_S
            if stale or (kid not in self._keys and isinstance(self._source, str) and _is_url(self._source)):
                self._load()
            found = self._keys.get(kid)
        if found is None:
            raise InvalidSignature("the token's signing key is not one of Google's")
        return found

    def _load(self) -> None:
        import jwt  # noqa: PLC0415

        try:
            document = self._source if not isinstance(self._source, str) else _read(self._source)
            keyset = jwt.PyJWKSet.from_dict(dict(document))
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            if self._keys:  # keep verifying with the keys we have; the source may be back next time
                return
            raise Unavailable(f"the Google signing keys could not be read: {type(exc).__name__}") from exc
        self._keys = {k.key_id: k.key for k in keyset.keys if k.key_id}
        self._loaded_at = self._clock()


def _is_url(source: str) -> bool:
    return source.startswith(("https://", "http://"))


def _read(source: str) -> Any:
    if _is_url(source):
        with open_url(source, timeout=TIMEOUT_S) as response:
            return json.loads(response.read())
    return json.loads(Path(source).read_text(encoding="utf-8"))


class BusinessProfileReviews:
    """`GET {base}/v4/accounts/*/locations/*/reviews/*` with the OAuth token; 404 means the review is gone."""

    def __init__(self, base_url: str, token: Callable[[], str], timeout: float = TIMEOUT_S) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def fetch(self, review_name: str) -> Review | None:
        url = f"{self._base}/v4/{urllib.parse.quote(review_name, safe='/')}"
        request = urllib.request.Request(  # noqa: S310 - the configured API base
            url, headers={"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        )
        try:
            with open_url(request, timeout=self._timeout) as response:
                document = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            if error.code in (401, 403):
                raise NotConfigured(f"the Business Profile API refused Hark's token ({error.code})") from error
            raise Unavailable(f"the Business Profile API answered {error.code}; Pub/Sub will redeliver") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise Unavailable("the Business Profile API could not be reached; Pub/Sub will redeliver") from error
        except ValueError as error:
            raise Unavailable("the Business Profile API answered with something that is not JSON") from error
        if not isinstance(document, dict):
            raise Unavailable("the Business Profile API answered with something that is not a review")
        try:
            return Review.from_api(document)
        except InvalidBody as error:
            raise Unavailable(f"the Business Profile API returned an unreadable review: {error.detail}") from error

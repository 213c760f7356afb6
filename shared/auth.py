"""Who is calling: partner API keys resolved to a `Principal` (a user and roles) at the edge.

The domain never sees a key, only the principal; a principal's `key_id` (a short hash of the key) names it in logs
and namespaces without revealing it. Keys are compared as SHA-256 digests in constant time, against every key, so
neither timing nor an early exit tells how close a guess was.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from shared.errors import NotPermitted, Unauthenticated

Role = Literal["agent", "approver", "safety", "admin", "viewer", "partner"]
ROLES: tuple[str, ...] = get_args(Role)


def key_id(key: str) -> str:
    return "k_" + hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Grant:
    """What a key is issued for: the user it acts as and that user's roles."""

    user: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class Principal:
    user: str
    roles: frozenset[Role]
    key_id: str

    def has_any(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)

    def require(self, roles: Iterable[Role], action: str) -> None:
        wanted = frozenset(roles)
        if not self.has_any(wanted):
            raise NotPermitted(
                f"{self.user} may not {action}; it needs one of the roles {', '.join(sorted(wanted))}",
                needs=sorted(wanted),
            )


class ApiKeys:
    def __init__(self, grants: Mapping[str, Grant]) -> None:
        self._grants = [(hashlib.sha256(key.encode()).digest(), key_id(key), grant) for key, grant in grants.items()]

    def __len__(self) -> int:
        return len(self._grants)

    def authenticate(self, presented: str | None) -> Principal:
        if not presented:
            raise Unauthenticated("send a partner API key in the x-api-key header")
        digest = hashlib.sha256(presented.encode()).digest()
        found: Principal | None = None
        for stored, kid, grant in self._grants:
            if hmac.compare_digest(digest, stored) and found is None:
                found = Principal(grant.user, grant.roles, kid)
        if found is None:
            raise Unauthenticated("the API key is not one Hark issued")
        return found

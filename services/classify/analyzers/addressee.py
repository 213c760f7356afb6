"""Whom a text is addressed to, from the brand's own handles (configuration) where the platform does not say.

Where the platform tells Hark (a comment on the brand's page, a DM, a reply to the brand, a mention delivered by
the mentions API: `Mention.addressed`), nothing is estimated. Where it must be (`hark classify` on arbitrary posts,
a keyword search), the brand's own handles are known configuration (`TriagePolicy.brand_handles`), and they are
better evidence than any model:

- the brand's handle among the handles a text opens with (a reply to the brand, "@AcmeHelp my order ...") or
  anywhere in it ("Thanks to @Acme's incompetence ...") is what the platform would have reported as a mention:
  addressed;
- a text that opens with handles none of which is the brand's is a reply to other people ("@amber how is the
  reunion ..."): not addressed, whatever its words;
- otherwise (no handle at all) the addressed model's estimate stands.

Only the configured handles' names are compared; the models never see them (features leave handle names out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_HANDLE = re.compile(r"@(\w+)")
_LEADING = re.compile(r"(?:\.?@\w+[\s,:]*)+")
# A reply to other people: the addressed model's estimate is capped here (below any addressed threshold).
OTHERS = 0.05


@dataclass(frozen=True)
class BrandHandles:
    """The brand's own handles, lower case, without "@"; empty when none are configured."""

    names: frozenset[str] = frozenset()

    @classmethod
    def of(cls, handles: Iterable[str]) -> BrandHandles:
        return cls(frozenset(h.strip().lstrip("@").lower() for h in handles if h.strip().lstrip("@")))

    def __bool__(self) -> bool:
        return bool(self.names)

    def addressed(self, text: str) -> bool | None:
        """True when the text names one of the brand's handles, False when it opens with handles that are all
        someone else's, None when the handles say nothing (no handle, or none configured)."""
        if not self.names:
            return None
        handles = [h.lower() for h in _HANDLE.findall(text)]
        if not handles:
            return None
        if self.names.intersection(handles):
            return True
        if _LEADING.match(text.lstrip()):
            return False
        return None

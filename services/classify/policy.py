"""The brand's triage policy: what needs a human and what raises urgency. Defaults suit most brands; a brand
sets its own as JSON in `HARK_TRIAGE_POLICY` (in AWS, from the stack's configuration).

    {"vip_authors": ["@bigclient", "1029384"], "influencer_followers": 50000,
     "brand_keywords": {"recall": 30, "lawsuit": 30},
     "products": ["Zoloft", "sertraline"],
     "languages": {"es": {"complaint_cues": ["estafa"], "priority_boost": 5, "queue": "care-es"}},
     "comprehend": {"pii": "always", "enrichments": ["entities", "key_phrases"]}}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.errors import NotConfigured, validation_errors


class LanguageRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    complaint_cues: tuple[str, ...] = ()
    priority_boost: int = Field(default=0, ge=-50, le=50)
    queue: str | None = None


# Words that mark a complaint in the languages where the learnt models have seen few examples.
DEFAULT_LANGUAGES: dict[str, LanguageRule] = {
    "es": LanguageRule(
        complaint_cues=(
            "reembolso", "no funciona", "no ha llegado", "nunca llegó", "nunca llego", "estafa", "queja",
            "roto", "rota", "cobraron", "cobro doble", "pésimo", "pesimo", "nadie responde", "nadie contesta",
        )
    ),
    "fr": LanguageRule(
        complaint_cues=(
            "remboursement", "remboursé", "ne marche pas", "ne fonctionne pas", "toujours pas", "arnaque",
            "plainte", "cassé", "cassée", "débité", "inadmissible", "personne ne répond", "jamais reçu",
        )
    ),
    "de": LanguageRule(
        complaint_cues=(
            "erstattung", "geld zurück", "funktioniert nicht", "nicht angekommen", "kaputt", "beschwerde",
            "betrug", "doppelt abgebucht", "niemand antwortet", "keiner meldet", "unverschämt",
        )
    ),
    "it": LanguageRule(
        complaint_cues=(
            "rimborso", "non funziona", "non è arrivato", "mai arrivato", "danneggiato", "rotto", "truffa",
            "reclamo", "addebitato due volte", "nessuno risponde", "vergogna",
        )
    ),
    "pt": LanguageRule(
        complaint_cues=(
            "reembolso", "não funciona", "nao funciona", "não chegou", "nunca chegou", "quebrado", "golpe",
            "reclamação", "cobrado duas vezes", "ninguém responde", "péssimo", "pessimo",
        )
    ),
}  # fmt: skip

# Words that signal legal, safety or reputational risk: always worth a human, and sooner.
DEFAULT_KEYWORDS: dict[str, int] = {
    "lawsuit": 25,
    "lawyer": 20,
    "sue you": 25,
    "recall": 20,
    "data breach": 30,
    "hacked": 20,
    "fraud": 20,
    "unsafe": 20,
    "injured": 25,
    "injury": 20,
    "food poisoning": 30,
    "caught fire": 30,
    "exploded": 30,
}


class ComprehendSpend(BaseModel):
    """What `tiered` mode buys from Comprehend for a message routed to a human, beyond what the local tier was
    unsure of (language, sentiment, toxicity)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # DetectPiiEntities (names, ages, dates beyond the local patterns): where the local scan sees a cue of personal
    # data (`cued`, about one routed tweet in five), on every routed message (`always`), or not at all.
    pii: Literal["cued", "always", "never"] = "cued"
    # Entities and key phrases are stored on the classification for a brand's own analytics; nothing in Hark reads
    # them, so they are bought only when asked for.
    enrichments: frozenset[Literal["entities", "key_phrases"]] = frozenset()


class TriagePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    respond_intents: frozenset[str] = frozenset({"complaint", "question", "request"})
    # A clearly unhappy message needs a human even when it asks nothing.
    negative_threshold: float = Field(default=0.75, ge=0, le=1)
    # Below this, a text whose addressee is estimated is taken as not addressed to the brand.
    addressed_threshold: float = Field(default=0.5, ge=0, le=1)
    # The brand's own handles ("@AcmeHelp"): a text naming one is addressed to the brand, a text opening with
    # other people's handles only is not, where the platform does not say (see analyzers/addressee.py).
    brand_handles: frozenset[str] = frozenset()
    influencer_followers: int = Field(default=10_000, ge=0)
    vip_authors: frozenset[str] = frozenset()
    brand_keywords: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_KEYWORDS))
    products: tuple[str, ...] = ()
    assumed_product: str | None = None
    languages: dict[str, LanguageRule] = Field(default_factory=lambda: dict(DEFAULT_LANGUAGES))
    comprehend: ComprehendSpend = ComprehendSpend()

    @classmethod
    def from_json(cls, raw: str | None) -> TriagePolicy:
        if not raw:
            return cls()
        try:
            document: Any = cls.model_validate_json(raw)
        except ValidationError as exc:
            raise NotConfigured(f"HARK_TRIAGE_POLICY is not a valid policy: {validation_errors(exc)}") from exc
        return document  # type: ignore[no-any-return]

    def is_vip(self, author_id: str, handle: str | None) -> bool:
        keys = {author_id, author_id.lower()}
        if handle:
            keys |= {handle.lower(), "@" + handle.lower().lstrip("@")}
        return bool(keys & {v.lower() for v in self.vip_authors})

"""Words a person recognises as carrying a complaint: what a reason may name, and a feature the complaint model
reads (counts of these generalise to brands it never saw, where learnt n-grams are tied to the training brands).

A reason names the cue of the text that the complaint model weighs most; a text with none of them is explained by
the model's signal instead ("complaint tone 0.72"). Lower case; phrases match as words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

COMPLAINT_CUES: tuple[str, ...] = (
    # money
    "refund", "refunded", "refunds", "money back", "charged", "charged twice", "double charged", "overcharged",
    "overcharging", "billed", "billing", "fee", "fees", "charge", "charges", "scam", "scammed", "rip off",
    "ripped off", "fraud", "overpriced", "stole", "stolen",
    # waiting, delays, silence
    "delay", "delayed", "delays", "late", "waiting", "waited", "still waiting", "on hold", "hold music",
    "no response", "no reply", "no answer", "never answered", "never replied", "never responded", "nobody answers",
    "no one answers", "nobody", "no one", "ignored", "ignoring", "unanswered", "still no", "still not",
    "hours", "weeks", "months", "days", "again", "yet again", "every time", "third time", "second time",
    "never arrived", "never came", "never received", "not arrived", "hasn't arrived", "hasn't come", "not received",
    "haven't received", "didn't arrive", "didn't receive", "not delivered", "where is my", "where's my",
    # things that fail
    "broken", "broke", "damaged", "cracked", "faulty", "defective", "missing", "lost", "wrong", "error", "errors",
    "failed", "fails", "failing", "failure", "crash", "crashes", "crashed", "crashing", "keeps crashing", "bug",
    "bugs", "buggy", "glitch", "glitchy", "freezes", "frozen", "freezing", "stuck", "outage", "down",
    "not working", "doesn't work", "does not work", "don't work", "isn't working", "stopped working", "won't load",
    "won't work", "can't log in", "cannot log in", "can't login", "locked out", "logged out", "declined", "rejected",
    "denied", "cancelled", "canceled", "cancellation", "disconnected", "dropped", "overbooked", "stranded", "leaking",
    "leak", "spoiled", "expired", "mouldy", "moldy", "rotten", "cold", "soaked", "ruined", "dirty", "slow",
    "problem", "problems", "issue", "issues", "complaint", "complain", "complaining", "fix", "fix it", "unusable",
    "drains", "draining", "drain",
    # how it felt
    "disappointed", "disappointing", "disappointment", "terrible", "awful", "horrible", "horrendous", "worst",
    "bad", "poor", "poorly", "rude", "useless", "ridiculous", "unacceptable", "disgusting", "disgraceful", "joke",
    "pathetic", "shocking", "appalling", "frustrated", "frustrating", "annoyed", "annoying", "angry", "furious",
    "fed up", "sick of", "tired of", "shame", "unbelievable", "incompetent", "lied", "lies", "liar", "misleading",
    "nightmare", "hate", "sucks", "fail", "wtf", "smh",
    # other languages (the models saw few examples of these)
    "reembolso", "no funciona", "no ha llegado", "nunca llegó", "nunca llego", "estafa", "queja", "roto", "rota",
    "cobraron", "pésimo", "pesimo", "nadie responde", "nadie contesta", "remboursement", "ne marche pas",
    "ne fonctionne pas", "toujours pas", "arnaque", "plainte", "cassé", "cassée", "débité", "inadmissible",
    "personne ne répond", "jamais reçu", "erstattung", "geld zurück", "funktioniert nicht", "nicht angekommen",
    "kaputt", "beschwerde", "betrug", "niemand antwortet", "keiner meldet", "unverschämt", "rimborso",
    "non funziona", "non è arrivato", "mai arrivato", "danneggiato", "rotto", "truffa", "reclamo",
    "nessuno risponde", "vergogna", "não funciona", "nao funciona", "não chegou", "nunca chegou", "quebrado",
    "golpe", "reclamação", "ninguém responde", "péssimo",
)  # fmt: skip

_PATTERN = re.compile(
    r"(?<![\w'])(?:"
    + "|".join(re.escape(c) for c in sorted(set(COMPLAINT_CUES), key=len, reverse=True))
    + r")(?![\w'])"
)


def complaint_cues(lowered: str) -> list[str]:
    """The complaint cues in a lower-cased text, in order, longest first where they overlap."""
    return [m.group() for m in _PATTERN.finditer(lowered)]


COMPLAINT_DENSE = ("complaint_cues", "has_complaint_cue")


def cue_features(lowered: str) -> dict[str, float]:
    found = complaint_cues(lowered)
    return {"complaint_cues": min(len(found), 3) / 3, "has_complaint_cue": 1.0 if found else 0.0}


# Threats of harm: toxic whatever the offensive-language model says (OLID has few of them), and a human must see
# them on the brand's surface.
THREAT = re.compile(
    r"\b(?:i(?:'ll| will| am going to|'m going to|m gonna| gonna)\s+(?:kill|hurt|shoot|stab|beat up|burn|hunt)\s+"
    r"(?:you|u|ya|all of you|your)\b|i(?:'ll| will| am going to|'m going to|m gonna| gonna)\s+(?:find|come for|"
    r"come after)\s+(?:you|u|ya)(?=\s*(?:[.!,]|and\b|$))|(?:i know|find out|find) where (?:you|u) live|"
    r"hunt (?:you|u) down|burn (?:down )?your|watch your back|you(?:'ll| will) (?:pay for this|regret this)|"
    r"you(?:'re| are) (?:dead|going to die))",
    re.IGNORECASE,
)


def is_cue(term: str, extra: Iterable[str] = ()) -> bool:
    return term in _CUE_SET or term in set(extra)


_CUE_SET = frozenset(COMPLAINT_CUES)

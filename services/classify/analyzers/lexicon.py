"""Dense lexicon features, shared by training and scoring: VADER's valence scores (a hand-built English lexicon
that carries across domains better than learnt n-grams), profanity, shouting and exclamation signals, and
self-promotion cues for the spam model."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from services.classify.analyzers.features import LINK

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

DENSE = (
    "vader_pos",
    "vader_neg",
    "vader_neu",
    "vader_compound",
    "vader_positive",
    "vader_negative",
    "profanity",
    "has_profanity",
    "exclamation",
    "shouting",
)
# The spam model's dense inputs: learnt n-grams are tied to the videos and products they were trained on, while
# "look at my channel" and a link are how self-promotion reads anywhere.
PROMOTION_DENSE = ("promotion", "link", "shouting")

# Insults and profanity in English (lower case; a `*` inside a word is read as a vowel, "f*ck").
PROFANITY = frozenset(
    """
    fuck fucking fucked fucker fuckin motherfucker shit shitty bullshit bitch bitches ass asshole dumbass jackass
    bastard damn dick dickhead cunt pussy whore slut hoe hoes idiot idiots stupid moron morons dumb retard retarded
    loser losers scum trash garbage pathetic disgusting liar liars crap crappy suck sucks wtf stfu gtfo twat wanker
    prick douche douchebag clown clowns coward cowards traitor traitors hypocrite hypocrites fool fools fascist
    fascists nazi nazis racist racists bigot bigots psycho lunatic degenerate pig pigs filth filthy ugly
    """.split()
)
# Words too common to explain anything (reasons show the content words a model leaned on).
STOPWORDS = frozenset(
    """
    a an the and or but if so of to in on at by for with from as is are was were be been being am do does did have
    has had i me my mine we our you your yours he she it its they them their this that these those there here
    what which who whom when where why how all any both each few more most other some such no nor not only own same
    than too very can will just should now also get got would could may might must shall im i'm i've you're it's
    el la los las un una y o de del en que por para con se su sus es al lo le les des et ou du au aux une est pour
    dans sur avec ce cette der die das und oder ein eine zu mit von den dem ist nicht il lo gli e di da per con che
    una os as um uma e ou do da dos das em no na com que please pls mi mis tu tus mon ma mes ton ta mein meine
    dein deine mio mia miei mie meu minha meus minhas tout toute tous toutes todo toda todos todas alles tutto
    tutti tudo muy très sehr molto muito maintenant ahora jetzt ora agora aussi también auch anche também
    """.split()
)
# Self-promotion and money-making cues, in the languages Hark reads best.
_PROMOTION = re.compile(
    r"(?<!\w)(?:(?:my|mi|mis|mon|ma|mes|mein|meine|meinen|il mio|la mia|meu|minha) "
    r"(?:channel|videos?|page|music|songs?|blog|playlist|account|site|website|store|shop|canal|chaîne|kanal|"
    r"canale|página|pagina|vidéos?|vídeos?|tienda|boutique|loja)"
    r"|subscrib\w*|sub to|sub4sub|check (?:it )?out|visit|follow me|click|promo(?:tion)?|giveaway|make money|earn"
    r"|suscr[ií]b\w*|abonn\w*|abonnier\w*|iscriv\w*|inscrev\w*|inscreva\w*|sígueme|suivez-moi|folgt mir|seguimi)(?!\w)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z*']+")
_lock = threading.Lock()


@cache
def _vader() -> SentimentIntensityAnalyzer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: PLC0415

    return SentimentIntensityAnalyzer()


def strongest_word(words: Sequence[str], positive: bool) -> str | None:
    """The word of the text VADER's lexicon rates strongest in one direction ("love" in "Love the new update"): a
    reason people read at a glance, where the learnt weights of a model that also sees VADER's scores are small."""
    with _lock:
        lexicon = _vader().lexicon
    best, best_valence = None, 0.0
    for word in words:
        if word.startswith("¬"):  # negated: "not good" is no praise
            continue
        valence = float(lexicon.get(word, 0.0)) * (1 if positive else -1)
        if valence > best_valence:
            best, best_valence = word, valence
    return best


# VADER's cost grows faster than linearly with length; its valence is a sentence-level signal, so the first
# thousand characters carry it.
LEXICON_CHARS = 1000


def dense_features(text: str) -> dict[str, float]:
    text = text[:LEXICON_CHARS]
    with _lock:
        analyzer = _vader()
    scores = analyzer.polarity_scores(text)
    words = [w.replace("*", "u") for w in _WORD.findall(text.lower())]
    profane = sum(w in PROFANITY for w in words)
    letters = [c for c in text if c.isalpha()]
    return {
        "vader_pos": scores["pos"],
        "vader_neg": scores["neg"],
        "vader_neu": scores["neu"],
        "vader_compound": scores["compound"],
        "vader_positive": max(scores["compound"], 0.0),
        "vader_negative": max(-scores["compound"], 0.0),
        "profanity": min(profane, 3) / 3,
        "has_profanity": 1.0 if profane else 0.0,
        "exclamation": 1.0 if "!" in text else 0.0,
        "shouting": sum(c.isupper() for c in letters) / len(letters) if len(letters) >= 8 else 0.0,
        "promotion": min(len(_PROMOTION.findall(text)), 3) / 3,
        "link": 1.0 if LINK.search(text) else 0.0,
    }

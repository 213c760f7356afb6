"""The local analyzer: no network, no AWS. The classify Lambda's first tier, and the whole analyzer offline.

Per text (about a millisecond, see `make bench`): hashed features once; language (trained model + lingua);
sentiment (English model with VADER's lexicon, or the multilingual one); spam, offensive language (and threats),
whether the text is addressed to the brand and whether it is a complaint (trained models, see ml/train.py);
question and request cues; PII; medicines (the packed drug lexicon) and adverse-event criteria. Each decision keeps
the words that drove it, or names the model's signal when no word of the text did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.classify.analyzers.addressee import OTHERS, BrandHandles
from services.classify.analyzers.adverse import ProductDictionary, assess
from services.classify.analyzers.base import Document, Signals
from services.classify.analyzers.cues import THREAT, complaint_cues, cue_features
from services.classify.analyzers.drugs import DrugLexicon, shipped
from services.classify.analyzers.features import LINK, Features, featurise
from services.classify.analyzers.language import SentimentRouter
from services.classify.analyzers.lexicon import STOPWORDS, dense_features, strongest_word
from services.classify.analyzers.linear import LinearModel, Prediction, WeightBank
from services.classify.analyzers.pii import find_pii
from shared.events import Intent

MODELS = Path(__file__).resolve().parents[1] / "models"
PRAISE_MIN = 0.5
# Long posts are judged on their opening (Comprehend reads at most 5,000 bytes too); PII is looked for further.
ANALYZED_CHARS = 5000
PII_CHARS = 20_000
# A calm ask (question or request), or an English question naming no complaint cue, is a complaint only on a clear
# complaint tone. For an English question that is the complaint model's own threshold for addressed messages (chosen
# by cross-validation inside training), so where the addressee is known such a question is judged like any other
# message and the extra bar bites only where the addressee is estimated (whose threshold is lower): Complaints in
# Social Media's annotators read many questions to a brand as complaints ("Will you be getting the dress back in
# stock?"), and every higher bar cost recall on unseen brands (0.6: from the scores' 0.89 to 0.72; 0.4: F1 0.791
# against 0.801) at no gain in precision (`ml.evaluate --only complaints`; docs/evaluation.md).
# A calm request ("Could you forward my e-mail to the billing team?") keeps the higher bar: the annotators' reading of
# questions is not theirs of requests, and a cue word in a request ("billing", "fees") is its subject, not a grievance.
CLEAR_COMPLAINT_REQUEST = 0.6
CLEAR_NEGATIVE = 0.75
CLEAR_SPAM = 0.85
# Flagging a message as toxic sends it to moderators: only on a clear signal (the model's own threshold, tuned for
# macro-F1 on OLID, also catches heated bug reports).
TOXIC_FLAG = 0.7
# Below this many words the offensive model's n-gram evidence is too thin to flag anything ("blk msg 187"): only
# profanity or a threat does.
TOXIC_MIN_WORDS = 3
THREAT_TOXICITY = 0.95
MODEL_NAMES = ("language", "sentiment_en", "sentiment_multi", "addressed", "complaint", "offensive", "spam", "adr")

# Openings of questions, by language (a question mark is the stronger cue; many questions online lack one).
QUESTION_OPENINGS = frozenset(
    """
    how what when where why who which whose can could is are am do does did will would should shall may might
    has have had anyone any qué que cómo como cuándo cuando dónde donde cuál cual quién quien puedo puede pueden hay
    comment quand où pourquoi qui quel quelle quels quelles est-ce peut-on pouvez wie was wann wo warum wer welche
    welcher kann können gibt ist sind come cosa quando dove perché chi quale posso potete c'è quanto onde quem qual
    pode podem existe
    """.split()
)
REQUEST_CUES = (
    "please", "pls", "plz", "can you", "could you", "would you", "will you", "i need", "we need", "i want to",
    "i'd like", "i would like", "help me", "dm me", "send me", "let me know", "get back to me", "cancel my",
    "i want", "i demand", "forward", "kindly", "refund me",
    "change my", "update my", "por favor", "necesito", "quiero", "podrían", "s'il vous plaît", "svp", "merci de",
    "je voudrais", "j'aimerais", "bitte", "ich möchte", "ich brauche", "könnten sie", "per favore", "vorrei",
    "potreste", "preciso", "quero", "poderiam",
)  # fmt: skip
FEEDBACK_CUES = (
    "should", "would be nice", "would be great", "would be better", "it'd be", "suggest", "suggestion", "wish",
    "please add", "feature request", "consider", "could be better", "sería", "deberían", "ce serait",
    "vous devriez", "wäre", "sollten", "sarebbe", "dovreste", "seria", "deveriam",
)  # fmt: skip


def _compiled(cues: Sequence[str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((cue, re.compile(rf"(?<!\w){re.escape(cue)}(?!\w)")) for cue in cues)


_REQUEST_PATTERNS = _compiled(REQUEST_CUES)
_FEEDBACK_PATTERNS = _compiled(FEEDBACK_CUES)


def _cue(text: str, cues: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    """The most specific (longest) cue of the list standing as words in the text: "cancel my" explains a request
    better than "please". Patterns are compiled once; a substring test skips the regex for the cues that cannot
    match (most of them)."""
    found = [cue for cue, pattern in cues if cue in text and pattern.search(text)]
    return max(found, key=len) if found else None


PLACEHOLDERS = frozenset({"user", "httpurl"})


def is_question(text: str, features: Features) -> bool:
    if "?" in LINK.sub(" ", text):
        return True
    # "@Brand how do I ..." reads as "@ user how do i ...": the handle is not the opening.
    words = [w for w in features.words if w[:1].isalpha() and w not in PLACEHOLDERS]
    if len(words) < 3 or words[0] not in QUESTION_OPENINGS:
        return False
    return not (words[0] == "what" and words[1] in ("a", "an"))  # "What a great service!" is an exclamation


@dataclass(frozen=True)
class Models:
    language: LinearModel
    sentiment_en: LinearModel
    sentiment_multi: LinearModel
    addressed: LinearModel
    complaint: LinearModel
    offensive: LinearModel
    spam: LinearModel
    adr: LinearModel

    @classmethod
    def load(cls, folder: Path = MODELS) -> Models:
        models = cls(**{name: LinearModel.load(folder / f"{name}.hark") for name in MODEL_NAMES})
        WeightBank([getattr(models, name) for name in MODEL_NAMES])  # all eight read in one pass a text
        return models


class LocalAnalyzer:
    name = "local"

    def __init__(
        self,
        models: Models | None = None,
        products: ProductDictionary | None = None,
        drugs: DrugLexicon | None = None,
        brand_handles: Iterable[str] = (),
    ) -> None:
        self.models = models or Models.load()
        self.products = products or ProductDictionary()
        # The brand's own handles (configuration): evidence of the addressee where the platform gives none.
        self.handles = BrandHandles.of(brand_handles)
        self.router = SentimentRouter(self.models.language, self.models.sentiment_en, self.models.sentiment_multi)
        self._drugs = drugs

    @property
    def drugs(self) -> DrugLexicon:
        # The automaton takes ~25 ms to build: on the first message, not in the Lambda's init (like lingua's models).
        if self._drugs is None:
            self._drugs = shipped(MODELS)
        return self._drugs

    def analyze(self, documents: Sequence[Document]) -> list[Signals | Exception]:
        results: list[Signals | Exception] = []
        for document in documents:
            try:
                results.append(self.analyze_one(document))
            except Exception as exc:  # one bad document fails only its own record
                results.append(exc)
        return results

    def analyze_one(self, document: Document) -> Signals:
        full_text = document.text
        text = full_text[:ANALYZED_CHARS]
        m = self.models
        features = featurise(text)
        dense = dense_features(text)
        language: str | None
        hint = (document.lang_hint or "").split("-")[0].lower()
        if len(hint) == 2 and hint.isalpha():  # a usable ISO 639-1 code; "und" and the like are no hint
            language, language_confidence = hint, 1.0
        else:
            language, language_confidence = self.router.identifier.identify(text, features)
        sentiment = self.router.sentiment(features, dense, language)
        spam = m.spam.positive(features, dense)
        toxicity = m.offensive.positive(features, dense)
        known = document.addressed
        evidence = self.handles.addressed(text) if known is None else None
        if evidence:  # the brand's handle in the text: what the platform would have reported as a mention
            known = True
        addressed = m.addressed.positive(features) if known is None else float(known)
        if evidence is False:  # a reply to other people, none of them the brand
            addressed = min(addressed, OTHERS)
        lowered = text.lower()
        complaint_dense = {**dense, **self.router.as_dense(sentiment), **cue_features(lowered)}
        tone = m.complaint.positive(features, complaint_dense)  # a complaint, if it is addressed to the brand
        complaint = addressed * tone
        adr = m.adr.positive(features)
        suspected, criteria = assess(
            text,
            adr_probability=adr,
            adr_threshold=m.adr.threshold,
            products=self.products,
            reporter_known=document.reporter_known,
            drugs=self.drugs,
        )
        intent, cues = self._intent(
            text,
            features,
            language,
            sentiment,
            known=known,
            complaint=complaint,
            tone=tone,
            spam=spam,
            addressed=addressed,
        )
        words = sum(1 for w in features.words if w[:1].isalpha() and w not in PLACEHOLDERS)
        threat = THREAT.search(text) is not None
        if threat:
            toxicity = max(toxicity, THREAT_TOXICITY)
        toxic = threat or (
            toxicity >= max(m.offensive.threshold, TOXIC_FLAG)
            and (words >= TOXIC_MIN_WORDS or dense["has_profanity"] > 0)
        )
        return Signals(
            language=language,
            language_confidence=language_confidence,
            sentiment=sentiment.label,  # type: ignore[arg-type]
            sentiment_score=round(sentiment.probability, 3),
            intent=intent,
            addressed=round(addressed, 3),
            toxicity=round(toxicity, 3),
            toxic=toxic,
            spam=intent == "spam",
            pii=find_pii(full_text[:PII_CHARS], language),
            adverse_event=suspected,
            adverse_event_criteria=criteria if (criteria.events or criteria.product) else None,
            cues=cues,
            analyzer=self.name,
        )

    def _intent(
        self,
        text: str,
        features: Features,
        language: str | None,
        sentiment: Prediction,
        *,
        known: bool | None,
        complaint: float,
        tone: float,
        spam: float,
        addressed: float,
    ) -> tuple[Intent, tuple[str, ...]]:
        """The intent and the reason that explains it, decided in a fixed order."""
        m = self.models
        lowered = text.lower()
        asks = "?" in LINK.sub(" ", text)
        request = _cue(lowered, _REQUEST_PATTERNS)
        threshold = m.complaint.threshold if known else m.complaint.threshold_unaddressed
        # A calm request ("Could you forward this e-mail?"), a non-English question, and an English question whose
        # addressee is estimated stay what they are unless the complaint signal is clear (`bar` below: 0.6, or for
        # that question the known-addressee threshold). An unhappy question is still a complaint.
        ask = asks or request is not None or is_question(text, features)
        calm_ask = ask and sentiment.label != "negative"
        # An ask that names no complaint ("Quand ouvre le nouveau magasin ?") is a question or a request unless its
        # sentiment is clearly negative or its complaint tone clear: a weak negative sentiment (the multilingual
        # model's, often) is no complaint.
        # An English question (not a request: "Please cancel my order" stays one) yields to a clear complaint tone
        # too; the complaint model knows English tweets by the thousand, other languages by a handful of examples.
        clear_question = request is None and language == "en" and tone >= m.complaint.threshold
        plain_ask = (
            ask
            and not clear_question
            and not complaint_cues(lowered)
            and not (sentiment.label == "negative" and sentiment.probability >= CLEAR_NEGATIVE)
        )
        bar = CLEAR_COMPLAINT_REQUEST if request is not None or language != "en" else m.complaint.threshold
        complains = complaint >= threshold and (not calm_ask or tone >= bar) and not plain_ask
        # A complaint or a request to the brand is not filed away as spam ("please check my order", "please cancel my
        # subscription") unless the spam signal is overwhelming.
        if spam >= m.spam.threshold and (spam >= CLEAR_SPAM or not ((complains or request) and addressed >= 0.5)):
            return "spam", ("spam",)
        if complains:
            return "complaint", (self._complaint_reason(lowered, tone),)
        if asks:
            return "question", ("question",)
        if request:
            return "request", (f"request: {request}",)
        if is_question(text, features) and not (sentiment.label == "positive" and sentiment.probability >= PRAISE_MIN):
            return "question", ("question",)
        if sentiment.label == "positive" and sentiment.probability >= PRAISE_MIN:
            word = strongest_word(features.words, positive=True) if language == "en" else None
            term = (
                [word]
                if word
                else self.router.sentiment_model(language).top_terms(features, "positive", ignore=STOPWORDS)
            )
            return "praise", (f"praise: {term[0]}" if term else "praise",)
        if feedback := _cue(lowered, _FEEDBACK_PATTERNS):
            return "feedback", (f"feedback: {feedback}",)
        return "other", ()

    def _complaint_reason(self, lowered: str, tone: float) -> str:
        """The complaint cue of the text the model weighs most ("complaint: never arrived"); with none, the
        model's own signal, said plainly. A word the model merely leaned on ("bring", "out") explains nothing."""
        found = complaint_cues(lowered)
        if not found:
            return f"complaint tone {tone:.2f}"
        scored = {cue: self.models.complaint.positive(featurise(cue)) for cue in dict.fromkeys(found)}
        return f"complaint: {max(scored, key=lambda cue: (scored[cue], len(cue)))}"

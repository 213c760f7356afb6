"""The shipped models through the local analyzer: languages, intents on held-out examples, explanations, the
addressee, and failure isolation. These use the committed model files, not the datasets."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from services.classify.analyzers.adverse import ProductDictionary
from services.classify.analyzers.base import Document, Signals
from services.classify.analyzers.cues import COMPLAINT_CUES, THREAT
from services.classify.analyzers.features import normalise
from services.classify.analyzers.lexicon import STOPWORDS, dense_features, strongest_word
from services.classify.analyzers.local import REQUEST_CUES, LocalAnalyzer
from services.classify.pipeline import Classifier
from services.classify.policy import TriagePolicy
from shared.events import Author, Classification, Mention
from tests.conftest import ROOT


@cache
def analyzer() -> LocalAnalyzer:
    return LocalAnalyzer(products=ProductDictionary(("Zoloft", "sertraline")))


def analyze(text: str, **fields: object) -> Signals:
    return analyzer().analyze_one(Document("x", text, **fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("How do I reset my password?", "en"),
        ("Mi pedido nunca llegó y nadie responde a mis correos", "es"),
        ("Ma commande n'est jamais arrivée et personne ne répond", "fr"),
        ("Meine Bestellung ist nie angekommen und niemand antwortet", "de"),
        ("Il mio ordine non è mai arrivato e nessuno risponde", "it"),
        ("Meu pedido nunca chegou e ninguém responde", "pt"),
        ("طلبي لم يصل بعد ولا أحد يرد على رسائلي", "ar"),
        ("मेरा ऑर्डर अभी तक नहीं आया और कोई जवाब नहीं दे रहा", "hi"),
        ("yaar mera order abhi tak nahi aaya, koi reply bhi nahi kar raha", "hi"),
    ],
)
def test_languages(text: str, language: str) -> None:
    assert analyze(text).language == language


def test_scripts_and_texts_without_words_get_no_language() -> None:
    assert analyze("私の注文はまだ届いていません").language is None
    assert analyze("👍🔥").language is None
    assert analyze("Bonjour", lang_hint="fr-CA").language == "fr"  # the platform's hint wins


def test_held_out_intent_examples() -> None:
    checks = [json.loads(line) for line in (ROOT / "ml/examples/checks.jsonl").read_text().splitlines() if line]
    predicted = [analyze(x["text"], addressed=True).intent for x in checks]
    correct = sum(p == x["intent"] for p, x in zip(predicted, checks, strict=True))
    assert correct / len(checks) >= 0.85, list(zip(predicted, [x["intent"] for x in checks], strict=True))


def test_a_complaint_is_explained_by_a_complaint_cue_of_its_own_text() -> None:
    signals = analyze("Two weeks and still no refund for the returned shoes", addressed=True)
    assert signals.intent == "complaint"
    [cue] = signals.cues
    word = cue.removeprefix("complaint: ")
    assert word in COMPLAINT_CUES
    assert word in "two weeks and still no refund for the returned shoes"


def test_a_calm_question_to_the_brand_is_a_question_an_angry_one_a_complaint() -> None:
    assert analyze("When does the summer sale start?", addressed=True).intent == "question"
    assert analyze("Why is my order STILL not here after three weeks??", addressed=True).intent == "complaint"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Quand ouvre le nouveau magasin ?", "question"),  # a weak negative from the multilingual model
        ("What is the hold-up with my order?", "question"),  # needs a reply all the same
        ("Please cancel my subscription 5521", "request"),  # "subscription" is no self-promotion
        ("Why is my order still not here? It's been 3 weeks", "complaint"),  # names what went wrong
        ("Please check out my new video on my channel", "spam"),
    ],
)
def test_an_ask_naming_no_complaint_is_a_question_or_a_request(text: str, intent: str) -> None:
    signals = analyze(text, addressed=True)
    assert signals.intent == intent


def test_a_calm_request_naming_its_subject_is_a_request_not_a_complaint() -> None:
    # "billing" is the subject of the request, not a grievance: requests keep the higher complaint-tone bar.
    signals = analyze("could you forward my email to the billing team please", addressed=True)
    assert (signals.intent, signals.cues) == ("request", ("request: could you",))


def test_a_request_is_explained_by_its_most_specific_phrase_not_by_please() -> None:
    assert analyze("Please cancel my order 8812", addressed=True).cues == ("request: cancel my",)
    assert analyze("Could you please send me the invoice", addressed=True).cues == ("request: could you",)


def test_the_addressee_is_estimated_when_unknown() -> None:
    to_brand = analyze("@AcmeHelp my order never arrived and nobody answers")
    random_post = analyze("Watching the game tonight with the crew, so hyped")
    assert to_brand.addressed > 0.5 > random_post.addressed
    assert analyze("Watching the game tonight", addressed=True).addressed == 1.0


def test_the_brands_own_handles_are_evidence_of_the_addressee() -> None:
    acme = LocalAnalyzer(analyzer().models, drugs=analyzer().drugs, brand_handles=("@AcmeHelp", "acme"))
    # Naming the brand's handle, at the start or anywhere, is what the platform reports as a mention.
    assert acme.analyze_one(Document("x", "@acmehelp thanks, all sorted")).addressed == 1.0
    assert acme.analyze_one(Document("x", "Thanks to @Acme's incompetence I can't work")).addressed == 1.0
    # A reply that opens with other people's handles only is a conversation among them, whatever its words.
    reply = acme.analyze_one(Document("x", "@amber @joe my order never arrived and nobody answers, refund me"))
    assert reply.addressed <= 0.05 and reply.intent != "complaint"
    text_only = analyze("@amber @joe my order never arrived and nobody answers, refund me")
    assert text_only.addressed > reply.addressed
    # No handle: the model's estimate stands; the platform's word beats any handle.
    plain = "Watching the game tonight with the crew, so hyped"
    assert acme.analyze_one(Document("x", plain)).addressed == analyze(plain).addressed
    assert acme.analyze_one(Document("x", "@amber hi", addressed=True)).addressed == 1.0
    assert acme.analyze_one(Document("x", "@acme hi", addressed=False)).addressed == 0.0


def test_a_complaint_naming_the_brands_handle_uses_the_known_addressee_threshold() -> None:
    acme = LocalAnalyzer(analyzer().models, drugs=analyzer().drugs, brand_handles=("BTCare",))
    text = "My grandparents' @BTCare line keeps dropping calls, third week now"
    assert acme.analyze_one(Document("x", text)).intent == analyze(text, addressed=True).intent


def test_an_english_question_with_a_clear_complaint_tone_is_a_complaint() -> None:
    # No complaint cue, calm: a complaint on the model's clear tone (as the corpus's annotators read such questions).
    text = "Why does my bill keep going up every month?"
    assert analyze(text, addressed=True).intent == "complaint"
    assert analyze("How do I reset my password?", addressed=True).intent == "question"
    # A request stays a request; a question in another language needs a cue or a clearly negative tone.
    assert analyze("Please cancel my order 8812", addressed=True).intent == "request"
    assert analyze("Quand ouvre le nouveau magasin ?", addressed=True).intent == "question"


def test_a_calm_english_questions_bar_is_the_complaint_models_own_threshold() -> None:
    # The bar moves with the threshold training chose, not with a constant: raised out of reach, the same question
    # (addressee estimated, its own threshold at zero) is a question; at zero, a complaint.
    shipped = analyzer().models
    text = "Why does my bill keep going up every month?"

    def intent(bar: float) -> str:
        complaint = copy.copy(shipped.complaint)
        complaint.threshold, complaint.threshold_unaddressed = bar, 0.0
        tuned = LocalAnalyzer(dataclasses.replace(shipped, complaint=complaint), drugs=analyzer().drugs)
        return tuned.analyze_one(Document("x", text)).intent

    assert (intent(0.0), intent(0.99)) == ("complaint", "question")


def test_spam_abuse_and_pii_are_found() -> None:
    spam = analyze("Subscribe to my channel for free gift cards http://spam.example/x")
    assert (spam.intent, spam.spam) == ("spam", True)
    abuse = analyze("you are all useless idiots, shut up")
    assert abuse.toxic and abuse.toxicity >= 0.5
    private = analyze("email me at jo@example.com or call +44 20 7946 0958")
    assert [p.type for p in private.pii] == ["EMAIL", "PHONE"]


def test_adverse_event_criteria_with_the_product_dictionary() -> None:
    suspected = analyze("Since I started Zoloft I get terrible headaches and nausea every morning", reporter_known=True)
    assert suspected.adverse_event is True
    criteria = suspected.adverse_event_criteria
    assert criteria is not None
    assert (criteria.patient, criteria.reporter, criteria.product) == (True, True, "Zoloft")
    assert {"headaches", "nausea"} <= set(criteria.events)
    no_product = analyze("I get terrible headaches and nausea every morning")
    assert no_product.adverse_event is False
    assert no_product.adverse_event_criteria is not None
    assert no_product.adverse_event_criteria.product is None
    assert analyze("Where can I buy Zoloft near me?").adverse_event is False


def test_one_bad_document_fails_alone() -> None:
    broken = Document("b", None)  # type: ignore[arg-type]
    results = analyzer().analyze([Document("a", "Where is my parcel?"), broken])
    assert isinstance(results[0], Signals)
    assert isinstance(results[1], TypeError)


def test_very_long_posts_are_judged_on_their_opening() -> None:
    opening = "My order never arrived and nobody answers my emails. "
    signals = analyze(opening + "blah " * 50_000 + "mail me at jo@example.com", addressed=True)
    assert signals.intent == "complaint"
    assert [p.type for p in signals.pii] == []  # beyond the 20,000 characters searched for PII


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("@AcmeHelp how do I reset my password", "question"),
        ("What a great service, thank you so much", "praise"),
        ("Como siempre, excelente servicio", "praise"),
    ],
)
def test_openings_handles_and_exclamations(text: str, intent: str) -> None:
    assert analyze(text, addressed=True).intent == intent


def test_reasons_quote_the_text_as_written() -> None:
    for text in (
        "I'm confused about my Zoloft refill order, it never came",
        "@AcmeHelp my order never arrived http://t.co/x",
        "the app keeps crashing every single time I log in",
    ):
        signals = analyze(text, addressed=True)
        for cue in signals.cues:
            term = cue.partition(": ")[2]
            assert term not in ("user", "httpurl")
            assert not term or term in text.lower().replace("'", "'"), (cue, text)


def test_a_post_known_not_to_be_addressed_to_the_brand_is_not_a_complaint() -> None:
    signals = analyze("This airline lost my bag again, worst trip ever", addressed=False)
    assert signals.addressed == 0.0
    assert signals.intent != "complaint"


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Visit murdev.com today", "visit httpurl today"),
        ("bit.ly/make-money now", "httpurl now"),
        ("I&#39;m here &amp; waiting", "i'm here & waiting"),
        ("".join(chr(ord(c) + 0xFEE0) for c in "http://ebay.com/usr"), "httpurl"),  # full-width forms
        ("Version 3.5 costs 2.99, e.g. today", "version 3.5 costs 2.99, e.g. today"),
        ("Great app.It works. Thanks.Me too", "great app.it works. thanks.me too"),
        ("see 9nl.me/make-money", "see httpurl"),
    ],
)
def test_normalisation_decodes_entities_folds_forms_and_finds_bare_links(text: str, normalised: str) -> None:
    assert normalise(text) == normalised


def test_promotion_cues_are_counted_in_several_languages() -> None:
    assert dense_features("Check out my channel and subscribe!")["promotion"] == 1.0
    assert dense_features("Suscríbete a mi canal")["promotion"] > 0
    assert dense_features("Abonnez-vous à ma chaîne")["promotion"] > 0
    assert dense_features("My order arrived broken and nobody answers")["promotion"] == 0.0
    assert (dense_features("see gofundme.com/abc")["link"], dense_features("see you at 5.30")["link"]) == (1.0, 0.0)


@pytest.mark.parametrize(
    "text",
    [
        "Nice song. See my new track murdev.com",
        "WAYS TO MAKE MONEY 50k per month 9nl.me/make-money",
        "sub to my channel",
    ],
)
def test_self_promotion_with_hidden_links_is_spam(text: str) -> None:
    assert analyze(text).intent == "spam"


def test_a_complaint_with_a_link_is_not_spam() -> None:
    signals = analyze("@acme my order from acme.com never arrived and support does not answer", addressed=True)
    assert signals.intent == "complaint"


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Love the new update, thank you!", "praise: love"),
        ("not bad at all, the new design is nice", "praise: nice"),
        ("Merci pour votre aide, tout fonctionne maintenant !", "praise: merci"),
    ],
)
def test_praise_is_explained_by_its_strongest_word(text: str, cue: str) -> None:
    signals = analyze(text, addressed=True)
    assert (signals.intent, signals.cues) == ("praise", (cue,))


def test_a_negated_word_is_no_reason() -> None:
    assert strongest_word(["¬great", "nice"], positive=True) == "nice"
    assert strongest_word(["¬great", "service"], positive=True) is None


# --- what a new user tries first (issue 15): the classifier as `hark classify` runs it, no policy -----------------


def classify(text: str, policy: TriagePolicy | None = None, **fields: Any) -> Classification:
    """One text through the local analyzer and triage, as `hark classify` sends it (addressee estimated)."""
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    values: dict[str, Any] = {
        "id": "m", "platform": "x", "channel": "cli", "kind": "comment", "native_id": "n", "thread_id": "t",
        "author": Author(id="unknown"), "addressed": None, "text": text, "created_at": now, "received_at": now,
    }  # fmt: skip
    values.update(fields)
    policy = policy or TriagePolicy()
    local = LocalAnalyzer(products=ProductDictionary(policy.products, policy.assumed_product))
    [result] = Classifier("local", local, policy=policy).classify([Mention.model_validate(values)], now)
    assert isinstance(result, Classification)
    return result


def test_a_crash_report_is_a_complaint_that_needs_a_reply() -> None:
    result = classify("the app crashes when I upload a photo")
    assert (result.intent, result.needs_response) == ("complaint", True)
    assert result.reasons[0] == "complaint: crashes"


def test_a_refund_demand_is_a_complaint_or_a_request_and_needs_a_reply() -> None:
    result = classify("I want a refund now")
    assert result.intent in ("complaint", "request")
    assert result.needs_response


def test_a_threat_is_toxic_and_needs_a_moderator_on_the_brands_own_surface() -> None:
    threat = "you are all idiots, I will find where you live"
    on_page = classify(threat, addressed=True)
    assert on_page.toxic and on_page.needs_response
    assert any(r.startswith("toxic") for r in on_page.reasons)
    overheard = classify(threat, addressed=False)  # a reply among other people, heard by listening
    assert overheard.toxic and not overheard.needs_response


def test_a_few_letters_and_a_number_are_not_toxic() -> None:
    result = classify("blk msg 187")
    assert not result.toxic
    assert not result.needs_response


def test_a_seizure_after_a_pill_is_a_suspected_adverse_event_and_the_name_is_personal_data() -> None:
    text = "I had a seizure after taking your pill. Call me, John Smith, +1 415 555 0132"
    result = classify(text)
    assert result.adverse_event and result.needs_response
    assert result.priority >= 90
    criteria = result.adverse_event_criteria
    assert criteria is not None
    assert (criteria.product, criteria.match, criteria.events) == ("your pill", "reference", ("seizure",))
    assert {(p.type, text[p.start : p.end]) for p in result.pii} == {
        ("NAME", "John Smith"),
        ("PHONE", "+1 415 555 0132"),
    }


@pytest.mark.parametrize(
    ("text", "named", "drug", "match"),
    [
        ("Advil gave me a horrible rash", "Advil", "ibuprofen", "brand"),
        ("took ibuprofen yesterday and now I'm dizzy all the time", "ibuprofen", "ibuprofen", "generic"),
        ("zanax made me so drowsy i slept through work", "zanax", "alprazolam", "misspelling"),
    ],
)
def test_a_common_medicine_and_a_side_effect_are_an_adverse_event_without_any_policy(
    text: str, named: str, drug: str, match: str
) -> None:
    result = classify(text)
    assert result.adverse_event and result.needs_response
    criteria = result.adverse_event_criteria
    assert criteria is not None
    assert (criteria.product, criteria.drug, criteria.match, criteria.own_product) == (named, drug, match, None)
    assert f"suspected adverse event: {named}" in result.reasons[-1]


def test_the_policy_products_say_whose_medicine_it_is_not_whether_it_is_detected() -> None:
    policy = TriagePolicy(products=("Zoloft",))
    other = classify("Advil gave me a horrible rash", policy)
    assert other.adverse_event and other.needs_response
    assert other.adverse_event_criteria is not None and other.adverse_event_criteria.own_product is False
    own = classify("sertraline gave me terrible nightmares", policy)  # the generic name of the brand's Zoloft
    assert own.adverse_event_criteria is not None and own.adverse_event_criteria.own_product is True
    assert own.priority > other.priority


@pytest.mark.parametrize(
    "text",
    [
        "took two ibuprofen for my headache",  # what the medicine is for
        "Molly gave me a headache with her music",  # a name that is also street slang, without a medicine cue
        "I have a headache and a rash",  # no medicine
    ],
)
def test_indications_namesakes_and_no_medicine_are_not_adverse_events(text: str) -> None:
    assert not classify(text).adverse_event


def _reason_terms(reasons: tuple[str, ...]) -> list[tuple[str, str]]:
    return [tuple(r.split(": ", 1)) for r in reasons if ": " in r and not r.startswith("suspected")]  # type: ignore[misc]


def test_reasons_on_the_examples_name_words_that_carry_the_decision() -> None:
    checks = [json.loads(line) for line in (ROOT / "ml/examples/checks.jsonl").read_text().splitlines() if line]
    seen = 0
    for check in checks:
        result = classify(check["text"], lang=check["lang"])
        for label, term in _reason_terms(result.reasons):
            seen += 1
            if label == "complaint":
                assert term in COMPLAINT_CUES, (term, check["text"])
            elif label == "request":
                assert term in REQUEST_CUES, (term, check["text"])
            elif label == "praise":
                assert term not in STOPWORDS and len(term) >= 3, (term, check["text"])
            assert term in check["text"].lower(), (term, check["text"])
    assert seen >= 10


def test_a_complaint_is_explained_by_its_cue_or_else_by_the_models_signal() -> None:
    assert analyzer()._complaint_reason("so this happened with my order", 0.72) == "complaint tone 0.72"
    assert analyzer()._complaint_reason("my parcel never arrived and nobody answers", 0.9) in (
        "complaint: never arrived",
        "complaint: nobody answers",
    )


@pytest.mark.parametrize(
    ("text", "threat"),
    [
        ("you are all idiots, I will find where you live", True),
        ("I know where you live", True),
        ("I'm going to kill you", True),
        ("I will find you.", True),
        ("I'll get you a replacement today", False),  # what care agents and customers say
        ("we will find you a seat on the next flight", False),
        ("this will kill you with laughter", False),
    ],
)
def test_threats_of_harm_are_told_from_ordinary_promises(text: str, threat: bool) -> None:
    assert (THREAT.search(text) is not None) is threat

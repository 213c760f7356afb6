"""Loaders for the public labelled datasets in ../shared/data (never copied into the repository).

Each returns plain lists of (text, label, ...) tuples. Splits are the datasets' own where they publish them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

SENTIMENT = ("negative", "neutral", "positive")
UMSAB_LANGUAGES = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}

csv.field_size_limit(10_000_000)


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    group: str = ""  # language, domain, video: what cross-domain splits are made on


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _paired(folder: Path, split: str) -> list[tuple[str, str]]:
    texts = _lines(folder / f"{split}_text.txt")
    labels = _lines(folder / f"{split}_labels.txt")
    if len(texts) != len(labels):
        raise ValueError(f"{folder}/{split}: {len(texts)} texts but {len(labels)} labels")
    return list(zip(texts, (label.strip() for label in labels), strict=True))


def umsab(data: Path, split: str, languages: tuple[str, ...] = tuple(UMSAB_LANGUAGES)) -> list[Example]:
    out = []
    for language in languages:
        for text, label in _paired(data / "umsab_multilingual_sentiment" / language, split):
            out.append(Example(text, SENTIMENT[int(label)], UMSAB_LANGUAGES[language]))
    return out


def tweeteval(data: Path, task: str, split: str) -> list[Example]:
    folder = data / "tweeteval" / task
    mapping = dict(line.split("\t", 1) for line in _lines(folder / "mapping.txt") if "\t" in line)
    if not (folder / f"{split}_text.txt").exists():
        return []
    return [Example(text, mapping[label].strip(), task) for text, label in _paired(folder, split)]


def complaints(data: Path, held_out: bool = False) -> list[Example]:
    """The dev half (complaints-dev.csv), used for training; with `held_out`, every other CSV placed beside it
    instead (the other half of the corpus), which only evaluation reads."""
    out = []
    folder = data / "complaints_twitter_dev"
    paths = sorted(p for p in folder.glob("*.csv") if (p.name != "complaints-dev.csv") == held_out)
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) >= 4 and row[2] in ("0", "1"):
                    out.append(Example(row[1], "complaint" if row[2] == "1" else "other", f"{path.stem}:{row[3]}"))
    return out


def youtube_spam(data: Path) -> list[Example]:
    out = []
    for path in sorted((data / "youtube_spam_collection").glob("Youtube*.csv")):
        video = path.stem.split("-", 1)[-1]
        # Some of the files start with a blank line before their header.
        text = path.read_text(encoding="utf-8-sig").lstrip("\r\n")
        for row in csv.DictReader(io.StringIO(text, newline="")):
            out.append(Example(row["CONTENT"], "spam" if row["CLASS"] == "1" else "ham", video))
    return out


def sms_spam(data: Path) -> list[Example]:
    out = []
    with (data / "sms_spam_collection" / "SMSSpamCollection.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2 and row[0] in ("ham", "spam"):
                out.append(Example(row[1], row[0], "sms"))
    return out


def banking77(data: Path, split: str) -> list[Example]:
    with (data / "banking77" / f"{split}.csv").open(encoding="utf-8", newline="") as handle:
        return [Example(row["text"], row["category"], "banking77") for row in csv.DictReader(handle)]


# PsyTAR sentences that name or refer to a medicine: a fixed list, independent of the detector's lexicon, so the
# subset does not depend on what is being measured (the reviews are of these four antidepressants).
PSYTAR_MEDICINE = re.compile(
    r"\b(?:zoloft|sertraline|lexapro|escitalopram|cymbalta|duloxetine|effexor|venlafaxine|medications?|medicines?|"
    r"drugs?|pills?|meds|tablets?|doses?|ssris?|snris?|antidepressants?)\b",
    re.IGNORECASE,
)


def psytar(data: Path, split: str) -> list[Example]:
    with (data / "psytar_ade" / f"binary_{split}.tsv").open(encoding="utf-8", newline="") as handle:
        return [
            Example(row["sentences"], "adr" if row["ADR"] == "1" else "other", "psytar")
            for row in csv.DictReader(handle, delimiter="\t")
            if row.get("sentences")
        ]


def ade_sentences(data: Path) -> list[Example]:
    with (data / "ade_corpus_v2" / "ade_classification.csv").open(encoding="utf-8", newline="") as handle:
        return [
            Example(row["text"], "adr" if row["label"] == "1" else "other", row["pmid"])  # group: the PubMed article
            for row in csv.DictReader(handle)
        ]


def ade_effects(data: Path) -> list[str]:
    """The adverse-effect phrases annotated in ADE Corpus V2 (PubMed case reports)."""
    effects = []
    for line in _lines(data / "ade_corpus_v2" / "DRUG-AE.rel.txt"):
        parts = line.split("|")
        if len(parts) >= 3:
            effects.append(parts[2])
    return effects


def davidson(data: Path) -> list[Example]:
    names = {"0": "hate", "1": "offensive", "2": "neither"}
    with (data / "davidson_hate_offensive" / "labeled_data.csv").open(encoding="utf-8", newline="") as handle:
        return [Example(row["tweet"], names[row["class"]], "davidson") for row in csv.DictReader(handle)]


def jigsaw_sample(data: Path) -> list[Example]:
    with (data / "jigsaw_toxic_sample" / "test_examples.csv").open(encoding="utf-8", newline="") as handle:
        return [
            Example(row["comment_text"], "toxic" if row["toxic"] == "1" else "clean", "jigsaw")
            for row in csv.DictReader(handle)
        ]


def umass_english(data: Path) -> list[Example]:
    """English vs not English on noisy geotagged tweets; ambiguous and machine-generated rows left out."""
    out = []
    path = data / "umass_global_english_twitter_lid" / "all_annotated.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row.get("Automatically Generated Tweets") == "1" or row.get("Ambiguous") == "1":
                continue
            text = (row.get("Tweet") or "").replace("\\n", " ").replace('\\"', '"').replace("\\@", "@")
            if row.get("Definitely English") == "1":
                out.append(Example(text, "en", row.get("Country", "")))
            elif row.get("Definitely Not English") == "1":
                out.append(Example(text, "other", row.get("Country", "")))
    return out


def _tweet_sources(data: Path) -> dict[str, dict[str, str]]:
    """Texts of the tweet collections by source and id, as `ml/examples/adr_tweets.tsv` names them."""
    out: dict[str, dict[str, str]] = {}

    def rows(path: Path) -> list[dict[str, str]]:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    semeval = data / "semeval_twitter_sentiment_2013_2016" / "semeval2013_2016_task4A_dedup.csv"
    out["semeval"] = {r["tweet_id"]: r["text"] for r in rows(semeval)}
    for split in ("train", "test"):
        path = data / "tweet_sentiment_extraction_kaggle" / f"{split}.csv"
        out[f"kaggle_{split}"] = {r["textID"]: r["text"] for r in rows(path)}
    out["davidson"] = {r[""]: r["tweet"] for r in rows(data / "davidson_hate_offensive" / "labeled_data.csv")}
    for path in sorted((data / "tweeteval").glob("*/*_text.txt")):
        key = f"tweeteval:{path.parent.name}/{path.name}"
        out[key] = {str(i): line.strip() for i, line in enumerate(_lines(path))}
    sanders = data / "sanders_twitter_brand_sentiment" / "full-corpus.csv"
    out["sanders"] = {r["TweetId"]: r["TweetText"] for r in rows(sanders)}
    out["isarcasm"] = {r[""]: r["tweet"] for r in rows(data / "isarcasmeval_english" / "train.En.csv")}
    vader = (data / "vader_tweets_ground_truth" / "tweets_GroundTruth.txt").read_text(encoding="latin-1")
    out["vader"] = {p[0]: p[2] for p in (line.split("\t") for line in vader.splitlines()) if len(p) >= 3}
    return out


def adr_tweets(data: Path, labels: Path) -> list[Example]:
    """Hark's hand-labelled medicine-mentioning tweets (labels in the repository, texts from `data`); label "adr" or
    "other", group "medicine" or "namesake" (a band, a footballer, a metaphor). Repeated texts count once."""
    sources = _tweet_sources(data)
    out, seen = [], set()
    for line in _lines(labels):
        if line.startswith(("#", "source\t")) or not line.strip():
            continue
        source, key, medicine, adr = line.split("\t")
        text = sources[source][key]
        if text.lower() in seen:
            continue
        seen.add(text.lower())
        out.append(Example(text, "adr" if adr == "1" else "other", "medicine" if medicine == "1" else "namesake"))
    return out


# --- three-class sentiment collections (group = the collection, for cross-collection evaluation) -----------------


def semeval(data: Path) -> list[Example]:
    """SemEval 2013-2016 Task 4A (the data behind TweetEval sentiment), without the rows TweetEval's validation
    split repeats (those are read as TweetEval val)."""
    path = data / "semeval_twitter_sentiment_2013_2016" / "semeval2013_2016_task4A_dedup.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Example(r["text"], r["label"], "semeval") for r in csv.DictReader(handle) if r["in_tweeteval_val"] != "1"
        ]


def kaggle_tse(data: Path) -> list[Example]:
    out = []
    for split in ("train", "test"):
        path = data / "tweet_sentiment_extraction_kaggle" / f"{split}.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            out += [Example(r["text"].strip(), r["sentiment"], "kaggle") for r in csv.DictReader(handle) if r["text"]]
    return out


def vader_tweets(data: Path) -> list[Example]:
    """VADER's tweet ground truth, cut at ±0.5 of the raters' mean (-4..4) as its SOURCE suggests."""
    out = []
    raw = (data / "vader_tweets_ground_truth" / "tweets_GroundTruth.txt").read_text(encoding="latin-1")
    for parts in (line.split("\t") for line in raw.splitlines()):
        if len(parts) >= 3:
            mean = float(parts[1])
            label = "negative" if mean <= -0.5 else "positive" if mean >= 0.5 else "neutral"
            out.append(Example(parts[2], label, "vader"))
    return out


def sanders(data: Path) -> list[Example]:
    """Sanders brand tweets (Apple, Google, Microsoft, Twitter; one annotator), irrelevant ones left out."""
    path = data / "sanders_twitter_brand_sentiment" / "full-corpus.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Example(r["TweetText"], r["Sentiment"], "sanders")
            for r in csv.DictReader(handle)
            if r["Sentiment"] in SENTIMENT
        ]


def crowdflower_apple(data: Path) -> list[Example]:
    path = data / "crowdflower_apple_twitter_sentiment" / "Apple-Twitter-Sentiment-DFE.csv"
    names = {"1": "negative", "3": "neutral", "5": "positive"}
    with path.open(encoding="latin-1", newline="") as handle:
        return [
            Example(r["text"], names[r["sentiment"]], "crowdflower_apple")
            for r in csv.DictReader(handle)
            if r["sentiment"] in names
        ]


def sxsw(data: Path) -> list[Example]:
    path = data / "crowdflower_brand_product_emotions_sxsw" / "judge-1377884607_tweet_product_company.csv"
    names = {
        "Positive emotion": "positive",
        "Negative emotion": "negative",
        "No emotion toward brand or product": "neutral",
    }
    with path.open(encoding="latin-1", newline="") as handle:
        return [
            Example(r["tweet_text"], names[r["is_there_an_emotion_directed_at_a_brand_or_product"]], "sxsw")
            for r in csv.DictReader(handle)
            if r["is_there_an_emotion_directed_at_a_brand_or_product"] in names and r["tweet_text"]
        ]


BRAND_SENTIMENT = ("sanders", "crowdflower_apple", "sxsw")

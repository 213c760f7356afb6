"""Loaders for the public labelled datasets in ../shared/data (never copied into the repository).

Each returns plain lists of (text, label, ...) tuples. Splits are the datasets' own where they publish them.
"""

from __future__ import annotations

import csv
import io
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
            Example(row["text"], "adr" if row["label"] == "1" else "other", "ade") for row in csv.DictReader(handle)
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

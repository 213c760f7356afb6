"""Text to hashed features, shared by training (ml/) and scoring (the classify Lambda): one implementation, so
what a model learnt is exactly what it sees at run time.

Features are binary presences of word unigrams and bigrams (negation-marked), character 2-4-grams over the
normalised text and what @handles say (a customer-care account, a message opening with one; never the brand's
name, which would teach the models the brands they were trained on), hashed with CRC-32 into 2**BITS buckets
(stable across processes, unlike `hash()`). Pure Python: no numpy or scikit-learn at run time.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter

BITS = 18
MASK = (1 << BITS) - 1

# Links, with or without a scheme: spam hides them as bare domains ("murdev.com", "bit.ly/x"). Endings that are also
# words ("it", "me", "in", "de", "app") count only with a path, or "great app.It works" would hold a link.
LINK = re.compile(
    r"https?://\S+|www\.\S+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|info|biz|ly|io|tv|xyz|ru|nl|pl|br|uk|fr|gl|gd|tk)\b(?:/\S*)?"
    r"|\b(?:[a-z0-9-]+\.)+(?:me|it|in|us|co|es|de|app|shop|site|online)/\S*",
    re.IGNORECASE,
)
_MENTION = re.compile(r"@\w+")
_HANDLE = re.compile(r"@(\w+)")
_LEADING = re.compile(r"(?:@\w+\s*)+")
# Handles of customer-care accounts say who a message is addressed to (@BTCare, @hulu_support, @FC_Help).
_CARE_CUES = ("help", "care", "support", "service", "assist", "team")
_REPEAT = re.compile(r"(.)\1{2,}")
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"[^\W\d_](?:[\w']*[^\W_])?|\d+|[^\w\s]", re.UNICODE)
_NEGATORS = frozenset(
    {
        "not", "no", "never", "nothing", "nobody", "none", "nor", "cannot", "cant", "can't", "don't", "dont",
        "doesn't", "doesnt", "didn't", "didnt", "isn't", "isnt", "wasn't", "wasnt", "won't", "wont", "aren't",
        "haven't", "hasn't", "shouldn't", "wouldn't", "couldn't", "without", "ne", "pas", "nicht", "kein", "keine",
        "nunca", "nada", "nao", "não", "non", "mai", "nahi", "nahin", "nai", "لا", "ما", "لم", "لن", "नहीं",
    }
)  # fmt: skip
_CLAUSE_END = frozenset(".,!?;:")


def normalise(text: str) -> str:
    """HTML entities decoded and compatibility forms folded (full-width letters read as ASCII), lower case, links and
    handles as placeholders, runs of a repeated character cut to two ("soooo" → "soo")."""
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = LINK.sub(" httpurl ", text)
    text = _MENTION.sub(" @user ", text)
    text = _REPEAT.sub(r"\1\1", text.lower())
    return _SPACE.sub(" ", text).strip()


def tokens(normalised: str) -> list[str]:
    """Words (negation-marked up to the end of the clause) and punctuation/emoji tokens."""
    out: list[str] = []
    negated = False
    for token in _TOKEN.findall(normalised):
        if token in _CLAUSE_END:
            negated = False
            out.append(token)
        elif token in _NEGATORS:
            negated = True
            out.append(token)
        else:
            out.append("¬" + token if negated and token[0].isalpha() else token)
    return out


FAMILIES = ("text", "handle")


# Reads a column (an array) or the packed rows (a mapping) at a fixed set of buckets.
Gather = Callable[[Sequence[int] | Mapping[int, int]], tuple[int, ...]]


def _gatherer(indices: tuple[int, ...]) -> Gather:
    """The values of a column at `indices`, read in one C call (itemgetter) rather than one Python call each."""
    if len(indices) >= 2:
        return itemgetter(*indices)
    if indices:
        (only,) = indices
        return lambda column: (column[only],)
    return lambda column: ()


@dataclass(frozen=True)
class Features:
    text: tuple[int, ...]
    handle: tuple[int, ...]
    words: tuple[str, ...]

    @property
    def indices(self) -> tuple[int, ...]:
        return self.text + self.handle

    @cached_property
    def gather_text(self) -> Gather:
        """Reads a column at the text's buckets in one C call (shared by every model scoring this text)."""
        return _gatherer(self.text)

    @cached_property
    def gather_handle(self) -> Gather:
        return _gatherer(self.handle)

    def select(self, families: tuple[str, ...]) -> tuple[int, ...]:
        if families == FAMILIES:
            return self.indices
        return tuple(i for family in families for i in getattr(self, family))


def bucket(feature: str) -> int:
    # surrogatepass: a lone surrogate (possible in JSON that escapes one) must not make hashing fail
    return zlib.crc32(feature.encode("utf-8", "surrogatepass")) & MASK


def _handle_features(text: str) -> set[str]:
    """What the @handles say about the addressee, never their names: care-account words, and the shape of the
    first handle (organisations' handles rarely carry digits, often open with capitals: @BootsUK, @FC_Help), and
    whether the text opens with one handle (a reply to an account) or several (a conversation among people)."""
    names: set[str] = set()
    handles = _HANDLE.findall(text)
    for handle in handles:
        names.update("hc:" + cue for cue in _CARE_CUES if cue in handle.lower())
    if handles:
        first = handles[0]
        if any(c.isdigit() for c in first):
            names.add("h:digits")
        if first.islower():
            names.add("h:lower")
        if first[:2].isupper():
            names.add("h:capitals")
    leading = _LEADING.match(text.lstrip())
    if handles and leading:
        names.add("m:addressed")
        if len(leading.group().split()) > 1:
            names.add("m:several")
    return names


def _names(normalised: str, words: list[str]) -> set[str]:
    """The text's feature names: words, word pairs, character 2-4-grams, markers."""
    names = {"w:" + w for w in words}
    names.update("b:" + a + " " + b for a, b in itertools.pairwise(words))
    padded = f" {normalised} "
    for n in (2, 3, 4):
        names.update("c:" + padded[i : i + n] for i in range(len(padded) - n + 1))
    return names


_SEEDS = {prefix: zlib.crc32(prefix.encode()) for prefix in ("w:", "b:", "c:")}


def _text_buckets(normalised: str, words: list[str]) -> set[int]:
    """The buckets of `_names`, hashed without building the names: crc32 of "c:" + gram is crc32 of the gram
    continued from crc32("c:"), and every step is a C-level `map` (a Python call per n-gram was a third of the
    analyzer's time)."""
    crc32, encode, grams = zlib.crc32, str.encode, []
    grams.append(map(crc32, map(encode, words), itertools.repeat(_SEEDS["w:"])))
    grams.append(map(crc32, map(encode, map(" ".join, itertools.pairwise(words))), itertools.repeat(_SEEDS["b:"])))
    padded = f" {normalised} "
    length = len(padded)
    for n in (2, 3, 4):
        slices = map(slice, range(length - n + 1), range(n, length + 1))
        grams.append(map(crc32, map(encode, map(padded.__getitem__, slices)), itertools.repeat(_SEEDS["c:"])))
    return set(map(MASK.__and__, itertools.chain.from_iterable(grams)))


def featurise(text: str) -> Features:
    normalised = normalise(text)
    words = tokens(normalised)
    try:
        text_buckets = _text_buckets(normalised, words)
    except UnicodeEncodeError:  # a lone surrogate (possible in JSON that escapes one): hashed with surrogatepass
        text_buckets = {bucket(name) for name in _names(normalised, words)}
    markers = ["m:bias"]
    if "?" in normalised:
        markers.append("m:question")
    if "httpurl" in normalised:
        markers.append("m:url")
    text_buckets.update(bucket(name) for name in markers)
    handle_buckets = {bucket(name) for name in _handle_features(text)} - text_buckets
    return Features(tuple(sorted(text_buckets)), tuple(sorted(handle_buckets)), tuple(words))

"""Linear models over the hashed features, stored as small files and scored in pure Python.

File layout (`*.hark`): b"HRK1", a little-endian uint32 header length, a JSON header (classes, per-column scale,
bias and dense-feature weights, decision threshold, provenance), then one int8 column of 2**bits weights per
output. A weight is `int8 * scale`; a score is the sum of the column at the text's n-gram buckets divided by the square
root of their count (an L2-normalised binary vector), plus the weights of its @handle buckets, the dense terms and
the bias. Loading a model is a read and a `frombytes`; no numpy at run time.
"""

from __future__ import annotations

import itertools
import json
import math
import struct
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.classify.analyzers.features import BITS, FAMILIES, Features, bucket

MAGIC = b"HRK1"
PLACEHOLDERS = frozenset({"user", "httpurl"})  # what the features put in place of @handles and links
_PUNCTUATION = frozenset("@#.,!?;:'\"()[]{}-")


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    probabilities: dict[str, float]


class LinearModel:
    def __init__(self, header: Mapping[str, Any], columns: Sequence[array[int]]) -> None:
        if header.get("bits") != BITS:
            raise ValueError(f"model {header.get('name')} was trained with {header.get('bits')} bits, not {BITS}")
        self.header = dict(header)
        self.name: str = header["name"]
        self.classes: list[str] = list(header["classes"])
        self.kind: str = header["kind"]  # "softmax" (one column per class) or "sigmoid" (one column: classes[1])
        self.threshold: float = float(header.get("threshold", 0.5))
        # The complaint model's threshold when the addressee is estimated rather than known.
        self.threshold_unaddressed: float = float(header.get("threshold_unaddressed", self.threshold))
        self.dense: list[str] = list(header.get("dense", []))
        self.families: tuple[str, ...] = tuple(header.get("families", FAMILIES))
        self._scales: list[float] = list(header["scales"])
        self._bias: list[float] = list(header["bias"])
        self._dense_weights: list[list[float]] = [list(w) for w in header.get("dense_weights", [[]] * len(columns))]
        self._columns = columns

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        raw = path.read_bytes()
        if raw[:4] != MAGIC:
            raise ValueError(f"{path} is not a Hark model file")
        (length,) = struct.unpack("<I", raw[4:8])
        header = json.loads(raw[8 : 8 + length])
        size = 1 << header["bits"]
        body = memoryview(raw)[8 + length :]
        width = 1 if header["kind"] == "sigmoid" else len(header["classes"])
        if len(body) != width * size:
            raise ValueError(f"{path}: expected {width * size} weight bytes, found {len(body)}")
        columns = []
        for n in range(width):
            column = array("b")
            column.frombytes(body[n * size : (n + 1) * size])
            columns.append(column)
        return cls(header, columns)

    def logits(self, features: Features, dense: Mapping[str, float] | None = None) -> list[float]:
        text = features.text if "text" in self.families else ()
        handle = features.handle if "handle" in self.families else ()
        norm = 1.0 / math.sqrt(len(text)) if text else 0.0
        values = [dense.get(name, 0.0) for name in self.dense] if (dense and self.dense) else [0.0] * len(self.dense)
        out = []
        for column, scale, bias, weights in zip(
            self._columns, self._scales, self._bias, self._dense_weights, strict=True
        ):
            total = sum(map(column.__getitem__, text)) * norm + sum(map(column.__getitem__, handle))
            total = total * scale + bias + sum(w * v for w, v in zip(weights, values, strict=False))
            out.append(total)
        return out

    def predict(self, features: Features, dense: Mapping[str, float] | None = None) -> Prediction:
        logits = self.logits(features, dense)
        if self.kind == "sigmoid":
            p = _sigmoid(logits[0])
            probabilities = {self.classes[0]: 1 - p, self.classes[1]: p}
            label = self.classes[1] if p >= self.threshold else self.classes[0]
            return Prediction(label, probabilities[label], probabilities)
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        probabilities = {c: e / total for c, e in zip(self.classes, exps, strict=True)}
        label = max(probabilities, key=probabilities.__getitem__)
        return Prediction(label, probabilities[label], probabilities)

    def positive(self, features: Features, dense: Mapping[str, float] | None = None) -> float:
        """Probability of the positive class of a sigmoid model."""
        return _sigmoid(self.logits(features, dense)[0])

    def top_terms(
        self, features: Features, label: str, limit: int = 1, ignore: frozenset[str] = frozenset()
    ) -> list[str]:
        """The words (or word pairs) of the text that pushed hardest towards `label`: the reason shown to people."""
        column = self._columns[0 if self.kind == "sigmoid" else self.classes.index(label)]
        sign = -1 if self.kind == "sigmoid" and label == self.classes[0] else 1

        def content(word: str) -> bool:
            bare = word.lstrip("¬")
            return len(bare) >= 3 and bare[:1].isalpha() and bare not in ignore and bare not in PLACEHOLDERS

        sequence = list(features.words)
        candidates = {w: "w:" + w for w in sequence if content(w)}
        # Pairs come from the text as written (stop words included), and need at least one content word.
        candidates.update(
            {
                f"{a} {b}": f"b:{a} {b}"
                for a, b in itertools.pairwise(sequence)
                if (content(a) or content(b)) and a[:1] not in _PUNCTUATION and b[:1] not in _PUNCTUATION
            }
        )
        scored = sorted(((sign * column[bucket(name)], term) for term, name in candidates.items()), reverse=True)
        return [term.replace("¬", "") for weight, term in scored[:limit] if weight > 0]


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def encode(header: Mapping[str, Any], columns: Sequence[bytes]) -> bytes:
    """The file bytes for a model (used by the training script)."""
    blob = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<I", len(blob)) + blob + b"".join(columns)

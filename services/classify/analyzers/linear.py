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
import sys
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
        self._bank: WeightBank | None = None
        self._offset = 0

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

    def sums(self, features: Features) -> list[tuple[int, int]]:
        """Per column, the sum of its weights at the text's buckets and at the @handle buckets (integers)."""
        if self._bank is not None:
            text, handle = self._bank.sums(features)
            first = self._offset
            last = first + len(self._columns)
            return list(zip(text[first:last], handle[first:last], strict=True))
        # Unbanked (training, a model loaded alone): one itemgetter call a column.
        gather_text = features.gather_text if features.text else _nothing
        gather_handle = features.gather_handle if features.handle else _nothing
        return [(sum(gather_text(column)), sum(gather_handle(column))) for column in self._columns]

    def logits(self, features: Features, dense: Mapping[str, float] | None = None) -> list[float]:
        uses_text, uses_handle = "text" in self.families, "handle" in self.families
        norm = 1.0 / math.sqrt(len(features.text)) if features.text and uses_text else 0.0
        values = [dense.get(name, 0.0) for name in self.dense] if (dense and self.dense) else [0.0] * len(self.dense)
        out = []
        for (text, handle), scale, bias, weights in zip(
            self.sums(features), self._scales, self._bias, self._dense_weights, strict=True
        ):
            total = text * norm + (handle if uses_handle else 0)
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


FIELD_BITS = 16
# A field holds a weight plus 128 (0-255); this many of them add up without overflowing 16 bits.
CHUNK = ((1 << FIELD_BITS) - 1) // 255


class WeightBank:
    """Several models' columns read together: every bucket's weights, one per column, packed into one Python
    integer (16 bits a field, each weight offset by 128), so the weights of all models at a text's buckets add up
    in one C-level `sum` over those integers instead of one gather per column (the analyzer's main cost). A
    bucket's integer is built the first time a text has it and kept (at most 2**BITS of them)."""

    def __init__(self, models: Sequence[LinearModel]) -> None:
        self._columns: list[array[int]] = []
        for model in models:
            model._bank, model._offset = self, len(self._columns)
            self._columns.extend(model._columns)
        self._rows = _Rows(self._columns)
        self._width = len(self._columns) * FIELD_BITS // 8
        self._memo: tuple[Features | None, tuple[list[int], list[int]]] = (None, ([], []))

    def sums(self, features: Features) -> tuple[list[int], list[int]]:
        memo = self._memo  # one tuple, read and written whole: safe across threads
        if memo[0] is features:
            return memo[1]
        text = self._add(features.gather_text(self._rows) if features.text else ())
        handle = self._add(features.gather_handle(self._rows) if features.handle else ())
        self._memo = (features, (text, handle))
        return text, handle

    def _add(self, rows: tuple[int, ...]) -> list[int]:
        totals = [0] * len(self._columns)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            fields = array("H")
            fields.frombytes(sum(chunk).to_bytes(self._width, "little"))
            if sys.byteorder != "little":
                fields.byteswap()
            offset = 128 * len(chunk)
            totals = [t + f - offset for t, f in zip(totals, fields, strict=True)]
        return totals


class _Rows(dict[int, int]):
    """bucket -> that bucket's weights in every column, packed; filled on first use."""

    def __init__(self, columns: Sequence[array[int]]) -> None:
        super().__init__()
        self._columns = columns

    def __missing__(self, index: int) -> int:
        packed = 0
        for n, column in enumerate(self._columns):
            packed |= (column[index] + 128) << (FIELD_BITS * n)
        self[index] = packed
        return packed


def _nothing(column: Sequence[int] | Mapping[int, int]) -> tuple[int, ...]:
    return ()


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def encode(header: Mapping[str, Any], columns: Sequence[bytes]) -> bytes:
    """The file bytes for a model (used by the training script)."""
    blob = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<I", len(blob)) + blob + b"".join(columns)

"""Pack the drug-name lexicon (../shared/data/drug_name_lexicon) for the classify Lambda: the chosen names, each with
one integer that packs its canonical name, length, kind and guard flag, in `services/classify/models/drugs.json`
(about 0.6 MB). The runtime turns them into an Aho-Corasick automaton (pyahocorasick) in about 25 ms on first use.
pyahocorasick can save the automaton itself, but its file is 5.3 MB, takes 40-55 ms to load and differs byte for
byte between two identical builds; the packed list is smaller, faster and deterministic.

Which names, and why:
- the medicines: those MedlinePlus has a consumer page for (the drug-NER dictionary's `medline_plus_id`), about 1,500.
  DrugBank and the FDA list also hold foods, allergen extracts, industrial chemicals and pesticides, which are not
  what a patient means in a post;
- their names from the curated sources: generic and international names (drug-NER, DrugBank), brand names (FDA,
  drug-NER); words only (letters, spaces and hyphens; no salts in brackets, codes or formulas), at most three;
- misspellings: RedMed's (phonetic, edit distance one, search-engine ones) that stay within two edits of a clean
  name of the same drug (RedMed's lists also carry unrelated Reddit words), plus, for the common medicines below,
  every deletion, transposition, doubled letter and swapped vowel that is not itself a word;
- ordinary words ("focus", "molly", names like "heather") are kept but *guarded*: the runtime counts them only with
  a medicine cue beside them ("took my", "mg", "prescribed"). A name is ordinary when the lexicon flags it as an
  English word, wordfreq finds it in ordinary English (Zipf >= 2), or it is a brand of five letters or fewer, unless it is one of the common medicines below.

See `services/classify/analyzers/drugs.py` for the packing. Deterministic: the same data gives the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from services.classify.analyzers.drugs import KINDS, MAX_LENGTH, pack

# Medicines people name in posts, never guarded: the most prescribed and the common over-the-counter ones.
COMMON = frozenset(
    """
    acetaminophen paracetamol tylenol ibuprofen advil motrin nurofen naproxen aleve aspirin excedrin benadryl
    diphenhydramine claritin loratadine zyrtec cetirizine fexofenadine sudafed pseudoephedrine nyquil dayquil
    mucinex robitussin dextromethorphan melatonin imodium loperamide omeprazole prilosec nexium esomeprazole
    pantoprazole ranitidine zantac famotidine pepcid midol dramamine amoxicillin penicillin azithromycin zithromax
    doxycycline ciprofloxacin cipro cephalexin keflex augmentin metronidazole flagyl levofloxacin bactrim
    clindamycin nitrofurantoin macrobid sertraline zoloft fluoxetine prozac escitalopram lexapro citalopram celexa
    paroxetine paxil venlafaxine effexor duloxetine cymbalta bupropion wellbutrin mirtazapine remeron trazodone
    amitriptyline alprazolam xanax lorazepam ativan clonazepam klonopin diazepam valium zolpidem ambien adderall
    amphetamine methylphenidate ritalin concerta vyvanse quetiapine seroquel aripiprazole abilify olanzapine
    zyprexa risperidone risperdal lamotrigine lamictal gabapentin neurontin pregabalin lyrica topiramate topamax
    levetiracetam keppra oxycodone oxycontin percocet hydrocodone vicodin codeine morphine tramadol fentanyl
    methadone suboxone buprenorphine naloxone narcan dilaudid hydromorphone lisinopril amlodipine norvasc losartan
    metoprolol atenolol propranolol hydrochlorothiazide furosemide lasix warfarin coumadin eliquis apixaban xarelto
    rivaroxaban clopidogrel plavix atorvastatin lipitor simvastatin zocor rosuvastatin crestor metformin
    glucophage insulin ozempic semaglutide wegovy mounjaro tirzepatide januvia jardiance trulicity victoza
    liraglutide prednisone prednisolone dexamethasone hydrocortisone levothyroxine synthroid montelukast
    singulair albuterol ventolin salbutamol flonase fluticasone advair symbicort estradiol progesterone
    viagra sildenafil cialis tadalafil accutane isotretinoin tretinoin finasteride propecia minoxidil rogaine
    humira adalimumab methotrexate hydroxychloroquine plaquenil ivermectin tamiflu oseltamivir paxlovid botox
    epipen epinephrine chantix varenicline naltrexone colchicine allopurinol sumatriptan imitrex ondansetron
    zofran meclizine phentermine nexplanon mirena depo-provera yasmin yaz levonorgestrel
    """.split()
)
# Kinds of name, best first: which one a name shared by several kinds is reported as.
_NAME_CHARS = re.compile(r"[a-z][a-z -]*[a-z]")
_VOWELS = "aeiouy"
# Ordinary enough to need a cue: about once in ten million words of English (Zipf 2); common first names and
# words are well above ("heather" 3.9, "camila" 3.0, "alli" 2.8), medicine brands mostly below ("klonopin" 2.3).
ORDINARY_ZIPF = 2.0
# Short brand names collide with words and names in other languages ("saha", "gana", "sone").
GUARD_CHARS = 5
# A misspelling must not be a word in its own right ("vaters", "protin" are in RedMed's lists).
MISSPELLING_MAX_ZIPF = 1.5
MIN_CHARS = 4
MIN_MISSPELLING_CHARS = 5
LONG_NAME = 8


def zipf_frequency(word: str, language: str) -> float:
    """wordfreq's Zipf frequency. Imported here: `make test` does not install the ml group, and the helpers above
    and below are tested without it."""
    from wordfreq import zipf_frequency as zipf  # noqa: PLC0415

    return float(zipf(word, language))


@dataclass(frozen=True)
class Name:
    term: str
    canonical: str
    kind: str  # one of KINDS


def _rows(path: Path, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter=delimiter)


def clean(term: str) -> str | None:
    """The term as matched (lower case, single spaces), or None if it is not a plain name of at most three words."""
    term = " ".join(term.lower().replace("_", " ").split())
    if not _NAME_CHARS.fullmatch(term) or len(term) < MIN_CHARS or len(term) > MAX_LENGTH:
        return None
    words = re.split(r"[ -]", term)
    if len(term.split()) > 3 or any(len(w) < 2 for w in words):
        return None
    return term


def edits(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (Damerau-Levenshtein with adjacent transpositions), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def misspells(term: str, references: Iterable[str], zipf: Callable[[str, str], float] | None = None) -> bool:
    """Within one edit of a clean name (two for long ones), where that name is no ordinary word and either a
    common medicine ("zanax") or a long name ("amitryptiline"): misspellings of short, rare brands are mostly
    other words (RedMed's "tation" for Talion, "simfoni" for Simponi)."""
    zipf = zipf or zipf_frequency
    compact = term.replace(" ", "")
    for reference in references:
        if reference not in COMMON and (len(reference) < LONG_NAME or zipf(reference, "en") >= ORDINARY_ZIPF):
            continue
        if edits(compact, reference) <= (2 if len(reference) >= 8 else 1):
            return True
    return False


def variants(name: str) -> set[str]:
    """Typing slips of a name: one letter dropped, two swapped, one doubled, one vowel for another."""
    out: set[str] = set()
    for i in range(len(name)):
        out.add(name[:i] + name[i + 1 :])
        out.add(name[:i] + name[i] + name[i:])
        if i + 1 < len(name):
            out.add(name[:i] + name[i + 1] + name[i] + name[i + 2 :])
        if name[i] in _VOWELS:
            out.update(name[:i] + v + name[i + 1 :] for v in _VOWELS)
    out.discard(name)
    return {v for v in out if " " not in v and "-" not in v}


def ordinary(term: str) -> bool:
    return all(zipf_frequency(word, "en") >= ORDINARY_ZIPF for word in term.split())


_SALTS = frozenset(
    """
    hydrochloride hcl sulfate sulphate sodium potassium calcium magnesium oxalate maleate mesylate succinate tartrate
    bitartrate citrate acetate phosphate besylate fumarate hyclate monohydrate dihydrate hydrobromide bromide
    chloride nitrate dipropionate propionate valerate furoate xinafoate disodium trihydrate anhydrous extended release
    """.split()
)


def _without_salt(name: str) -> str:
    return " ".join(w for w in name.lower().split() if w not in _SALTS)


def _display(canonical: str) -> str:
    return re.sub(r"\s*\(.*?\)", "", canonical).strip().lower()


def _kind(term: str, canonical: str, *, brand: bool | None) -> str:
    """generic (the canonical name, or another non-proprietary one: "paracetamol"), name (a form of it:
    "sertralina", "sertraline hydrochloride"), or brand ("Zoloft", "Lustral"). Where the source does not say
    (`brand` None), a name far from the canonical one is taken for a brand: the sources mark few brands as such."""
    if term == canonical:
        return "generic"
    if brand:
        return "brand"
    if canonical in term or edits(term, canonical) <= 2:
        return "name"
    return "generic" if brand is False else "brand"


_BRAND_BY_TYPE = {"brand": True, "synonym": None, "generic": False, "official": False}


def _medlineplus(sources: Path) -> tuple[dict[str, str], list[Name]]:
    """DrugBank id -> MedlinePlus-style canonical name, and the drug-NER names of those medicines."""
    canonical_of: dict[str, str] = {}
    names: list[Name] = []
    for row in _rows(sources / "drug_ner_2.0.9_variants.csv.gz"):
        if not row["medline_plus_id"]:
            continue
        canonical = _display(row["canonical_name"])
        if row["drugbank_id"]:
            canonical_of.setdefault(row["drugbank_id"], canonical)
        if term := clean(row["variant"]):
            brand = {"1": True, "0": False}.get(row["is_brand"])
            names.append(Name(term, canonical, _kind(term, canonical, brand=brand)))
    return canonical_of, names


def _merged(folder: Path, canonical_of: dict[str, str]) -> tuple[list[Name], set[str]]:
    """DrugBank and FDA names of the same medicines, and every term the merged lexicon flags as an English word."""
    by_name = {c: c for c in canonical_of.values()}
    names: list[Name] = []
    flagged: set[str] = set()
    for row in _rows(folder / "drug_lexicon.tsv.gz", delimiter="\t"):
        canonical = canonical_of.get(row["drugbank_id"])
        if canonical is None and row["term_type"] == "brand":  # FDA brands point at the salt: "oxycodone hcl"
            canonical = by_name.get(_without_salt(row["canonical"]))
        term = clean(row["term"])
        if row["english_word"] == "1" and term:
            flagged.add(term)
        if canonical is not None and term is not None and row["term_type"] in _BRAND_BY_TYPE:
            names.append(Name(term, canonical, _kind(term, canonical, brand=_BRAND_BY_TYPE[row["term_type"]])))
    return names, flagged


def _redmed(sources: Path, canonical_of: dict[str, str], names: Iterable[Name]) -> list[Name]:
    """RedMed's single-word names and its misspellings that stay close to a clean name of the same medicine."""
    clean_names: dict[str, set[str]] = {}
    for name in names:
        clean_names.setdefault(name.canonical, set()).add(name.term)
    out: list[Name] = []
    for row in _rows(sources / "redmed_drug_lexicon.tsv.gz", delimiter="\t"):
        canonical = canonical_of.get(row["dbid"])
        if canonical is None:
            continue
        known = clean_names.get(canonical, set())
        references = [n for n in known if " " not in n]
        for column in ("known", "misspellingPhon", "edOne", "google_ms"):
            for term in filter(None, map(clean, row[column].split(","))):
                if len(term) < MIN_MISSPELLING_CHARS or term in known:
                    continue
                if column == "known" and " " not in term:  # "percocet"; RedMed's longer "known" are phrases
                    out.append(Name(term, canonical, _kind(term, canonical, brand=None)))
                elif zipf_frequency(term.replace(" ", ""), "en") < MISSPELLING_MAX_ZIPF and misspells(term, references):
                    out.append(Name(term, canonical, "misspelling"))
    return out


def collect(folder: Path) -> tuple[list[Name], set[str]]:
    """Every name of a MedlinePlus medicine, and the terms flagged as English words by the merged lexicon."""
    sources = folder / "sources"
    canonical_of, names = _medlineplus(sources)
    merged, flagged = _merged(folder, canonical_of)
    names += merged
    return names + _redmed(sources, canonical_of, names), flagged


def with_slips(names: Iterable[Name]) -> list[Name]:
    """The common medicines' typing slips, as misspellings (a slip that is another medicine's name stays that)."""
    names = list(names)
    taken = {n.term for n in names}
    canonical = {n.term: n.canonical for n in names if n.kind != "misspelling"}
    extra = []
    for common in sorted(COMMON):
        if common not in canonical or len(common) < MIN_MISSPELLING_CHARS:
            continue
        for slip in sorted(variants(common)):
            if slip not in taken and zipf_frequency(slip, "en") < MISSPELLING_MAX_ZIPF:
                extra.append(Name(slip, canonical[common], "misspelling"))
                taken.add(slip)
    return names + extra


def choose(names: Iterable[Name]) -> dict[str, Name]:
    """One entry per term: the best kind, then the first canonical name in alphabetical order."""
    best: dict[str, Name] = {}
    for name in sorted(names, key=lambda n: (n.term, KINDS.index(n.kind), n.canonical)):
        best.setdefault(name.term, name)
    return best


def build(folder: Path, out: Path) -> dict[str, int]:
    names, flagged = collect(folder)
    chosen = choose(with_slips(names))
    canonicals = sorted({n.canonical for n in chosen.values()})
    index = {c: i for i, c in enumerate(canonicals)}
    terms = []
    guarded = 0
    for term, name in sorted(chosen.items()):
        guard = term not in COMMON and (
            term in flagged or ordinary(term) or (len(term) <= GUARD_CHARS and name.kind in ("brand", "name"))
        )
        guarded += guard
        terms.append([term, pack(index[name.canonical], len(term), KINDS.index(name.kind), guard)])
    document = {
        "canonical": canonicals,
        "terms": terms,
        "trained_on": "drug_name_lexicon: drug-NER 2.0.9 (MedlinePlus medicines), DrugBank open vocabulary, FDA UNII "
        "brand names, RedMed misspellings",
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "drugs.json").write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    kinds: dict[str, int] = {}
    for name in chosen.values():
        kinds[name.kind] = kinds.get(name.kind, 0) + 1
    return {"terms": len(chosen), "medicines": len(canonicals), "guarded": guarded, **kinds}

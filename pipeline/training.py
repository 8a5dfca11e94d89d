"""Training data for the stance model, and training itself (``argmine train``).

Sources: the gold labels of the corpus (``corpus/annotations/claims.jsonl``, aligned to the
segments by ``sent_id`` and text) and, optionally, the train-split topics of public argument data
sets under ``shared/data/external`` (IBM Claim Stance, PERSPECTRUM, IBM ArgQ-30k), each example
with its features computed toward its own topic. The external sets have no neutral class. They
can enter the model in two ways: as pro and con examples of the corpus model itself, sharing a
fixed budget of sample weight relative to the corpus (``external_weight``), and through a
separate pro-versus-con ``PolarityModel`` whose score is one feature of the corpus model
(stacking). The regularisation strength and the temperature come from cross-validation by
document (leave-one-document-out, or at most ``INNER_FOLDS`` folds) inside the labelled training
documents; external examples are only ever training material. More labelled texts on topics of
their own (``--extra-gold``, like ``data/policy_texts``) are training documents like the corpus's.
"""

from __future__ import annotations

import csv
import json
import platform
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import spacy
from sklearn.metrics import f1_score
from spacy.language import Language

from . import __version__
from . import segment as segment_stage
from .features import Features, sentence_features
from .incremental import file_digest, fingerprint
from .io import ArgmineError, read_jsonl, slugify
from .nlp import ParseCache, load_model as load_spacy, model_tag
from .stance import LABELS, PolarityModel, StanceModel

EXTERNAL_SETS = ("claim_stance", "perspectrum", "argq")
# The held-out-topic figure averages these sets' test topics, whatever the model was trained on.
HELD_OUT_SETS = ("claim_stance", "perspectrum")
EXTERNAL_LICENCES = {
    "claim_stance": "IBM Debater Claim Stance (2017), CC-BY-SA 3.0",
    "perspectrum": "PERSPECTRUM (CogComp, 2019), CC BY-SA 4.0",
    "argq": "IBM Debater IBM-ArgQ-Rank-30kArgs (2019), CC-BY-SA 3.0",
}
C_GRID = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
# Most folds of the inner cross-validation (by document) that picks C and the temperature.
INNER_FOLDS = 5
# Segments and parses of labelled texts (``labelled_work``).
LABELLED_WORK = Path("build/labelled")
# Motions phrased against their subject ("X should be banned", "We should end X"): a pro argument
# on such a motion speaks against X, and X is what the argument's wording evaluates.
_AGAINST = re.compile(r"\b(ban|banned|abolish|abolished|abolition|abandon|abandoned|prohibit|prohibited|end|ended|"
                      r"stop|stopped|close|closed|cancel|cancelled|limit|limited|restrict|restricted|oppose|fight|"
                      r"criminal|outlaw|outlawed|illegal|regulate|regulated|cap|capped|curb|curbed|reduce|reduced|"
                      r"eliminate|eliminated|harm|harmful)\b", re.IGNORECASE)
_NEGATED = re.compile(r"\b(not|no|never)\b|n't\b", re.IGNORECASE)


@dataclass
class Example:
    group: str          # doc_id for corpus sentences, the data set name for external ones
    topic: str
    label: str
    features: Features
    text: str
    split: str = ""     # for external examples, the set's own train/dev/test split (held-out topics)


def load_gold(path: Path) -> list[dict[str, Any]]:
    """The gold records of ``path``, each checked against the gold schema (fields and labels)."""
    if not path.exists():
        raise ArgmineError(f"{path}: gold file not found")
    records = list(read_jsonl(path, schema_name="gold"))
    if not records:
        raise ArgmineError(f"{path}: no gold records")
    return records


@dataclass
class GoldSentence:
    """A gold record with its segment and the segment's span in the cached parse."""

    record: dict[str, Any]
    segment: dict[str, Any]
    span: Any


def align_gold(gold: list[dict[str, Any]], out: Path, nlp: Language,
               warn: Callable[[str], None] = print) -> list[GoldSentence]:
    """Gold records matched to the segments of a run in ``out``, each document's parse loaded once.

    A gold record whose ``sent_id`` is missing, or whose text differs from the segment's, is
    reported and left out: a change of segmentation must not silently shift labels.
    """
    segments = {s["sent_id"]: s for s in read_jsonl(out / "sentences.jsonl")}
    texts = {d["doc_id"]: d["text"] for d in read_jsonl(out / "documents.jsonl")}
    cache = ParseCache(out, nlp)
    docs: dict[str, Any] = {}
    aligned, misaligned = [], []
    for record in gold:
        seg = segments.get(record["sent_id"])
        if seg is None or seg["text"] != record["text"]:
            misaligned.append(record["sent_id"])
            continue
        if seg["doc_id"] not in docs:
            docs[seg["doc_id"]] = cache.load(texts[seg["doc_id"]])
        span = docs[seg["doc_id"]].char_span(seg["start"], seg["end"], alignment_mode="expand")
        aligned.append(GoldSentence(record, seg, span))
    if gold and not aligned:
        raise ArgmineError(f"none of the {len(gold)} gold records matches a segment of the texts segmented into "
                           f"{out} (by sent_id and text): is the texts folder the one the gold labels?")
    if misaligned:
        shown = ", ".join(misaligned[:5]) + (", ..." if len(misaligned) > 5 else "")
        warn(f"{len(misaligned)} gold records do not match a segment (sent_id and text) and were left out: {shown}")
    return aligned


def corpus_examples(aligned: list[GoldSentence], topic: str | dict[str, str]) -> list[Example]:
    """Training examples from aligned gold sentences, grouped by their document.

    topic: one topic for every document, or each document's own ({doc_id: topic}).
    """
    def topic_of(doc_id: str) -> str:
        return topic if isinstance(topic, str) else topic[doc_id]

    return [Example(g.segment["doc_id"], topic_of(g.segment["doc_id"]), g.record["stance"],
                    sentence_features(g.span, topic_of(g.segment["doc_id"])), g.segment["text"]) for g in aligned]


@dataclass
class GoldSet:
    """An annotated set of texts on topics of their own (``--extra-gold``), aligned to its segments."""

    folder: Path
    topics: dict[str, str]
    aligned: list[GoldSentence]

    def examples(self) -> list[Example]:
        return corpus_examples(self.aligned, self.topics)


def labelled_work(texts: Path, root: Path = LABELLED_WORK) -> Path:
    """Where the segments and cached parse of a folder of labelled texts live: one folder per
    texts folder, shared by ``train`` and ``evaluate`` so that each text is parsed once."""
    return root / slugify(str(texts.resolve()), fallback="texts")


def load_gold_set(folder: Path, nlp: Language, *, model: str | None = None, root: Path = LABELLED_WORK,
                  warn: Callable[[str], None] = print) -> GoldSet:
    """Read a gold set: ``folder`` holds ``texts/`` (the documents), ``claims.jsonl`` (gold with the
    corpus gold's fields) and ``topics.json`` ({doc_id: topic}); the texts are segmented into
    their ``labelled_work`` folder under ``root``.
    """
    topics_path = folder / "topics.json"
    try:
        topics = json.loads(topics_path.read_text("utf-8"))
    except (OSError, ValueError) as err:
        raise ArgmineError(f"{topics_path}: cannot read the topics of the gold set ({err})") from None
    if not isinstance(topics, dict) or not all(isinstance(t, str) and t.strip() for t in topics.values()):
        raise ArgmineError(f"{topics_path}: expected an object of doc_id to topic, each topic a non-empty string")
    work = labelled_work(folder / "texts", root)
    segment_stage.run(folder / "texts", work, model=model, warn=warn)
    aligned = align_gold(load_gold(folder / "claims.jsonl"), work, nlp, warn)
    missing = sorted({g.segment["doc_id"] for g in aligned} - set(topics))
    if missing:
        raise ArgmineError(f"{topics_path}: no topic for {', '.join(missing)}")
    return GoldSet(folder, topics, aligned)


def motion_direction(motion: str) -> int:
    """+1 if a motion argues for its subject, -1 if against it ("X should be banned", "We should not X")."""
    direction = -1 if _AGAINST.search(motion) else 1
    return -direction if _NEGATED.search(motion) else direction


def _external_rows(root: Path, name: str, split: str, limit: int) -> list[tuple[str, str, str, str]]:
    """(text, topic, label, split) rows of one external set's ``split``, a fixed sample of at most ``limit``.

    The label is the stance toward the topic's subject, not toward the motion, so that it agrees
    with what the argument's own wording says about that subject.
    """
    rows: list[tuple[str, str, str, str]] = []
    if name == "claim_stance":
        with (root / "ibm_claim_stance" / "claim_stance_clean.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                # Stance toward the motion times the motion's own sentiment toward its target.
                sign = (1 if row["claims.stance"] == "PRO" else -1) * int(row["topicSentiment"])
                rows.append((row["claims.claimCorrectedText"], row["topicTarget"], "pro" if sign > 0 else "con",
                             row["split"]))
    elif name == "perspectrum":
        folder = root / "perspectrum"
        pool = {p["pId"]: p["text"] for p in json.loads((folder / "perspective_pool_v1.0.json").read_text("utf-8"))}
        splits = json.loads((folder / "dataset_split_v1.0.json").read_text("utf-8"))
        for claim in json.loads((folder / "perspectrum_with_answers_v1.0.json").read_text("utf-8")):
            direction = motion_direction(claim["text"])
            for cluster in claim["perspectives"]:
                sign = {"SUPPORT": 1, "UNDERMINE": -1}.get(cluster["stance_label_3"], 0) * direction
                if sign and cluster["pids"]:
                    rows.append((pool[cluster["pids"][0]], claim["text"], "pro" if sign > 0 else "con",
                                 splits.get(str(claim["cId"]), "")))
    elif name == "argq":
        with (root / "ibm_argq_30k" / "arg_quality_rank_30k.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                sign = int(row["stance_WA"]) * motion_direction(row["topic"])
                rows.append((row["argument"], row["topic"], "pro" if sign > 0 else "con", row["set"]))
    else:
        raise ArgmineError(f"unknown external data set '{name}' (choose from {', '.join(EXTERNAL_SETS)})")
    rows = sorted(row for row in rows if row[3] == split)
    random.Random(0).shuffle(rows)
    return rows[:limit]


def _read_rows(root: Path, name: str, split: str, limit: int) -> list[tuple[str, str, str, str]]:
    try:
        return _external_rows(root, name, split, limit)
    except (OSError, ValueError, KeyError, TypeError) as err:  # missing folder, damaged file
        raise ArgmineError(f"{root}: cannot read the public data set {name} ({err}); name the folder with "
                           "--external-root, or use the gold alone: no --external (make ... EXTERNAL=)") from None


# Words of a motion that say what is done to its subject, not what the subject is.
_MOTION_WORDS = {"house", "believes", "legalize", "legalise", "adopt", "introduce", "allow", "subsidize", "subsidise",
                 "support", "increase", "good", "idea", "right", "wrong", "way"}


def _subject(topic: str) -> frozenset[str]:
    words = re.findall(r"[a-z]+", topic.lower())
    return frozenset(w for w in words if w not in spacy.lang.en.stop_words.STOP_WORDS and w not in _MOTION_WORDS
                     and not _AGAINST.fullmatch(w))


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


class _TestOverlap:
    """What training must not share with the test topics of the held-out sets: the public sets
    overlap one another (PERSPECTRUM's train split holds Claim Stance test motions) and share
    texts between splits. A training row goes when its text is a test text, or when its motion
    and another set's test motion name the same subject (one's subject words contain the other's)."""

    def __init__(self, root: Path, names: list[str]) -> None:
        tests = []
        for name in sorted(set(HELD_OUT_SETS) | set(names)):
            try:
                tests += [(name, row) for row in _read_rows(root, name, "test", 10**9)]
            except ArgmineError:
                if name in names:  # a held-out set that is not there cannot overlap
                    raise
        self.texts = {_normal(row[0]) for _, row in tests}
        self.subjects = {(name, _subject(row[1])) for name, row in tests} - {(name, frozenset()) for name, _ in tests}

    def __call__(self, name: str, text: str, topic: str) -> bool:
        if _normal(text) in self.texts:
            return True
        subject = _subject(topic)
        return bool(subject) and any(other != name and (subject <= words or words <= subject)
                                     for other, words in self.subjects)


def external_examples(root: Path, names: list[str], nlp: Language, split: str = "train",
                      limit: int = 6000) -> list[Example]:
    """Examples of the ``split`` topics of each named set, features computed toward each example's own topic.

    Training examples (``split="train"``) that overlap a held-out test topic are left out.
    """
    overlaps = _TestOverlap(root, names) if split == "train" else None
    examples = []
    for name in names:
        rows = [row for row in _read_rows(root, name, split, limit) if overlaps is None or not overlaps(name, row[0], row[1])]
        for (text, topic, label, row_split), doc in zip(rows, nlp.pipe([r[0] for r in rows], batch_size=64)):
            examples.append(Example(name, topic, label, sentence_features(doc[:], topic), text, row_split))
    return examples


def fit_polarity(external: list[Example]) -> PolarityModel | None:
    """The pro-versus-con model of the external examples, or None without any."""
    if not external:
        return None
    return PolarityModel().fit([e.features for e in external], [e.label for e in external])


def sample_weights(corpus_labels: list[str], n_external: int, external_weight: float) -> np.ndarray:
    """Per-example weights: corpus sentences first, then ``n_external`` external examples.

    Corpus sentences are weighted to balance their classes (as ``class_weight="balanced"``), which
    sums to one per sentence; the external examples share ``external_weight`` times that total
    equally, so the budget does not depend on how many of them there are.
    """
    labels, counts = np.unique(corpus_labels, return_counts=True)
    per_class = dict(zip(labels, len(corpus_labels) / (len(labels) * counts)))
    corpus = np.array([per_class[label] for label in corpus_labels])
    external = np.full(n_external, external_weight * len(corpus_labels) / max(n_external, 1))
    return np.concatenate([corpus, external])


def _fit_stance(corpus: list[Example], external: list[Example], C: float, polarity: PolarityModel | None,
                external_weight: float) -> StanceModel:
    """The stance model of ``corpus`` plus ``external`` pro/con examples, weighted by ``sample_weights``."""
    missing = sorted(set(LABELS) - {e.label for e in corpus})
    if missing:
        groups = ", ".join(sorted({e.group for e in corpus}))
        raise ArgmineError(f"no {' or '.join(missing)} sentence in the gold of {groups}: every class needs examples "
                           "in the training documents (with leave-one-document-out, in at least two documents)")
    train = corpus + external
    weights = sample_weights([e.label for e in corpus], len(external), external_weight)
    return StanceModel(C=C, class_weight=None, polarity=polarity).fit(
        [e.features for e in train], [e.label for e in train], sample_weight=weights)


def _held_out_scores(examples: list[Example], C: float, polarity: PolarityModel | None,
                     external: list[Example], external_weight: float) -> tuple[np.ndarray, list[str]]:
    """Decision scores of each group from a model trained on the other groups (plus ``external``), in class order.

    With more than ``INNER_FOLDS`` groups, groups are dealt round-robin into that many folds, so
    that many labelled documents do not make training many times slower.
    """
    groups = sorted({e.group for e in examples})
    fold_of = {group: i % INNER_FOLDS for i, group in enumerate(groups)}
    scores, labels = [], []
    for fold in sorted(set(fold_of.values())):
        train = [e for e in examples if fold_of[e.group] != fold]
        test = [e for e in examples if fold_of[e.group] == fold]
        model = _fit_stance(train, external, C, polarity, external_weight)
        fold_scores = model.decision_function([e.features for e in test])
        # Every fold must see every class for its columns to line up.
        order = [list(model.classes_).index(c) for c in sorted(LABELS)]
        scores.append(fold_scores[:, order])
        labels.extend(e.label for e in test)
    return np.vstack(scores), labels


def choose_C(examples: list[Example], polarity: PolarityModel | None, external: list[Example] | None = None,
             external_weight: float = 0.0, grid: tuple[float, ...] = C_GRID) -> float:
    """The C of ``grid`` with the best macro-F1 of held-out groups of ``examples`` (ties: smaller C).

    ``external`` examples, weighted by ``external_weight``, join every fold's training data and
    are never scored.
    """
    best, best_score = grid[0], -1.0
    for C in grid:
        scores, labels = _held_out_scores(examples, C, polarity, external or [], external_weight)
        predicted = np.array(sorted(LABELS))[scores.argmax(axis=1)]
        score = f1_score(labels, predicted, labels=list(LABELS), average="macro", zero_division=0)
        if score > best_score + 1e-9:
            best, best_score = C, score
    return best


def fit(examples: list[Example], *, C: float | None = None, calibrate_on: list[Example] | None = None,
        external_weight: float = 0.0, stack_polarity: bool = True) -> StanceModel:
    """Fit the model on the corpus examples and the external ones among ``examples``.

    external_weight: the external examples' share of sample weight relative to the corpus
    (0: they do not enter the corpus model).
    stack_polarity: train a polarity model on the external examples and stack its score.
    C: None chooses it by cross-validation by document over ``C_GRID`` inside ``calibrate_on``.
    The temperature comes from the held-out scores of the same folds of ``calibrate_on`` (default:
    all corpus examples); nothing is fitted on documents outside ``examples``.
    """
    external = [e for e in examples if e.group in EXTERNAL_SETS]
    corpus = [e for e in examples if e.group not in EXTERNAL_SETS]
    polarity = fit_polarity(external) if stack_polarity else None
    mixed = external if external_weight > 0 else []
    held = calibrate_on if calibrate_on is not None else corpus
    several = len({e.group for e in held}) >= 2
    if C is None:
        C = choose_C(held, polarity, mixed, external_weight) if several else StanceModel().C
    model = _fit_stance(corpus, mixed, C, polarity, external_weight)
    if several:
        scores, labels = _held_out_scores(held, C, polarity, mixed, external_weight)
        model.calibrate(scores, labels)
    return model


def run(gold: Path, corpus: Path, model_dir: Path, *, topic: str, extra_gold: list[Path], external: list[str],
        external_root: Path, external_weight: float = 0.0, stack_polarity: bool = True, model: str | None = None,
        warn: Callable[[str], None] = print) -> int:
    """Train on the gold of ``corpus``, the ``extra_gold`` sets and the ``external`` sets' train topics,
    and write the model, named after a hash of its data, settings and weights, and its card to ``model_dir``.

    Returns the number of training examples.
    """
    work = labelled_work(corpus)
    segment_stage.run(corpus, work, model=model, warn=warn)
    nlp = load_spacy(model)
    examples = corpus_examples(align_gold(load_gold(gold), work, nlp, warn), topic)
    also = [e for folder in extra_gold for e in load_gold_set(folder, nlp, model=model, warn=warn).examples()]
    counts = {"corpus": len(examples), "extra_gold": len(also), "extra_gold_documents": len({e.group for e in also})}
    examples += also
    extra = external_examples(external_root, external, nlp) if external else []
    counts.update({name: sum(e.group == name for e in extra) for name in external})
    stack_polarity = stack_polarity and bool(extra)  # the model's record says what it was: nothing stacks without them
    stance_model = fit(examples + extra, calibrate_on=examples, external_weight=external_weight,
                       stack_polarity=stack_polarity)
    hashed = [gold, *(folder / name for folder in extra_gold for name in ("claims.jsonl", "topics.json")),
              *(path for folder in extra_gold for path in sorted((folder / "texts").rglob("*")) if path.is_file()),
              *(p for p in sorted(external_root.rglob("*")) if p.is_file() and any(n in str(p) for n in external))]
    settings = {"topic": topic, "extra_gold": [str(folder) for folder in extra_gold], "external": external,
                "external_weight": external_weight, "stack_polarity": stack_polarity}
    # Every claim records its model's name: models trained on other data or settings, or by other
    # feature code (the same data, other weights), must not share one.
    weights = stance_model.pipeline_.named_steps["classify"].coef_.round(10).tolist()
    stance_model.name_ = f"argmine-stance-{__version__}+{fingerprint(data_hash(hashed), settings, weights)[:8]}"
    stance_model.save(model_dir, {**settings, "examples": len(examples) + len(extra)})
    metrics_path = model_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text("utf-8")) if metrics_path.exists() else None
    card = model_card(stance_model, gold=gold, extra_gold=extra_gold, external=external, counts=counts,
                      external_weight=external_weight, nlp=nlp, hashed=hashed, metrics=metrics)
    (model_dir / "README.md").write_text(card, "utf-8")
    return len(examples) + len(extra)


def data_hash(paths: list[Path]) -> str:
    """One hash of the training files: their names and contents."""
    return fingerprint([(path.name, file_digest(path)) for path in sorted(paths)])


def model_card(model: StanceModel, *, gold: Path, extra_gold: list[Path], external: list[str], counts: dict[str, int],
               external_weight: float, nlp: Language, hashed: list[Path], metrics: dict[str, Any] | None) -> str:
    """The model card: what the model is, what it was trained on (with licences), and its figures."""
    lines = [
        f"# Stance model: {model.name}", "",
        "Multinomial logistic regression (scikit-learn) over features read off the spaCy parse:",
        "lemmas with the topic's own words masked, evaluative words with negation and reducers,",
        "reporting frames and their holders, modality, hedges, contrast (the last word), what the",
        "main predicate does (its polarity, the topic as its subject, prescriptions, definitions),",
        "and markers of neutral text. Probabilities are calibrated by a temperature fitted on",
        "held-out scores of the labelled documents. Weights: `weights.npz` (NumPy, no pickle);",
        "vocabulary and settings: `config.json`.", "",
        f"Regularisation C = {model.C}, chosen from {list(C_GRID)} by the macro-F1 of cross-validation "
        f"by document (at most {INNER_FOLDS} folds) on the labelled training documents.", "",
        "## Training data", "",
        f"- Gold labels: `{gold}` ({counts.get('corpus', 0)} sentences, classes balanced by sample weight; "
        "the README beside it says how they were made).",
    ]
    if extra_gold:
        lines.append(f"- Labelled texts on topics of their own, {', '.join(f'`{folder}`' for folder in extra_gold)} "
                     f"({counts.get('extra_gold', 0)} sentences of {counts.get('extra_gold_documents', 0)} documents, "
                     "weighted like the corpus; each folder's README says how they were made).")
    for name in external:
        lines.append(f"- {EXTERNAL_LICENCES[name]}: {counts.get(name, 0)} pro/con arguments of its train-split topics.")
    if not external:
        lines.append("- No external data.")
    else:
        lines += ["", "Each external argument's features are computed toward its own topic or motion (the topic's",
                  "words are masked), and its label is turned into the stance toward the motion's subject: a pro",
                  "argument on \"X should be banned\" is against X. Only train-split topics are used, and",
                  "because the sets overlap one another, a training argument is also left out when its text is a",
                  "test text of any set or its motion names the subject of another set's test motion. The",
                  "setting (weight, stacking) was chosen on the held-out-topic figures before that filter."]
        if external_weight > 0:
            lines.append(f"The external arguments are pro/con training examples of the model, sharing a total sample "
                         f"weight of {external_weight:g} times the corpus's.")
        if model.polarity is not None:
            lines.append("They also train a separate pro-versus-con logistic regression (`PolarityModel`, same "
                         "features) whose score is one feature of the model, `transferred_polarity`.")
    lines += ["", f"Hash of the training data (sha256): `{data_hash(hashed)}`", "",
              "## Versions", "", f"- argmine {__version__}, scikit-learn {sklearn.__version__}, spaCy {spacy.__version__},",
              f"  parse model {model_tag(nlp)}, Python {platform.python_version()}", "",
              "## Metrics", "", "From `make evaluate` (models/claims/metrics.json). Leave-one-document-out on the corpus",
              "gold, C and the temperature fitted inside the training documents of each fold:", ""]
    if metrics:
        stance = metrics["stance"]["model"]
        lines.append(f"- (a) macro-F1 {stance['macro_f1']:.3f}; " + ", ".join(
            f"{c} F1 {stance['per_class'][c]['f1']:.3f}" for c in ("pro", "con", "neutral"))
            + f"; ECE {stance.get('ece', float('nan')):.3f}")
        lines.append(f"- baselines: majority {metrics['stance']['majority']['macro_f1']:.3f}, "
                     f"lexicon {metrics['stance']['lexicon']['macro_f1']:.3f}")
        if "stance_without_external" in metrics:
            lines.append(f"- without the external data: macro-F1 "
                         f"{metrics['stance_without_external']['model']['macro_f1']:.3f}")
        if "stance_without_extra_gold" in metrics:
            lines.append(f"- without the extra labelled texts: macro-F1 "
                         f"{metrics['stance_without_extra_gold']['model']['macro_f1']:.3f}")
        if "stance_extra_gold" in metrics:
            extra = metrics["stance_extra_gold"]["model"]
            lines.append(f"- (c) the extra labelled texts, each left out in turn (trained on the corpus and the others): "
                         f"macro-F1 {extra['macro_f1']:.3f}; " + ", ".join(
                             f"{c} F1 {extra['per_class'][c]['f1']:.3f}" for c in ("pro", "con", "neutral")))
        if "stance_extra_gold_unseen" in metrics:
            lines.append("- each extra set scored by a model trained without it: " + ", ".join(
                f"`{name}` {m['macro_f1']:.3f}" for name, m in metrics["stance_extra_gold_unseen"]["sets"].items()))
        if "stance_all_documents" in metrics:
            lines.append(f"- every labelled document left out in turn, pooled: macro-F1 "
                         f"{metrics['stance_all_documents']['macro_f1']:.3f}")
        if "held_out_topics" in metrics:
            held = metrics["held_out_topics"]
            lines += ["", "Held-out topics of the public sets (every item a pro or con argument; the model trained on",
                      "the whole corpus and the train-split topics only). Macro-F1 over pro and con, a prediction",
                      "of neutral counted as wrong:", ""]
            for name, h in held["sets"].items():
                lines.append(f"- {name} ({h['n']} arguments): macro-F1 {h['macro_f1']:.3f}, pro-vs-con accuracy "
                             f"{h['pro_con_accuracy']:.3f}, called neutral {h['neutral_share']:.1%}")
            lines += [f"- (b) mean over {', '.join(HELD_OUT_SETS)}: macro-F1 {held['macro_f1']:.3f}, "
                      f"called neutral {held['neutral_share']:.1%}",
                      f"- objective, mean of (a) and (b): {held['objective']:.3f}"]
        lines += ["", f"Attribution accuracy {metrics['attribution']['accuracy']:.3f}."]
    else:
        lines.append("- none yet: `argmine evaluate` with the same data and `--metrics` writes them "
                     "(`make evaluate` for the bundled model)")
    lines += ["", "## Limits", "",
              "Trained on the few labelled documents listed above (and, if listed, crowd and debate arguments",
              "on other topics); on texts unlike them, expect figures nearer (c) than (a). The topic only",
              "masks its own words: stance is read from how the sentence evaluates what it talks about, so a",
              "sentence that argues for the topic without naming or evaluating it is often called neutral.",
              "The macro-F1 is below the project's 0.70 target: treat single decisions with care, totals",
              "with less. What policy prose calls neutral (description) differs from a one-line argument:",
              "the share of public arguments called neutral is above."]
    return "\n".join(lines) + "\n"

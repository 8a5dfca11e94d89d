"""Training data for the stance model, and training itself (``argmine train``).

Sources: the gold labels of the corpus (``corpus/annotations/claims.jsonl``, aligned to the
segments by ``sent_id`` and text) and, optionally, public argument data sets under
``shared/data/external`` (IBM Claim Stance, PERSPECTRUM), each example with its own topic. The
external sets have no neutral class; they only add pro and con examples on other topics.
"""

from __future__ import annotations

import csv
import hashlib
import json
import platform
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import spacy
from spacy.language import Language

from . import __version__
from .features import Features, sentence_features
from .io import ArgmineError, read_jsonl
from .nlp import ParseCache, model_tag
from .stance import StanceModel

EXTERNAL_SETS = ("claim_stance", "perspectrum")
EXTERNAL_LICENCES = {
    "claim_stance": "IBM Debater Claim Stance (2017), CC-BY-SA 3.0",
    "perspectrum": "PERSPECTRUM (CogComp, 2019), CC BY-SA 4.0",
}
EXTERNAL_WEIGHT = 0.3  # an external example counts for less than a gold sentence of the corpus


@dataclass
class Example:
    group: str          # doc_id for corpus sentences, the data set name for external ones
    topic: str
    label: str
    features: Features
    text: str


def load_gold(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise ArgmineError(f"{path}: gold file not found")
    return list(read_jsonl(path, validate=False))


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
    aligned, misaligned = [], 0
    for record in gold:
        seg = segments.get(record["sent_id"])
        if seg is None or seg["text"] != record["text"]:
            misaligned += 1
            continue
        if seg["doc_id"] not in docs:
            docs[seg["doc_id"]] = cache.load(texts[seg["doc_id"]])
        span = docs[seg["doc_id"]].char_span(seg["start"], seg["end"], alignment_mode="expand")
        aligned.append(GoldSentence(record, seg, span))
    if misaligned:
        warn(f"{misaligned} gold records do not match a segment (sent_id and text) and were left out")
    return aligned


def corpus_examples(aligned: list[GoldSentence], topic: str) -> list[Example]:
    """Training examples from aligned gold sentences, grouped by their document."""
    return [Example(g.segment["doc_id"], topic, g.record["stance"], sentence_features(g.span, topic), g.segment["text"])
            for g in aligned]


def _external_rows(root: Path, name: str, limit: int) -> list[tuple[str, str, str]]:
    """(text, topic, label) rows of one external set, a fixed sample of at most ``limit``."""
    rows: list[tuple[str, str, str]] = []
    if name == "claim_stance":
        # The claim's sentiment toward its own target, not its stance on the debate motion: that
        # is what a sentence's stance toward a topic is when the topic is what it talks about.
        with (root / "ibm_claim_stance" / "claim_stance_clean.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                label = {"1": "pro", "-1": "con"}.get(row["claims.claimSentiment"])
                if label and row["claims.claimTarget.text"]:
                    rows.append((row["claims.claimCorrectedText"], row["claims.claimTarget.text"], label))
    elif name == "perspectrum":
        folder = root / "perspectrum"
        pool = {p["pId"]: p["text"] for p in json.loads((folder / "perspective_pool_v1.0.json").read_text("utf-8"))}
        for claim in json.loads((folder / "perspectrum_with_answers_v1.0.json").read_text("utf-8")):
            for cluster in claim["perspectives"]:
                label = {"SUPPORT": "pro", "UNDERMINE": "con"}.get(cluster["stance_label_3"])
                if label and cluster["pids"]:
                    rows.append((pool[cluster["pids"][0]], claim["text"], label))
    else:
        raise ArgmineError(f"unknown external data set '{name}' (choose from {', '.join(EXTERNAL_SETS)})")
    rows.sort()
    random.Random(0).shuffle(rows)
    return rows[:limit]


def external_examples(root: Path, names: list[str], nlp: Language, limit: int = 2000) -> list[Example]:
    examples = []
    for name in names:
        rows = _external_rows(root, name, limit)
        for (text, topic, label), doc in zip(rows, nlp.pipe([r[0] for r in rows], batch_size=64)):
            examples.append(Example(name, topic, label, sentence_features(doc[:], topic), text))
    return examples


def fit(examples: list[Example], *, C: float = 0.5, calibrate_on: list[Example] | None = None) -> StanceModel:
    """Fit the model; the temperature comes from held-out scores of ``calibrate_on`` groups."""
    weights = np.array([1.0 if e.group not in EXTERNAL_SETS else EXTERNAL_WEIGHT for e in examples])
    model = StanceModel(C=C).fit([e.features for e in examples], [e.label for e in examples], sample_weight=weights)
    held = calibrate_on if calibrate_on is not None else [e for e in examples if e.group not in EXTERNAL_SETS]
    groups = sorted({e.group for e in held})
    if len(groups) >= 2:
        scores, labels = [], []
        for group in groups:
            train = [e for e in examples if e.group != group]
            w = np.array([1.0 if e.group not in EXTERNAL_SETS else EXTERNAL_WEIGHT for e in train])
            fold = StanceModel(C=C).fit([e.features for e in train], [e.label for e in train], sample_weight=w)
            test = [e for e in held if e.group == group]
            fold_scores = fold.decision_function([e.features for e in test])
            # Align columns with the full model's classes before pooling.
            order = [list(fold.classes_).index(c) for c in model.classes_]
            scores.append(fold_scores[:, order])
            labels.extend(e.label for e in test)
        model.calibrate(np.vstack(scores), labels)
    return model


def data_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def model_card(model: StanceModel, *, gold: Path, external: list[str], counts: dict[str, int],
               nlp: Language, hashed: list[Path], metrics: dict[str, Any] | None) -> str:
    lines = [
        f"# Stance model: {model.name}", "",
        "Multinomial logistic regression (scikit-learn) over features read off the spaCy parse:",
        "lemmas with the topic's own words masked, evaluative words with negation and reducers,",
        "reporting frames and their holders, modality, hedges, contrast (the last word), and",
        "markers of neutral text. Probabilities are calibrated by a temperature fitted on",
        "leave-one-document-out scores. Weights: `weights.npz` (NumPy, no pickle); vocabulary and",
        "settings: `config.json`.", "",
        "## Training data", "",
        f"- Gold labels of the bundled corpus: `{gold}` ({counts.get('corpus', 0)} sentences; see corpus/annotations/README.md).",
    ]
    for name in external:
        lines.append(f"- {EXTERNAL_LICENCES[name]}: {counts.get(name, 0)} examples (pro/con only), weight {EXTERNAL_WEIGHT}.")
    if not external:
        lines.append("- No external data: measured not to help (see metrics.json, `external` ablation).")
    lines += ["", f"Hash of the training data (sha256): `{data_hash(hashed)}`", "",
              "## Versions", "", f"- argmine {__version__}, scikit-learn {sklearn.__version__}, spaCy {spacy.__version__},",
              f"  parse model {model_tag(nlp)}, Python {platform.python_version()}", "",
              "## Metrics", "", "Leave-one-document-out on the corpus gold, from `make evaluate` (models/claims/metrics.json):", ""]
    if metrics:
        stance = metrics["stance"]["model"]
        lines.append(f"- macro-F1 {stance['macro_f1']:.3f}; " + ", ".join(
            f"{c} F1 {stance['per_class'][c]['f1']:.3f}" for c in ("pro", "con", "neutral")))
        lines.append(f"- baselines: majority {metrics['stance']['majority']['macro_f1']:.3f}, "
                     f"lexicon {metrics['stance']['lexicon']['macro_f1']:.3f}")
        lines.append(f"- attribution accuracy {metrics['attribution']['accuracy']:.3f}")
        if "stance_with_external" in metrics:
            ext = metrics["stance_with_external"]
            lines.append(f"- with {'+'.join(ext['sets'])} added ({ext['n_external']} examples): "
                         f"macro-F1 {ext['model']['macro_f1']:.3f}, so it is left out")
    else:
        lines.append("- run `make evaluate`")
    lines += ["", "## Limits", "",
              "Trained on 284 sentences of five articles about one topic; expect lower figures on",
              "other topics and genres. The topic only masks its own words: stance is read from how",
              "the sentence evaluates what it talks about. The leave-one-document-out macro-F1 is",
              "below the project's 0.70 target: treat single decisions with care, totals with less."]
    return "\n".join(lines) + "\n"

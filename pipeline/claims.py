"""Stage 3, claims: the stance of every sentence toward a topic, and who holds it.

For each ``sentence`` and ``list_item`` segment: the stance (pro, con, neutral) with calibrated
probabilities, the words that drove it, and the holder of a reported position (``critics``,
``Minister Oduya``, a transcript speaker). ``ClaimAnnotator`` is the same work as a spaCy
component (``nlp.add_pipe("argmine_claims")``) that sets ``Span._.stance``,
``Span._.stance_scores``, ``Span._.cues`` and ``Span._.attributed_to`` on every sentence.
"""

from __future__ import annotations

import json
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import srsly
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span

from .features import Features, default_lexicon, holder_phrase, reporting_frames, sentence_features
from .incremental import RecordCache, StageStamp, file_digest_or_none, per_document
from .io import LABELS, MODEL_CONFIG, ArgmineError, Progress, no_progress, read_jsonl, write_jsonl
from .nlp import ParseCache, load_model as load_spacy, resolve_tag

if TYPE_CHECKING:
    from .stance import Classifier

CLAIM_KINDS = ("sentence", "list_item")
DEFAULT_MODEL_DIR = Path("models/claims")
# The model shipped with the project, beside this package: found when argmine runs from another folder.
# The model shipped with argmine: models/claims of the checkout it runs from (an editable
# install), else the copy a wheel puts inside the package (pyproject.toml maps it there).
_CHECKOUT_MODEL_DIR = Path(__file__).resolve().parents[1] / DEFAULT_MODEL_DIR
_WHEEL_MODEL_DIR = Path(__file__).resolve().parent / "shipped_model"
SHIPPED_MODEL_DIR = _WHEEL_MODEL_DIR if (_WHEEL_MODEL_DIR / MODEL_CONFIG).exists() else _CHECKOUT_MODEL_DIR
LEXICON = "lexicon"
_BASELINE_MARK = "baseline.json"  # what a saved component that uses the baseline writes
_PRONOUNS = {"they", "he", "she", "these", "those"}

for _name in ("stance", "stance_scores", "cues", "attributed_to"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)


def attribution(sent: Span, previous: str | None = None, speaker: str | None = None) -> str | None:
    """Holder of the position the sentence reports, or None for the author's own voice.

    The last reporting frame wins ("Critics warn ...; supporters argue ..." -> supporters);
    "They contend ..." continues the previous sentence's holder; a transcript speaker holds
    every sentence of the turn that names no other holder.
    """
    frames = reporting_frames(sent, default_lexicon())
    if frames:
        verb, subject = frames[-1]
        if subject.lower_ in _PRONOUNS:
            return previous or speaker
        return holder_phrase(subject)
    first = next((t for t in sent if not t.is_space and not t.is_punct), None)
    if previous and first is not None and first.lower_ in _PRONOUNS and first.dep_ in ("nsubj", "nsubjpass"):
        head = first.head
        if head.lemma_ in default_lexicon().reporting_verbs:
            return previous
    return speaker


def attributions(spans: list[Span], speakers: list[str | None] | None = None) -> list[str | None]:
    """Holders of consecutive sentences of one document; a pronoun continues the last named holder."""
    holders: list[str | None] = []
    previous: str | None = None
    for i, span in enumerate(spans):
        speaker = speakers[i] if speakers else None
        holder = attribution(span, previous, speaker)
        previous = holder if holder != speaker else previous
        holders.append(holder)
    return holders


def annotate(spans: list[Span], topic: str, model: Classifier, speakers: list[str | None] | None = None) -> list[dict[str, Any]]:
    """Stance, scores, cues and holder for consecutive sentence spans of one document."""
    features: list[Features] = [sentence_features(span, topic) for span in spans]
    proba = model.predict_proba(features) if spans else []
    results = []
    for i, (span, holder) in enumerate(zip(spans, attributions(spans, speakers))):
        scores = {label: float(p) for label, p in zip(LABELS, proba[i])}
        # Rounded so that the file is byte-identical across machines; re-normalised to sum to 1.
        rounded = {k: round(v, 6) for k, v in scores.items()}
        rounded["neutral"] = round(1.0 - rounded["pro"] - rounded["con"], 6)
        stance = max(LABELS, key=lambda label: rounded[label])
        results.append({"stance": stance, "confidence": rounded[stance], "scores": rounded,
                        "attributed_to": holder, "cues": model.explain(features[i], stance)})
    return results


@Language.factory(
    "argmine_claims",
    default_config={"topic": "security alliances", "model_dir": None},
    requires=["doc.sents", "token.lemma", "token.dep"],
    assigns=["span._.stance", "span._.stance_scores", "span._.cues", "span._.attributed_to"],
)
def make_claim_annotator(nlp: Language, name: str, *, topic: str, model_dir: str | None) -> "ClaimAnnotator":
    return ClaimAnnotator(nlp, name, topic=topic, model_dir=model_dir)


class ClaimAnnotator:
    """Sets stance, scores, cues and holder on every sentence of a doc.

    topic: what the stance is taken toward.
    model_dir: a folder written by ``argmine train``; None, the model the CLI would use (see
    ``stance_model_dir``); ``"lexicon"``, the cue-lexicon baseline.

    The model is loaded on first use, so that a pipeline saved with ``nlp.to_disk`` (or
    ``to_bytes``) loads its own copy of the weights, or its record of using the baseline, wherever
    it is, not ``model_dir`` relative to where it runs.
    """

    def __init__(self, nlp: Language, name: str = "argmine_claims", *, topic: str = "security alliances",
                 model_dir: str | None = None) -> None:
        self.name = name
        self.topic = topic
        self.model_dir = model_dir
        self._model: Classifier | None = None

    @property
    def classifier(self) -> Classifier:
        # Not ``model``: spaCy takes a component's ``model`` for a thinc model and reads it on load.
        if self._model is None:
            if self.model_dir and self.model_dir != LEXICON and not (Path(self.model_dir) / MODEL_CONFIG).exists():
                raise ArgmineError(f"{self.name}: model_dir {self.model_dir!r} holds no stance model (no "
                                   f"{MODEL_CONFIG}; a relative folder is read from {Path.cwd()}); name a folder "
                                   f"written by `argmine train`, leave model_dir out for the shipped model, or "
                                   f"{LEXICON!r} for the baseline")
            chosen = stance_model_dir(Path(self.model_dir) if self.model_dir else None,
                                      warn=lambda message: warnings.warn(message, stacklevel=3))
            self._model = _load_classifier(chosen)
        return self._model

    def __call__(self, doc: Doc) -> Doc:
        sents = [s for s in doc.sents if s.text.strip()]
        for span, result in zip(sents, annotate(sents, self.topic, self.classifier)):
            span._.stance = result["stance"]
            span._.stance_scores = result["scores"]
            span._.cues = result["cues"]
            span._.attributed_to = result["attributed_to"]
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if hasattr(self.classifier, "save"):
            self.classifier.save(path)
        else:  # the baseline has no weights; saying so keeps a loaded copy from looking for a model
            (path / _BASELINE_MARK).write_text(json.dumps({"model_dir": LEXICON}) + "\n", "utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "ClaimAnnotator":
        path = Path(path)
        if (path / MODEL_CONFIG).exists():
            self._model = _load_classifier(path)
        elif (path / _BASELINE_MARK).exists():
            self._model = _load_classifier(None)
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            self.to_disk(tmp)
            return srsly.msgpack_dumps({p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir())})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "ClaimAnnotator":
        with tempfile.TemporaryDirectory() as tmp:
            for name, content in srsly.msgpack_loads(data).items():
                (Path(tmp) / name).write_bytes(content)
            return self.from_disk(tmp)


def _load_classifier(folder: Path | None) -> Classifier:
    # Imported here: spaCy imports this module (a registered component) whenever it loads any
    # pipeline, and scikit-learn would cost every stage's processes a second and 100 MB.
    from .stance import load_model

    return load_model(folder)


def segment_spans(doc: Doc, segments: list[dict[str, Any]]) -> list[Span]:
    """The parsed span of each segment; offsets are exact, so the span covers whole tokens."""
    spans = []
    for seg in segments:
        span = doc.char_span(seg["start"], seg["end"], alignment_mode="expand")
        spans.append(span if span is not None else doc[0:0])
    return spans


def stance_model_dir(path: Path | None, warn: Callable[[str], None] = print) -> Path | None:
    """The stance model folder to use; None means the cue-lexicon baseline.

    ``path`` None: ``./models/claims``, else the model shipped beside this package, else the
    baseline with a warning. ``lexicon`` chooses the baseline. A named folder must hold a model.
    """
    if path is None:
        found = next((d for d in (DEFAULT_MODEL_DIR, SHIPPED_MODEL_DIR) if (d / MODEL_CONFIG).exists()), None)
        if found is None:
            warn(f"no stance model in {DEFAULT_MODEL_DIR} or {SHIPPED_MODEL_DIR}: using the cue-lexicon baseline "
                 "(name one with --stance-model DIR, or train one with `argmine train`)")
        return found
    if str(path) == LEXICON:
        return None
    if not (path / MODEL_CONFIG).exists():
        raise ArgmineError(f"{path}: no stance model here (expected {MODEL_CONFIG}); name a folder written by "
                           f"`argmine train`, or --stance-model {LEXICON} for the cue-lexicon baseline")
    return path


_TOPIC_WORD = re.compile(r"[^\W\d_]{3,}")


def topic_unmentioned(topic: str, texts: Iterable[str]) -> bool:
    """Whether no text names a content word of ``topic`` (its stem: "alliances" as "allian"): a
    likely mistaken --topic, since stance is read toward words the texts never use."""
    stems = {w[:max(4, len(w) - 2)] for w in _TOPIC_WORD.findall(topic.lower()) if w not in STOP_WORDS}
    return bool(stems) and not any(stem in lowered for lowered in map(str.lower, texts) for stem in stems)


def run(out: Path, *, topic: str, model_dir: Path | None, model: str | None = None,
        progress: Progress = no_progress, warn: Callable[[str], None] = print) -> dict[str, Any]:
    """Classify every sentence and list item of ``out`` with the stance model in ``model_dir``
    (None: the cue-lexicon baseline; see ``stance_model_dir``); return counts by stance.

    Nothing is done when the segments, topic, stance model and code are as at the last run;
    otherwise only the documents that changed are classified again.
    """
    model_files = sorted(model_dir.glob("*")) if model_dir is not None else []
    settings = {"model": resolve_tag(model), "topic": topic,  # the model card and figures don't change a label
                "stance_model": [(p.name, file_digest_or_none(p)) for p in model_files
                                 if p.is_file() and p.name not in ("README.md", "metrics.json")]}
    claims_path = out / "claims.jsonl"
    stamp = StageStamp(out, "claims", inputs=[out / "documents.jsonl", out / "sentences.jsonl"],
                       outputs=[claims_path], settings=settings)
    if (last := stamp.fresh()) is not None:
        return {**last["counts"], "up_to_date": True}
    stamp.check_sources()
    if topic_unmentioned(topic, (d["text"] for d in read_jsonl(out / "documents.jsonl"))):
        warn(f"no text in {out} names the topic {topic!r}: stance is read toward it all the same; "
             "check --topic")
    stance_model = _load_classifier(model_dir)
    cache = ParseCache(out, load_spacy(model, parse=False), model=model)

    def classify(document: dict[str, Any], segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        segs = [s for s in segments if s["kind"] in CLAIM_KINDS]
        if not segs:
            return []
        doc = cache.load(document["text"])
        results = annotate(segment_spans(doc, segs), topic, stance_model, [s["speaker"] for s in segs])
        return [{"doc_id": seg["doc_id"], "sent_id": seg["sent_id"], "text": seg["text"], "topic": topic,
                 **result, "model": stance_model.name} for seg, result in zip(segs, results)]

    by_stance: Counter[str] = Counter()

    def counted(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for record in records:
            by_stance[record["stance"]] += 1
            yield record

    records = per_document(out, RecordCache(out, "claims", settings), classify, progress=progress, label="claims")
    counts = {"claims": write_jsonl(claims_path, counted(records)), **{label: by_stance[label] for label in LABELS}}
    stamp.save(counts)
    return counts

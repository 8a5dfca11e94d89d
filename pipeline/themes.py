"""Stage 4, themes: group pro and con claims into recurring themes, seeded and discovered.

``ThemeModel`` first scores each claim against the seed terms of an editable taxonomy (the
claim's text, a list item's lead-in label and its section heading all count), then widens each
seeded theme to claims close to its centroid, then clusters what is left into discovered themes
labelled by class-based TF-IDF (as BERTopic does). Claims that fit nowhere go to ``other``.
Everything is sorted and seeded, so the result does not depend on file order.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from spacy.tokens import Span
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from .entities import group_by_doc
from .io import ArgmineError, read_jsonl, slugify, write_jsonl
from .nlp import ParseCache, load_model as load_spacy

OTHER = "other"
_LABEL_PREFIX = re.compile(r"^([^:.;]{3,80}):\s")
_CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ"}


def default_taxonomy_path() -> Path:
    return Path(str(resources.files("pipeline").joinpath("resources/taxonomy.json")))


@dataclass(frozen=True)
class Theme:
    theme_id: str
    label: str
    seeds: tuple[str, ...]
    description: str = ""


def load_taxonomy(path: Path) -> list[Theme]:
    """Themes from a taxonomy file: ``{"themes": [{"id", "label", "seeds": [...]}, ...]}``."""
    try:
        data = json.loads(path.read_text("utf-8"))
        themes = [Theme(slugify(t.get("id") or t["label"]), t["label"], tuple(s.lower() for s in t["seeds"]),
                        t.get("description", "")) for t in data["themes"]]
    except FileNotFoundError:
        raise ArgmineError(f"{path}: taxonomy file not found") from None
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        raise ArgmineError(f"{path}: not a taxonomy ({err}); expected {{\"themes\": [{{\"label\", \"seeds\"}}]}}") from None
    if len({t.theme_id for t in themes}) != len(themes):
        raise ArgmineError(f"{path}: two themes share an id")
    return themes


@dataclass
class ClaimText:
    """What the theme model sees of one claim."""

    sent_id: str
    doc_id: str
    stance: str
    text: str
    lemmas: str
    section: str = ""
    confidence: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


def _normal(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9&]+", " ", text.lower()).strip() + " "


class ThemeModel:
    """Seeded, then discovered, themes over claims.

    min_score: seed evidence a claim needs to join a seeded theme outright.
    expand_similarity: cosine to a seeded theme's centroid that lets a claim join it without seeds.
    min_cluster: smallest discovered theme; smaller clusters go to ``other``.
    n_keywords / n_representative: per theme.
    """

    def __init__(self, themes: list[Theme], *, min_score: float = 1.0, expand_similarity: float = 0.12,
                 min_cluster: int = 3, n_keywords: int = 8, n_representative: int = 3, random_state: int = 0) -> None:
        self.themes = themes
        self.min_score = min_score
        self.expand_similarity = expand_similarity
        self.min_cluster = min_cluster
        self.n_keywords = n_keywords
        self.n_representative = n_representative
        self.random_state = random_state

    def seed_scores(self, claim: ClaimText) -> np.ndarray:
        """Evidence for each seeded theme: seed terms in the text, the list item's label and the section."""
        text, lemmas = _normal(claim.text), _normal(claim.lemmas)
        label_match = _LABEL_PREFIX.match(claim.text)
        label = _normal(label_match.group(1)) if label_match else ""
        section = _normal(claim.section)
        scores = np.zeros(len(self.themes))
        for k, theme in enumerate(self.themes):
            for seed in theme.seeds:
                needle = _normal(seed)
                weight = 1.0 + 0.5 * (needle.count(" ") - 2)  # phrases are more specific than words
                if needle in text or needle in lemmas:
                    scores[k] += weight
                if label and needle in label:
                    scores[k] += 2.0 * weight
                if section and needle in section:
                    scores[k] += 0.5 * weight
        return scores

    def fit(self, claims: list[ClaimText]) -> "ThemeModel":
        """Assign every claim to one theme; results in ``assignments_`` and ``themes_``."""
        claims = sorted(claims, key=lambda c: c.sent_id)
        self.claims_ = claims
        n_seeded = len(self.themes)
        assignment = np.full(len(claims), -1)
        strength = np.zeros(len(claims))
        if not claims:
            self.assignments_, self.strength_, self.discovered_ = assignment, strength, []
            return self
        scores = np.array([self.seed_scores(c) for c in claims]).reshape(len(claims), n_seeded)
        best = scores.argmax(axis=1) if n_seeded else np.zeros(len(claims), dtype=int)
        seeded = scores.max(axis=1) >= self.min_score if n_seeded else np.zeros(len(claims), bool)
        assignment[seeded] = best[seeded]
        strength[seeded] = scores.max(axis=1)[seeded] / (1.0 + scores.max(axis=1)[seeded])
        vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=1, ngram_range=(1, 1), stop_words="english")
        try:
            X = vectorizer.fit_transform([c.lemmas for c in claims])
        except ValueError:  # nothing but stop words
            X = None
        if X is not None and seeded.any():
            centroids = normalize(np.vstack([np.asarray(X[assignment == k].mean(axis=0)) if (assignment == k).any()
                                             else np.zeros((1, X.shape[1])) for k in range(n_seeded)]))
            sims = np.asarray(X @ centroids.T)
            for i in np.where(assignment < 0)[0]:
                k = int(sims[i].argmax())
                if sims[i, k] >= self.expand_similarity:
                    assignment[i], strength[i] = k, float(sims[i, k]) / 2
        self.discovered_ = self._discover(X, assignment, strength, n_seeded)
        self.assignments_, self.strength_ = assignment, strength
        return self

    def _discover(self, X: Any, assignment: np.ndarray, strength: np.ndarray, offset: int) -> list[str]:
        """Cluster unassigned claims; clusters of at least ``min_cluster`` become new themes."""
        rest = np.where(assignment < 0)[0]
        if X is None or len(rest) < self.min_cluster:
            return []
        n_clusters = max(1, len(rest) // (2 * self.min_cluster))
        km = KMeans(n_clusters=n_clusters, n_init=10, random_state=self.random_state).fit(X[rest])
        sizes = Counter(km.labels_)
        names = []
        for label, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
            if size < self.min_cluster:
                continue
            members = rest[km.labels_ == label]
            assignment[members] = offset + len(names)
            dists = np.linalg.norm(X[members].toarray() - km.cluster_centers_[label], axis=1)
            strength[members] = 1.0 / (1.0 + dists)
            names.append(f"t{len(names) + 1:02d}")
        return names

    def keywords(self, members: list[int], background: list[str]) -> list[str]:
        """Class-based TF-IDF: terms frequent in the theme and rare across all themes."""
        docs = [" ".join(self.claims_[i].lemmas for i in members)] + background
        try:
            counts = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=1).fit(docs)
        except ValueError:
            return []
        matrix = counts.transform(docs).toarray().astype(float)
        tf = matrix[0] / max(matrix[0].sum(), 1.0)
        avg = matrix.sum(axis=1).mean()
        idf = np.log(1.0 + avg / np.maximum(matrix.sum(axis=0), 1.0))
        weights = tf * idf
        terms = counts.get_feature_names_out()
        order = sorted(range(len(terms)), key=lambda j: (-weights[j], terms[j]))
        return [terms[j] for j in order[: self.n_keywords] if weights[j] > 0]

    def records(self) -> list[dict[str, Any]]:
        """``themes.jsonl`` records: seeded themes, discovered themes, then ``other``."""
        ids = [t.theme_id for t in self.themes] + self.discovered_
        labels = [t.label for t in self.themes] + self.discovered_
        groups = {k: [i for i in range(len(self.claims_)) if self.assignments_[i] == k] for k in range(len(ids))}
        groups[-1] = [i for i in range(len(self.claims_)) if self.assignments_[i] < 0]
        theme_docs = {k: " ".join(self.claims_[i].lemmas for i in members) for k, members in groups.items()}
        records = []
        for k in list(range(len(ids))) + [-1]:
            members = groups[k]
            if k == -1 and not members:
                continue
            background = [doc for j, doc in theme_docs.items() if j != k and doc]
            keywords = self.keywords(members, background) if members else []
            theme_id = ids[k] if k >= 0 else OTHER
            label = labels[k] if k >= 0 else "other"
            if k >= len(self.themes) and keywords:
                label = " / ".join(keywords[:3])
            ranked = sorted(members, key=lambda i: (-self.strength_[i] * self.claims_[i].confidence, self.claims_[i].sent_id))
            stance = Counter(self.claims_[i].stance for i in members)
            docs = Counter(self.claims_[i].doc_id for i in members)
            records.append({
                "theme_id": theme_id, "label": label, "seeded": 0 <= k < len(self.themes),
                "keywords": keywords, "members": [self.claims_[i].sent_id for i in members], "size": len(members),
                "stance": {s: stance.get(s, 0) for s in ("pro", "con", "neutral")},
                "documents": dict(sorted(docs.items())),
                "representative": [self.claims_[i].sent_id for i in ranked[: self.n_representative]],
            })
        return records


def claim_lemmas(span: Span | None) -> str:
    """Content-word lemmas of a claim, the words themes are built from."""
    return " ".join(t.lemma_.lower() for t in span if t.pos_ in _CONTENT_POS and not t.is_stop) if span else ""


def claim_texts(out: Path, *, model: str | None = None) -> list[ClaimText]:
    """The pro and con claims of a run, with lemmas from the cached parse and their sections."""
    claims = [c for c in read_jsonl(out / "claims.jsonl") if c["stance"] in ("pro", "con")]
    sections = {s["sent_id"]: s for s in read_jsonl(out / "sentences.jsonl")}
    by_doc = group_by_doc(claims)
    nlp = load_spacy(model)
    cache = ParseCache(out, nlp)
    texts = []
    for document in read_jsonl(out / "documents.jsonl"):
        doc_claims = by_doc.get(document["doc_id"], [])
        if not doc_claims:
            continue
        doc = cache.load(document["text"])
        for claim in doc_claims:
            seg = sections[claim["sent_id"]]
            span = doc.char_span(seg["start"], seg["end"], alignment_mode="expand")
            texts.append(ClaimText(claim["sent_id"], claim["doc_id"], claim["stance"], claim["text"], claim_lemmas(span),
                                   seg["section"] or "", claim["confidence"]))
    return texts


def run(out: Path, *, taxonomy: Path | None = None, model: str | None = None) -> dict[str, int]:
    """Group the claims of ``out`` into themes; return counts."""
    themes = load_taxonomy(taxonomy or default_taxonomy_path())
    fitted = ThemeModel(themes).fit(claim_texts(out, model=model))
    records = fitted.records()
    write_jsonl(out / "themes.jsonl", records)
    other = next((r["size"] for r in records if r["theme_id"] == OTHER), 0)
    return {"themes": sum(1 for r in records if r["size"] and r["theme_id"] != OTHER),
            "claims": len(fitted.claims_), "other": other}

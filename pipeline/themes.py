"""Stage 4, themes: group pro and con claims into recurring themes, seeded and discovered.

``ThemeModel`` scores each claim against the seed terms of an editable taxonomy. A seed counts
more where the annotation guidelines say a claim's theme lives: in a list item's lead-in label,
in a clause's subject (what helps or hurts, not the generic payoff it names), in the main verb's
object, and in the side of a two-sided sentence that has the last word; less in a subordinate
clause, and a little in the section heading and in the sentences just before and after it in
the same paragraph (an argument's theme runs on for a few sentences). Overlapping seeds count
once, the longest winning, so "nuclear deterrence" is nuclear, not also deterrence. A claim
with no seed evidence is clustered with the others like it into discovered themes labelled by
class-based TF-IDF (as BERTopic does), kept only when their members share a term; the rest is
``other``, and if that is more than ``max_other`` of the claims, the ones closest to a theme's
centroid, seeded or discovered, join it.
Everything is sorted and seeded, so the result does not depend on file order.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from spacy.tokens import Span

from .features import default_lexicon
from .incremental import StageStamp
from .io import OTHER, ArgmineError, Progress, count_records, documents_with_segments, no_progress, read_jsonl, slugify, write_jsonl
from .nlp import ParseCache, load_model as load_spacy, resolve_tag

_LABEL_PREFIX = re.compile(r"^([^:.;]{3,80}):\s")
# Hyphenated compounds are one word, so "trade-off" is not "trade" and "burden-sharing" is one term.
_WORD = re.compile(r"[a-z0-9&]+(?:-[a-z0-9&]+)*")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ"}
_SUBJECTS = {"nsubj", "nsubjpass", "csubj"}
_SUBORDINATE = {"advcl", "relcl", "acl"}
_OBJECTS = {"dobj", "attr", "acomp"}
# Verbs that report a view (the claims stage's list): their subject holds the view ("critics
# argue that ..."), it is not its topic.
_REPORTING = default_lexicon().reporting_verbs
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s", "e", "y")
# Where a seed occurs, and how much that says about what the claim is mainly about.
LABEL_WEIGHT = 2.0     # a list item's lead-in label names its subject
SUBJECT_WEIGHT = 2.0   # "spending targets help credibility" is about spending, not credibility
SUBORDINATE_WEIGHT = 0.5  # "when ...", "while ...", "that ..." clauses qualify the main one
OBJECT_WEIGHT = 1.5    # "they improve crisis management through exercises": the main verb's object, not the means
EARLIER_WEIGHT = 0.5   # before the last "; " or "but": the other side, without the last word
SECTION_WEIGHT = 0.5   # the heading above a claim is context, not content
NEIGHBOUR_WEIGHT = 0.5  # so are the sentences beside it in its paragraph

Token = tuple[str, float]  # (stemmed word or lemma forms joined by "|", weight)


def default_taxonomy_path() -> Path:
    return Path(str(resources.files("pipeline").joinpath("resources/taxonomy.json")))


def stem(word: str) -> str:
    """A light suffix stripper, so "exercises", "exercise", "sharing", "share" and "deterred", "deter" meet."""
    word = word.replace("-", "")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiou" else word


def _terms(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in _WORD.findall(text.lower()))


def seed_forms(seed: str) -> tuple[set[tuple[str, ...]], int]:
    """A seed's stemmed words, spelt open and hyphenated ("burden sharing" also matches
    "burden-sharing"), and its number of words, which is how specific it is."""
    words = _WORD.findall(seed.lower().replace("-", " "))
    return {_terms(seed), _terms(" ".join(words)), _terms("-".join(words))} - {()}, len(words)


@dataclass(frozen=True)
class Theme:
    theme_id: str
    label: str
    seeds: tuple[str, ...]
    description: str = ""


def load_taxonomy(path: Path, *, topic: str | None = None, warn: Callable[[str], None] = print) -> list[Theme]:
    """Themes from a taxonomy file: ``{"topics": [...], "themes": [{"id", "label", "seeds": [...]}, ...]}``.

    ``topics`` (optional) are the debates the seeds were written for. Claims toward another
    ``topic`` get no seeded themes, only discovered ones, and a warning says so: one debate's
    seeds file another debate's claims under themes that do not fit them.
    """
    expected = 'expected {"themes": [{"label", "seeds": ["term", ...]}]}'
    try:
        data = json.loads(path.read_text("utf-8"))
        themes = [Theme(slugify(t.get("id") or t["label"]), t["label"], tuple(s.lower() for s in t["seeds"]),
                        t.get("description", "")) for t in data["themes"]]
    except FileNotFoundError:
        raise ArgmineError(f"{path}: taxonomy file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ArgmineError(f"{path}: cannot read the taxonomy ({err})") from None
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        raise ArgmineError(f"{path}: not a taxonomy ({err}); {expected}") from None
    if not all(isinstance(t["seeds"], list) for t in data["themes"]):
        raise ArgmineError(f"{path}: a theme's seeds must be a list of terms; {expected}")
    for theme in themes:
        if not any(any(ch.isalnum() for ch in seed) for seed in theme.seeds):
            raise ArgmineError(f"{path}: theme {theme.theme_id!r} has no seed term (a word or phrase); {expected}")
    ids = [t.theme_id for t in themes]
    if len(set(ids)) != len(ids):
        raise ArgmineError(f"{path}: two themes share an id")
    labels = [t.label.strip().casefold() for t in themes]
    if len(set(labels)) != len(labels) or OTHER in labels:
        raise ArgmineError(f"{path}: each theme needs a label of its own, and not 'other' (the stage's own theme)")
    if OTHER in ids or any(re.fullmatch(r"t\d+", i) for i in ids):
        raise ArgmineError(f"{path}: theme ids 'other' and t01, t02, ... are kept for the stage's own themes")
    topics = data.get("topics") or []
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise ArgmineError(f'{path}: "topics" must be a list of topics, e.g. ["security alliances"]')
    if topic is not None and topics and topic.strip().casefold() not in {t.strip().casefold() for t in topics}:
        warn(f"{path} is written for {', '.join(map(repr, topics))}, not {topic!r}: themes are discovered only. "
             "Add the topic to its \"topics\" list, or pass --taxonomy with seeds for this topic")
        return []
    return themes


def weigh_tokens(span: Span) -> tuple[Token, ...]:
    """The claim's words (word and lemma stems) with the weight of where each stands."""
    label = _LABEL_PREFIX.match(span.text)
    label_end = span.start_char + label.end(1) if label else span.start_char
    cut = max((t.idx for t in span if t.text == ";" or (t.lower_ in ("but", "yet") and t.dep_ == "cc")), default=-1)
    subject: set[int] = set()
    subordinate: set[int] = set()
    main_object: set[int] = set()
    for t in span:
        if t.dep_ in _SUBJECTS and t.pos_ != "PRON" and t.head.lemma_.lower() not in _REPORTING:
            subject.update(x.i for x in t.subtree)
        if t.dep_ in _SUBORDINATE:
            subordinate.update(x.i for x in t.subtree)
        # The main verb: the root, or the reported clause of a reporting root.
        main = t.head.dep_ == "ROOT" and t.head.lemma_.lower() not in _REPORTING or (
            t.head.dep_ == "ccomp" and t.head.head.lemma_.lower() in _REPORTING)
        if t.dep_ in _OBJECTS and main:
            main_object.update(x.i for x in t.subtree)
    by_char = {t.idx: t for t in span}
    tokens = []
    for m in _WORD.finditer(span.text.lower()):
        t = by_char.get(span.start_char + m.start())
        if t is None:  # a word starting inside a token (after an apostrophe, say)
            continue
        if t.idx < label_end:
            weight = LABEL_WEIGHT
        else:
            weight = ((SUBJECT_WEIGHT if t.i in subject else OBJECT_WEIGHT if t.i in main_object else 1.0)
                      * (SUBORDINATE_WEIGHT if t.i in subordinate else 1.0)
                      * (EARLIER_WEIGHT if t.idx < cut else 1.0))
        lemma = t.lemma_.lower() if m.group() == t.lower_ else m.group()
        tokens.append((f"{stem(m.group())}|{stem(lemma)}", weight))
    return tuple(tokens)


def plain_tokens(text: str, *, weight: float = 1.0) -> tuple[Token, ...]:
    """Tokens of a text without a parse: the label and the last-word rules only."""
    label = _LABEL_PREFIX.match(text)
    label_end = label.end(1) if label else 0
    cut = max(text.rfind(";"), text.lower().rfind(" but "))
    return tuple((stem(m.group()), weight * (LABEL_WEIGHT if m.start() < label_end else EARLIER_WEIGHT if m.start() < cut else 1.0))
                 for m in _WORD.finditer(text.lower()))


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
    tokens: tuple[Token, ...] = ()
    neighbours: tuple[str, ...] = ()  # texts of the segments beside it in its paragraph

    def __post_init__(self) -> None:
        if not self.tokens:
            self.tokens = plain_tokens(self.text)

    @classmethod
    def from_span(cls, sent_id: str, doc_id: str, stance: str, text: str, span: Span | None, section: str = "",
                  confidence: float = 1.0, neighbours: tuple[str, ...] = ()) -> "ClaimText":
        return cls(sent_id, doc_id, stance, text, claim_lemmas(span), section, confidence,
                   weigh_tokens(span) if span is not None else (), neighbours)


def paragraph_neighbours(segments: list[dict[str, Any]], text: str) -> dict[str, tuple[str, ...]]:
    """For each sentence or list item of a document, the texts of the ones just before and after
    it in the same paragraph: consecutive segments of one speaker with no blank line between them."""
    body = sorted((s for s in segments if s["kind"] in ("sentence", "list_item")), key=lambda s: s["index"])
    found: dict[str, list[str]] = {}
    for a, b in zip(body, body[1:]):
        same_paragraph = not _BLANK_LINE.search(text[a["end"]:b["start"]])
        if b["index"] == a["index"] + 1 and a.get("speaker") == b.get("speaker") and same_paragraph:
            found.setdefault(a["sent_id"], []).append(b["text"])
            found.setdefault(b["sent_id"], []).append(a["text"])
    return {k: tuple(v) for k, v in found.items()}


Seed = tuple[int, tuple[str, ...], int]  # (number of words, stemmed words, theme index)


@lru_cache(maxsize=8)
def seed_index(themes: tuple[Theme, ...]) -> dict[str, list[tuple[int, Seed]]]:
    """Every spelling of every seed, by its first word, ranked longest first (the longest match wins)."""
    seeds = {(n_words, form, k) for k, t in enumerate(themes) for forms, n_words in map(seed_forms, t.seeds)
             for form in forms}
    index: dict[str, list[tuple[int, Seed]]] = {}
    for rank, seed in enumerate(sorted(seeds, key=lambda s: (-s[0], -len(s[1]), s))):
        index.setdefault(seed[1][0], []).append((rank, seed))
    return index


def match_seeds(tokens: tuple[Token, ...], seeds: dict[str, list[tuple[int, Seed]]], n_themes: int) -> np.ndarray:
    """Evidence per theme: each seed occurrence weighs its specificity times where it stands.

    ``seeds`` maps a first word to (rank, seed) pairs, rank 0 the longest seed: a token matched
    by a longer seed is not matched again by a shorter one.
    """
    scores = np.zeros(n_themes)
    forms = [set(t[0].split("|")) for t in tokens]
    found = sorted((rank, i, seed) for i, here in enumerate(forms) for form in here
                   for rank, seed in seeds.get(form, ())
                   if all(i + j < len(forms) and w in forms[i + j] for j, w in enumerate(seed[1])))
    used = [False] * len(tokens)
    for _, i, (n_words, words, k) in found:
        size = len(words)
        if any(used[i:i + size]):
            continue
        used[i:i + size] = [True] * size
        scores[k] += (1.0 + 0.5 * (n_words - 1)) * max(tokens[i + j][1] for j in range(size))
    return scores


class ThemeModel:
    """Seeded, then discovered, themes over claims.

    min_score: seed evidence a claim needs to join a seeded theme outright.
    min_cluster: smallest discovered theme; smaller or incoherent clusters go to ``other``.
    max_discovered: most clusters tried in discovery, so a large corpus gives a readable list.
    max_other: largest share of claims left in ``other``; beyond it, the claims closest to a
        seeded theme's centroid join it.
    n_keywords / n_representative: per theme.
    """

    def __init__(self, themes: list[Theme], *, min_score: float = 0.5,
                 min_cluster: int = 3, max_discovered: int = 30, max_other: float = 0.15, n_keywords: int = 8, n_representative: int = 3,
                 random_state: int = 0) -> None:
        self.themes = themes
        self.min_score = min_score
        self.min_cluster = min_cluster
        self.max_discovered = max_discovered
        self.max_other = max_other
        self.n_keywords = n_keywords
        self.n_representative = n_representative
        self.random_state = random_state

    def seed_scores(self, claim: ClaimText) -> np.ndarray:
        """Evidence for each seeded theme from the claim's words and, weakly, its section heading
        and its paragraph neighbours."""
        index, n = seed_index(tuple(self.themes)), len(self.themes)
        context = [plain_tokens(claim.section, weight=SECTION_WEIGHT)]
        context += [plain_tokens(text, weight=NEIGHBOUR_WEIGHT) for text in claim.neighbours]
        return match_seeds(claim.tokens, index, n) + sum((match_seeds(c, index, n) for c in context), np.zeros(n))

    def fit(self, claims: list[ClaimText]) -> "ThemeModel":
        """Assign every claim to one theme; results in ``assignments_`` and ``discovered_``."""
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
        top = scores.max(axis=1) if n_seeded else np.zeros(len(claims))
        seeded = top >= self.min_score
        assignment[seeded] = best[seeded]
        strength[seeded] = top[seeded] / (1.0 + top[seeded])
        vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=1, ngram_range=(1, 1), stop_words="english")
        try:
            X = vectorizer.fit_transform([c.lemmas for c in claims])
        except ValueError:  # nothing but stop words
            X = None
        self.discovered_ = self._discover(X, assignment, strength, n_seeded)
        if X is not None and (assignment >= 0).any():
            centroids = normalize(np.vstack([np.asarray(X[assignment == k].mean(axis=0)) if (assignment == k).any()
                                             else np.zeros((1, X.shape[1]))
                                             for k in range(n_seeded + len(self.discovered_))]))
            self._cap_other(np.asarray(X @ centroids.T), assignment, strength)
        self.assignments_, self.strength_ = assignment, strength
        return self

    def _discover(self, X: Any, assignment: np.ndarray, strength: np.ndarray, offset: int) -> list[str]:
        """Cluster unassigned claims; a cluster of ``min_cluster`` or more that shares a term is a theme."""
        rest = np.where(assignment < 0)[0]
        if X is None or len(rest) < self.min_cluster:
            return []
        X_rest = X[rest]
        X_rest.sort_indices()
        # No more clusters than distinct claims (KMeans warns of the empty ones otherwise).
        distinct = len({(X_rest.indices[a:b].tobytes(), X_rest.data[a:b].tobytes())
                        for a, b in zip(X_rest.indptr[:-1], X_rest.indptr[1:])})
        n_clusters = max(1, min(self.max_discovered, len(rest) // (2 * self.min_cluster), distinct))
        # Three restarts: as good as ten on the gold, a third of the time on large corpora.
        km = KMeans(n_clusters=n_clusters, n_init=3, random_state=self.random_state).fit(X_rest)
        sizes = Counter(km.labels_)
        names = []
        for label, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
            members = rest[km.labels_ == label]
            shared = Counter(w for i in members for w in set(self.claims_[i].lemmas.split()))
            # A recurring theme needs a recurring term: at least half its members use it.
            if size < self.min_cluster or not shared or max(shared.values()) * 2 < size:
                continue
            assignment[members] = offset + len(names)
            dists = np.linalg.norm(X[members].toarray() - km.cluster_centers_[label], axis=1)
            strength[members] = 1.0 / (1.0 + dists)
            names.append(f"t{len(names) + 1:02d}")
        return names

    def _cap_other(self, sims: np.ndarray, assignment: np.ndarray, strength: np.ndarray) -> None:
        """Move the ``other`` claims closest to a theme, seeded or discovered, into it until ``other``
        is within its cap.

        Only claims that share a term with a theme move: one that resembles no theme stays in
        ``other`` even past the cap (empty themes have all-zero centroids and never attract).
        """
        rest = [i for i in np.where(assignment < 0)[0] if sims[i].max() > 0]
        excess = int((assignment < 0).sum()) - int(self.max_other * len(assignment))
        for i in sorted(rest, key=lambda i: (-sims[i].max(), self.claims_[i].sent_id))[: max(excess, 0)]:
            assignment[i], strength[i] = int(sims[i].argmax()), float(sims[i].max()) / 2

    def keywords(self, theme_docs: list[str]) -> list[list[str]]:
        """Class-based TF-IDF: per theme, terms frequent in it and rare across all themes.

        ``theme_docs`` holds each theme's claims joined into one text; an empty one gets no keywords.
        """
        present = [k for k, doc in enumerate(theme_docs) if doc]
        result: list[list[str]] = [[] for _ in theme_docs]
        try:
            counts = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=1)
            matrix = counts.fit_transform([theme_docs[k] for k in present]).astype(float).tocsr()
        except ValueError:  # nothing but stop words
            return result
        terms = counts.get_feature_names_out()
        idf = np.log(1.0 + matrix.sum(axis=1).mean() / np.maximum(np.asarray(matrix.sum(axis=0)).ravel(), 1.0))
        for row, k in enumerate(present):
            tf = matrix.getrow(row)
            weights = tf.data / max(tf.data.sum(), 1.0) * idf[tf.indices]
            order = sorted(range(len(weights)), key=lambda j: (-weights[j], terms[tf.indices[j]]))
            # "ally ally" (two claims' lemmas run together) is no term.
            ranked = [terms[tf.indices[j]] for j in order if weights[j] > 0 and _distinct_words(terms[tf.indices[j]])]
            result[k] = ranked[: self.n_keywords]
        return result

    def records(self) -> list[dict[str, Any]]:
        """``themes.jsonl`` records: seeded themes, discovered themes, then ``other``."""
        ids = [t.theme_id for t in self.themes] + self.discovered_
        labels = [t.label for t in self.themes] + self.discovered_
        groups: dict[int, list[int]] = {k: [] for k in [*range(len(ids)), -1]}
        for i, k in enumerate(self.assignments_):
            groups[max(int(k), -1)].append(i)
        order = list(range(len(ids))) + [-1]
        all_keywords = dict(zip(order, self.keywords([" ".join(self.claims_[i].lemmas for i in groups[k])
                                                      for k in order])))
        records = []
        for k in order:
            members = groups[k]
            if k == -1 and not members:
                continue
            keywords = all_keywords[k]
            theme_id = ids[k] if k >= 0 else OTHER
            label = labels[k] if k >= 0 else OTHER
            if k >= len(self.themes) and keywords:
                label = discovered_label(keywords)
            ranked = sorted(members, key=lambda i: (-self.strength_[i] * self.claims_[i].confidence, self.claims_[i].sent_id))
            stance = Counter(self.claims_[i].stance for i in members)
            docs = Counter(self.claims_[i].doc_id for i in members)
            records.append({
                "theme_id": theme_id, "label": label,
                "description": self.themes[k].description if 0 <= k < len(self.themes) else "",
                "seeded": 0 <= k < len(self.themes),
                "keywords": keywords, "members": [self.claims_[i].sent_id for i in members], "size": len(members),
                "stance": {s: stance.get(s, 0) for s in ("pro", "con", "neutral")},
                "documents": dict(sorted(docs.items())),
                "representative": [self.claims_[i].sent_id for i in ranked[: self.n_representative]],
            })
        return records


def _distinct_words(term: str) -> bool:
    words = term.split()
    return len(set(words)) == len(words)


def discovered_label(keywords: list[str], size: int = 3) -> str:
    """A discovered theme's name: its first keywords, each sharing no word with those before it,
    so that "baltic", "nordic baltic", "nordic" make "baltic / nordic", not the same word three times."""
    chosen: list[str] = []
    for term in keywords:
        if not set(term.split()) & {w for c in chosen for w in c.split()}:
            chosen.append(term)
        if len(chosen) == size:
            break
    return " / ".join(chosen)


def claim_lemmas(span: Span | None) -> str:
    """Content-word lemmas of a claim, the words themes are built from. Reporting verbs ("argue",
    "warn") say who holds a view, not what it is about, so they are left out."""
    return " ".join(t.lemma_.lower() for t in span if t.pos_ in _CONTENT_POS and not t.is_stop
                    and not (t.pos_ == "VERB" and t.lemma_.lower() in _REPORTING)) if span else ""


def claim_texts(out: Path, *, model: str | None = None,
                progress: Progress = no_progress) -> tuple[list[ClaimText], set[str]]:
    """The pro and con claims of a run, with lemmas from the cached parse, their sections and
    paragraph neighbours, and the topics the claims were classified toward."""
    claims: dict[str, list[dict[str, Any]]] = {}
    topics = set()
    for claim in read_jsonl(out / "claims.jsonl"):
        topics.add(claim["topic"])
        if claim["stance"] in ("pro", "con"):
            claims.setdefault(claim["doc_id"], []).append(claim)
    cache = ParseCache(out, load_spacy(model, parse=False), model=model)
    texts = []
    for document, segments in progress(documents_with_segments(out), length=count_records(out / "documents.jsonl"),
                                       label="themes"):
        doc_claims = claims.get(document["doc_id"], [])
        if not doc_claims:
            continue
        doc = cache.load(document["text"])
        by_id = {s["sent_id"]: s for s in segments}
        neighbours = paragraph_neighbours(segments, document["text"])
        for claim in doc_claims:
            seg = by_id.get(claim["sent_id"])
            if seg is None:
                raise ArgmineError(f"{out / 'claims.jsonl'}: claim {claim['sent_id']} is not a segment of "
                                   "sentences.jsonl; run `argmine claims` again")
            span = doc.char_span(seg["start"], seg["end"], alignment_mode="expand")
            texts.append(ClaimText.from_span(claim["sent_id"], claim["doc_id"], claim["stance"], claim["text"], span,
                                             seg["section"] or "", claim["confidence"],
                                             neighbours.get(claim["sent_id"], ())))
    return texts, topics


def run(out: Path, *, taxonomy: Path | None = None, model: str | None = None,
        progress: Progress = no_progress, warn: Callable[[str], None] = print) -> dict[str, Any]:
    """Group the claims of ``out`` into themes; return counts.

    Nothing is done when the claims, segments, taxonomy and code are as at the last run.
    """
    taxonomy = taxonomy or default_taxonomy_path()
    stamp = StageStamp(out, "themes", inputs=[out / "documents.jsonl", out / "sentences.jsonl", out / "claims.jsonl",
                                              taxonomy],
                       outputs=[out / "themes.jsonl"], settings={"model": resolve_tag(model)})
    if (last := stamp.fresh()) is not None:
        return {**last["counts"], "up_to_date": True}
    stamp.check_sources()
    claims, topics = claim_texts(out, model=model, progress=progress)
    # One run has one topic; a file that mixes them is checked against the first, sorted.
    themes = load_taxonomy(taxonomy, topic=min(topics) if topics else None, warn=warn)
    fitted = ThemeModel(themes).fit(claims)
    records = fitted.records()
    write_jsonl(out / "themes.jsonl", records)
    other = next((r["size"] for r in records if r["theme_id"] == OTHER), 0)
    counts = {"themes": sum(1 for r in records if r["size"] and r["theme_id"] != OTHER),
              "claims": len(fitted.claims_), "other": other}
    stamp.save(counts)
    return counts

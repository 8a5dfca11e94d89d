"""Features of one sentence for stance, read off the spaCy parse: nothing here parses again.

Every feature carries the words that produced it, so a decision can be explained in the
sentence's own words. The features are built to carry across topics: words that name the topic
are masked as ``<topic>``, and the rest are evaluative words with their negation, the reporting
frame and its holder, modality and hedges, contrast ("the last word"), what the main predicate
does (its polarity, whether the topic is its subject, whether it prescribes), and signs of a
neutral sentence (definitions, history, examples, questions, debates named but not taken).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import islice

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Span, Token

TOPIC = "<topic>"
_CONTENT_POS = {"NOUN", "VERB", "ADJ", "ADV", "PROPN"}
_SUBJECTS = {"nsubj", "nsubjpass"}
# Pronouns that, as subject of a text's sentence, usually stand for what the text is about.
_TOPIC_PRONOUNS = {"they", "it", "this", "these"}
_PRESCRIPTIVE = {"must", "should", "need", "ought"}
# Dependents of the main verb that carry what it says: "X *weakens* Y", "X is *costly*".
_PREDICATE_DEPS = {"dobj", "acomp", "attr", "xcomp", "ccomp", "conj", "advcl"}
_NEGATIVE_REPORTING = {"warn", "fear", "worry", "caution", "complain", "criticize", "criticise", "question", "doubt",
                       "accuse", "charge"}
# "Critics *overlook* ...", "The critique *ignores* ...": a criticism rebutted argues for the topic.
_REBUTTING = {"miss", "ignore", "overlook", "neglect", "overstate", "exaggerate", "underestimate", "misread",
              "misunderstand", "misjudge"}
_CRITIQUES = {"argument", "critique", "criticism", "claim", "charge", "objection", "complaint", "view", "notion"}
# Dependents that a negation of their head covers: "does *not* improve *outcomes*".
_NEGATED_BY_HEAD = {"acomp", "dobj", "attr", "xcomp"}


@dataclass(frozen=True)
class Lexicon:
    positive: frozenset[str]
    negative: frozenset[str]
    reducers: frozenset[str]
    negators: frozenset[str]
    contrast: frozenset[str]
    modals: frozenset[str]
    hedges: frozenset[str]
    reporting_verbs: frozenset[str]
    holders_con: frozenset[str]
    holders_pro: frozenset[str]
    holder_nouns: frozenset[str]
    descriptive_verbs: frozenset[str]

    @classmethod
    def from_dict(cls, data: dict) -> "Lexicon":
        return cls(**{name: frozenset(data[name]) for name in cls.__dataclass_fields__})


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    text = resources.files("pipeline").joinpath("resources/lexicon.json").read_text("utf-8")
    return Lexicon.from_dict(json.loads(text))


@lru_cache(maxsize=4096)
def topic_lemmas(topic: str) -> frozenset[str]:
    """Content words of the topic, lowercased, with the singular of plurals, for masking.

    Function words are never masked, so that a motion ("We should not expand NATO") masks its
    subject and not the modals and negations that every argument uses.
    """
    words = {w.strip(".,;:()\"'").lower() for w in topic.split()} - STOP_WORDS
    return frozenset(w for w in words | {_singular(w) for w in words} if len(w) > 2)


def _singular(word: str) -> str:
    """The singular of a regular English plural: policies, taxes, churches, alliances."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


@dataclass
class Features:
    """Feature values and, for each, the sentence's words that produced it."""

    values: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, words: str | None = None, value: float = 1.0) -> None:
        self.values[name] = self.values.get(name, 0.0) + value
        if words:
            self.evidence.setdefault(name, [])
            if words not in self.evidence[name]:
                self.evidence[name].append(words)


def _lemma(token: Token) -> str:
    return token.lemma_.lower() if token.lemma_ else token.lower_


def _negated_heads(sent: Span) -> frozenset[int]:
    """Indices of the tokens with a "neg" child, found once for all words of ``sent`` and their heads.

    ``Token.children`` walks the token's whole subtree: asked of every word's head, it is
    quadratic on a very long sentence. The heads' subtrees hold the words' and heads' children.
    """
    heads = [t.head for t in sent]
    lo, hi = min(h.left_edge.i for h in heads), max(h.right_edge.i for h in heads)
    return frozenset(t.head.i for t in sent.doc[lo:hi + 1] if t.dep_ == "neg" and t.head.i != t.i)


def _is_negated(token: Token, lex: Lexicon, negated: frozenset[int]) -> bool:
    """Whether ``token`` is negated; ``negated`` is ``_negated_heads`` of its sentence."""
    if token.i in negated or token.dep_ in _NEGATED_BY_HEAD and token.head.i in negated:
        return True
    # A negator among the three words before, within the sentence: walked back word by word,
    # since ``token.sent`` scans the whole sentence for its bounds.
    doc, start = token.doc, token.i
    while start > max(token.i - 3, 0) and not doc[start].is_sent_start:
        start -= 1
    return any(_lemma(t) in lex.negators for t in doc[start:token.i])


def _reduced(token: Token, lex: Lexicon) -> Token | None:
    """The reducer verb that acts on ``token`` ("reduce the *risk*"), if any."""
    for ancestor in islice(token.ancestors, 3):  # not list(): a long chain of conjuncts is deep
        if ancestor.pos_ in ("VERB", "NOUN") and _lemma(ancestor) in lex.reducers:
            return ancestor
    return None


def _polarity(token: Token, lex: Lexicon, negated: frozenset[int]) -> tuple[int, str]:
    """+1, -1 or 0 for an evaluative word after negation and reducers, with the words behind it."""
    lemma = _lemma(token)
    polarity = 1 if lemma in lex.positive else -1 if lemma in lex.negative else 0
    words = token.text
    if polarity and _is_negated(token, lex, negated):
        polarity, words = -polarity, f"not {token.text}"
    if polarity < 0 and (reducer := _reduced(token, lex)) is not None:
        polarity, words = 1, f"{reducer.text} {token.text}"
    return polarity, words


def _predicate_features(sent: Span, is_topic: Callable[[Token], bool], lex: Lexicon, negated: frozenset[int],
                        feats: Features) -> None:
    """What the main verb does: its polarity, whether the topic is its subject, whether it prescribes.

    "Alliances *strengthen* deterrence" (topic subject, positive predicate), "Commitments *should
    be capped*" (prescription, negative), "Alliances *are arrangements* among states" (definition).
    """
    root = next((t for t in sent if t.dep_ == "ROOT"), None)
    if root is None:
        return
    core = [root] + [c for c in root.children if c.dep_ in _PREDICATE_DEPS]
    total = sum(_polarity(t, lex, negated)[0] for t in core if not is_topic(t))
    direction = "pos" if total > 0 else "neg" if total < 0 else "none"
    feats.add(f"pred_{direction}", root.text)
    subjects = [c for c in root.children if c.dep_ in _SUBJECTS]
    if any(s.lower_ in _TOPIC_PRONOUNS or any(is_topic(t) for t in s.subtree) for s in subjects):
        feats.add(f"topic_subject_pred_{direction}", root.text)
    prescribes = _lemma(root) in {"need", "require"} or any(
        c.dep_ == "aux" and _lemma(c) in _PRESCRIPTIVE for c in root.children)
    if prescribes:
        feats.add(f"prescribe_{direction}", root.text)
    if _lemma(root) == "be" and total == 0 and any(c.dep_ == "attr" for c in root.children):
        feats.add("definition", root.text)
    if _lemma(root) in lex.descriptive_verbs:
        feats.add("descriptive", root.text)


def holder_phrase(subject: Token) -> str:
    """Shortest form of a position holder: quantifier or article plus noun, no modifiers."""
    if subject.ent_type_ in ("PERSON", "ORG", "GPE", "NORP") or subject.pos_ == "PROPN":
        parts = [t for t in subject.subtree if t.i <= subject.i and t.dep_ in ("compound", "det", "poss") or t.i == subject.i]
        words = [t.text for t in parts if t.dep_ != "det"] or [subject.text]
        return " ".join(words)
    words = [t.lower_ for t in subject.children if t.dep_ in ("det", "predet", "amod") and t.i < subject.i
             and t.lower_ in {"some", "many", "most", "several", "other", "the", "few", "certain"}]
    return " ".join(words + [subject.lower_])


def reporting_frames(sent: Span, lex: Lexicon) -> list[tuple[Token, Token]]:
    """(verb, subject) pairs where a holder reports a position, in sentence order.

    "Critics warn that ...", "Supporters of X argue ...", "Others fear ...", "According to critics, ...".
    """
    frames = []
    for token in sent:
        if token.pos_ == "VERB" and _lemma(token) in lex.reporting_verbs:
            for child in token.children:
                if child.dep_ in _SUBJECTS and _is_holder(child, lex):
                    frames.append((token, child))
        if token.lower_ == "according" and token.i + 2 < sent.end and token.nbor().lower_ == "to":
            for child in token.nbor().children:
                if child.dep_ == "pobj" and _is_holder(child, lex):
                    frames.append((token, child))
    return frames


def _is_holder(token: Token, lex: Lexicon) -> bool:
    lemma = _lemma(token)
    if token.pos_ == "PRON":
        return token.lower_ in {"others", "some", "many"}
    return (lemma in lex.holder_nouns or token.ent_type_ in ("PERSON", "NORP")
            or (token.tag_ in ("NNS",) and lemma.endswith(("ist", "ian"))))


def sentence_features(sent: Span, topic: str, lex: Lexicon | None = None) -> Features:
    """All stance features of one sentence span (a segment of the parsed document)."""
    lex = lex or default_lexicon()
    masked = topic_lemmas(topic)
    feats = Features()
    tokens = [t for t in sent if not t.is_space]
    if not tokens:
        return feats
    # The last contrast marker splits the sentence: what follows it has the last word.
    contrast_at = max((t.i for t in tokens if t.lower_ in lex.contrast and t.i > sent.start), default=None)
    if tokens[0].lower_ in {"while", "although", "though", "whereas", "despite"}:
        clause_end = next((t.i for t in tokens if t.text == "," ), None)
        contrast_at = clause_end if clause_end is not None and contrast_at is None else contrast_at

    def is_topic(token: Token) -> bool:
        return (_lemma(token) in masked or token.lower_ in masked
                or token.ent_type_ in ("ALLIANCE", "TREATY", "TREATY_ARTICLE"))

    negated = _negated_heads(sent)
    mentions_topic = False
    for token in tokens:
        lemma = _lemma(token)
        if token.is_punct or token.is_stop and lemma not in lex.negators | lex.modals | lex.hedges:
            continue
        topical = is_topic(token)
        mentions_topic = mentions_topic or topical
        if token.pos_ in _CONTENT_POS:
            feats.add(f"w={TOPIC if topical else lemma}", token.text, 1.0)
        polarity, words = (0, "") if topical else _polarity(token, lex, negated)
        if polarity:
            side = "late" if contrast_at is not None and token.i > contrast_at else "early" if contrast_at is not None else "all"
            name = "pos" if polarity > 0 else "neg"
            feats.add(f"pol_{name}", words)
            feats.add(f"pol_{name}_{side}", words)
        if lemma in lex.modals or token.tag_ == "MD" and lemma in {"must", "should"}:
            feats.add("modal", token.text)
        elif lemma in lex.hedges:
            feats.add("hedge", token.text)
        if token.tag_ in ("VBD",) and token.dep_ == "ROOT":
            feats.add("past_root", token.text)
        if token.ent_type_ == "DATE" and any(ch.isdigit() for ch in token.text):
            feats.add("date", token.text)
        if lemma in _REBUTTING and any(c.dep_ in _SUBJECTS and (_lemma(c) in lex.holders_con or _lemma(c) in _CRITIQUES)
                                       for c in token.children):
            feats.add("rebuts_critics", token.text)
    sides = []
    for verb, subject in reporting_frames(sent, lex):
        holder = _lemma(subject)
        kind = "con" if holder in lex.holders_con else "pro" if holder in lex.holders_pro else "other"
        feats.add(f"frame_{kind}", f"{subject.text} {verb.text}")
        negative_verb = _lemma(verb) in _NEGATIVE_REPORTING
        if negative_verb:
            feats.add("frame_verb_neg", f"{subject.text} {verb.text}")
        sides.append(("con" if kind == "con" or negative_verb else kind, f"{subject.text} {verb.text}"))
    # Both sides reported in one sentence: the last one has the last word (ANNOTATION.md).
    if len({side for side, _ in sides} - {"other"}) == 2 and sides[-1][0] != "other":
        feats.add(f"last_word_{sides[-1][0]}", sides[-1][1])
    text = sent.text.lower()
    if sent.text.rstrip().endswith("?"):
        feats.add("question", "?")
    for marker in ("whether", "for example", "for instance", "such as", "include", "debate", "discussion", "history", "founded", "originally"):
        if marker in text:
            feats.add(f"marker={marker}", marker)
    _predicate_features(sent, is_topic, lex, negated, feats)
    if any(t.tag_ in ("JJR", "JJS", "RBR", "RBS") for t in tokens):
        feats.add("comparative", " ".join(t.text for t in tokens if t.tag_ in ("JJR", "JJS", "RBR", "RBS")))
    feats.add("topic_mentioned" if mentions_topic else "topic_absent", None)
    feats.add("bias", None)
    n_pos, n_neg = feats.values.get("pol_pos", 0.0), feats.values.get("pol_neg", 0.0)
    feats.add("pol_balance", None, (n_pos - n_neg) / (1.0 + n_pos + n_neg))
    feats.add("evaluative" if n_pos + n_neg else "not_evaluative", None)
    return feats

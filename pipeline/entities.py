"""Stage 2, entities: alliances, treaties, treaty articles and places, with canonical ids.

``EntityTagger`` is a spaCy component (``nlp.add_pipe("argmine_entities")``) that runs after
the statistical NER: a SpanRuler with the project's pattern file adds ALLIANCE, TREATY and
TREATY_ARTICLE mentions, and every entity gets a canonical id in ``ent.id_``, shared by all
names of one real-world thing. The stage reads the cached parse of each document and writes
``entities.jsonl``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.pipeline import SpanRuler
from spacy.pipeline.span_ruler import prioritize_existing_ents_filter, prioritize_new_ents_filter
from spacy.tokens import Doc, Span

from .incremental import RecordCache, StageStamp, per_document
from .io import Progress, no_progress, slugify, write_jsonl
from .nlp import ParseCache, load_model, resolve_tag
from .segment import BULLET, MD_HEADING, is_heading_line

PROJECT_LABELS = ("ALLIANCE", "TREATY", "TREATY_ARTICLE")
# spaCy labels worth a record; numbers, dates and amounts are left to spaCy.
NER_LABELS = ("GPE", "LOC", "NORP", "ORG", "PERSON", "FAC", "EVENT", "LAW")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def roman_to_int(numeral: str) -> int:
    values = [_ROMAN[ch] for ch in numeral.upper()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _resource(name: str) -> str:
    return resources.files("pipeline").joinpath(f"resources/{name}").read_text("utf-8")


def default_patterns() -> list[dict[str, Any]]:
    return [json.loads(line) for line in _resource("entity_patterns.jsonl").splitlines() if line.strip()]


def default_aliases() -> dict[str, list[str]]:
    return {k: v for k, v in json.loads(_resource("aliases.json")).items() if not k.startswith("_")}


def _alias_key(text: str) -> str:
    return re.sub(r"^the\s+", "", text.strip(), flags=re.I).lower()


@Language.factory(
    "argmine_entities",
    default_config={"article_owner": "nato", "overwrite_ents": True},
    requires=["doc.ents", "doc.sents"],
    assigns=["doc.ents"],
)
def make_entity_tagger(nlp: Language, name: str, *, article_owner: str, overwrite_ents: bool) -> "EntityTagger":
    return EntityTagger(nlp, name, article_owner=article_owner, overwrite_ents=overwrite_ents)


class EntityTagger:
    """Adds the project's entity patterns and a canonical id (``ent.id_``) to every entity.

    article_owner: the treaty an article belongs to when its sentence names no other
        ("Article 5" alone is the North Atlantic Treaty's).
    overwrite_ents: project patterns win over overlapping NER entities (else the NER's win).
    """

    def __init__(self, nlp: Language, name: str = "argmine_entities", *, article_owner: str = "nato",
                 overwrite_ents: bool = True) -> None:
        self.name = name
        self.nlp = nlp
        self.article_owner = article_owner
        self.ruler = SpanRuler(nlp, name=f"{name}_ruler", spans_key=None, annotate_ents=True,
                               ents_filter=prioritize_new_ents_filter if overwrite_ents
                               else prioritize_existing_ents_filter,
                               overwrite=False, phrase_matcher_attr="ORTH")
        self.aliases: dict[str, str] = {}
        self._pattern_ids: dict[str, str] = {}
        self.add_patterns(default_patterns())
        self.add_aliases(default_aliases())

    def add_patterns(self, patterns: Iterable[dict[str, Any]]) -> None:
        # Phrase patterns match on ORTH and need only the tokenizer. The ruler is not itself in the
        # pipeline, so it cannot tell which components to skip, and a pipeline being loaded has no
        # weights in them yet: switch them all off.
        with self.nlp.select_pipes(disable=self.nlp.pipe_names):
            self.ruler.add_patterns(list(patterns))
        self._index_patterns()

    def _index_patterns(self) -> None:
        # A pattern's name found by the NER instead (overwrite_ents off, or another casing of
        # it) still gets the pattern's id: one id per real-world thing.
        self._pattern_ids = {_alias_key(p["pattern"]): p["id"] for p in self.ruler.patterns
                             if isinstance(p["pattern"], str) and p.get("id") not in (None, "", "article")}

    def add_aliases(self, aliases: dict[str, list[str]]) -> None:
        for canonical, names in aliases.items():
            for name in names:
                self.aliases[_alias_key(name)] = canonical

    @property
    def patterns(self) -> list[dict[str, Any]]:
        return self.ruler.patterns

    def canonical(self, ent: Span) -> str:
        if ent.label_ in PROJECT_LABELS and ent.id_ and ent.id_ != "article":
            return ent.id_
        if ent.id_ == "article":
            return self._article_id(ent)
        key = _alias_key(ent.text)
        return self.aliases.get(key) or self._pattern_ids.get(key) or slugify(key, fallback="entity")

    def _article_id(self, ent: Span) -> str:
        """``<treaty>-article-<n>``: the treaty named after it or elsewhere in its sentence."""
        numeral = ent[-1].text
        number = int(numeral) if numeral.isdigit() else roman_to_int(numeral)
        owners = [e for e in ent.sent.ents if e.label_ in ("ALLIANCE", "TREATY") and e.id_ not in ("", "article")]
        after = [e for e in owners if e.start >= ent.end]
        owner = (after or owners)[0].id_ if owners else self.article_owner
        owner = {"north-atlantic-treaty": "nato", "anzus-treaty": "anzus"}.get(owner, owner)
        return f"{owner}-article-{number}"

    def _is_title_case_noise(self, ent: Span, text: str) -> bool:
        """A PERSON or ORG in a heading, or a PERSON right behind a bullet, is a mis-tagged common word."""
        if ent.label_ not in ("PERSON", "ORG") or _alias_key(ent.text) in self.aliases:
            return False
        line_start = text.rfind("\n", 0, ent.start_char) + 1
        line_end = text.find("\n", ent.end_char)
        line = text[line_start:line_end if line_end >= 0 else len(text)]
        stripped = line.lstrip()
        bullet = BULLET.match(stripped)
        after_bullet = bullet is not None and ent.start_char == line_start + len(line) - len(stripped) + bullet.end()
        # Markdown and HTML headings reach here as "# ..." lines: headings, whatever their words.
        heading = stripped.strip()
        return bool(MD_HEADING.match(heading)) or is_heading_line(heading) or (ent.label_ == "PERSON" and after_bullet)

    def __call__(self, doc: Doc) -> Doc:
        doc = self.ruler(doc)
        text = doc.text  # built once: Doc.text joins every token
        ents = []
        for ent in doc.ents:
            if "\n" in ent.text or self._is_title_case_noise(ent, text):
                continue
            ents.append(Span(doc, ent.start, ent.end, label=ent.label_, span_id=self.canonical(ent)))
        doc.ents = ents
        return doc

    def _alias_groups(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for alias, canonical in sorted(self.aliases.items()):
            groups.setdefault(canonical, []).append(alias)
        return groups

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.ruler.to_disk(path / "ruler")
        (path / "aliases.json").write_text(json.dumps(self._alias_groups(), indent=1, ensure_ascii=False), "utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "EntityTagger":
        path = Path(path)
        self.ruler.clear()
        self.ruler.from_disk(path / "ruler")
        self._index_patterns()
        self.aliases = {}
        self.add_aliases(json.loads((path / "aliases.json").read_text("utf-8")))
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"ruler": self.ruler.to_bytes(), "aliases": self._alias_groups()})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "EntityTagger":
        saved = srsly.msgpack_loads(data)
        self.ruler.clear()
        self.ruler.from_bytes(saved["ruler"])
        self._index_patterns()
        self.aliases = {}
        self.add_aliases(saved["aliases"])
        return self


def entity_records(doc: Doc, segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per entity inside a segment, in document order."""
    records = []
    seg_iter = iter(segments)
    seg = next(seg_iter, None)
    for ent in doc.ents:
        if ent.label_ not in PROJECT_LABELS and ent.label_ not in NER_LABELS:
            continue
        while seg is not None and seg["end"] <= ent.start_char:
            seg = next(seg_iter, None)
        if seg is None:
            break
        if ent.start_char < seg["start"] or ent.end_char > seg["end"] or seg["kind"] == "boilerplate":
            continue
        records.append({
            "doc_id": seg["doc_id"], "sent_id": seg["sent_id"], "text": ent.text, "label": ent.label_,
            "canonical": ent.id_, "start": ent.start_char, "end": ent.end_char,
            "source": "ruler" if ent.label_ in PROJECT_LABELS else "ner",
        })
    return records


def run(out: Path, *, model: str | None = None, progress: Progress = no_progress) -> dict[str, Any]:
    """Tag entities in every segmented document of ``out``; return counts.

    Nothing is done when the segments and code are as at the last run; otherwise only the
    documents that changed are tagged again.
    """
    settings = {"model": resolve_tag(model)}
    stamp = StageStamp(out, "entities", inputs=[out / "documents.jsonl", out / "sentences.jsonl"],
                       outputs=[out / "entities.jsonl"], settings=settings)
    if (last := stamp.fresh()) is not None:
        return {**last["counts"], "up_to_date": True}
    stamp.check_sources()
    nlp = load_model(model, parse=False)  # the parse is cached; the tagger only matches patterns
    tagger = nlp.add_pipe("argmine_entities")
    cache = ParseCache(out, nlp, model=model)

    def tag(document: dict[str, Any], segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return entity_records(tagger(cache.load(document["text"])), segments)

    records = per_document(out, RecordCache(out, "entities", settings), tag, progress=progress, label="entities")
    counts = {"entities": write_jsonl(out / "entities.jsonl", records)}
    stamp.save(counts)
    return counts

"""Stage 1, segment: read every document, clean scraper debris, split it into segments.

Writes ``documents.jsonl`` (one record per file, with the cleaned text) and ``sentences.jsonl``
(headings, sentences, list items and boilerplate, with exact character offsets into that text,
the section they fall under and the speaker of a transcript turn).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

from .incremental import RecordCache, StageStamp, digest
from .io import ArgmineError, JsonlWriter, Progress, no_progress, slugify
from .nlp import ParseCache, load_model, resolve_tag
from .readers import DEFAULT_MAX_BYTES, InputError, RawDocument, read_document

IGNORE_FILE = ".argmineignore"

_EDIT_SUFFIX = re.compile(r"^(\S.{0,150}?[a-z0-9)\]])Edit$")
_EMPTY_TAILS = {"see also", "references", "external links", "further reading", "notes"}
MD_HEADING = re.compile(r"#{1,6}[ \t]+")
BULLET = re.compile(r"(?:[•◦▪▫●○■□‣⁃∙·*+\-–—]|\(?\d{1,3}[.)])[ \t]+(?=\S)")
_CAPS_SPEAKER = re.compile(
    r"((?:(?:MR|MRS|MS|DR|PROF|SEN|REP|GEN|ADM|AMB|GOV)\.?\s)?[A-Z][A-Z'’\-]+(?:\s[A-Z][A-Z'’\-.]+){0,3}"
    r"(?:\s\([^()\n]{1,40}\))?):[ \t]+(?=\S)"  # a qualifier may follow: "COLONEL BRADY (RET.):", "SEN. COLE (D-OR):"
)
# Mixed case is ordinary prose ("Policy: ..."), so a mixed-case label is a turn only when it is
# a title and one to three capitalised name words ("Dr. Okafor: ", "Vice President Harris: ").
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ](?:[^\W\d_]|['’\-])*"
_TITLED_SPEAKER = re.compile(
    r"((?:(?:Mrs?|Ms|Dr|Prof|Sen|Rep|Gen|Adm)\.?"
    r"|(?:Vice\s)?President|Senator|Representative|Congress(?:man|woman)|Chair(?:man|woman)?|Secretary"
    r"|Minister|Ambassador|General|Admiral|Judge|Justice|Governor|Mayor|Commissioner|Lord|Lady|Sir|Dame"
    r"|Baroness|Baron)"
    rf"(?:\s{_NAME_WORD}\.?){{1,3}}):[ \t]+(?=\S)"
)
# A role with the speaker's titled name in brackets, as debates and hearings write turns
# ("Proposition (Ms Adeyemi): ", "Witness (Dr. Park): ").
_ROLE_SPEAKER = re.compile(
    r"([A-Z][a-z]+(?:\s[A-Z][a-z]+)?\s\((?:Mrs?|Ms|Dr|Prof|Sen|Rep|Sir|Dame|Lord|Lady)\.?"
    rf"(?:\s{_NAME_WORD}){{1,3}}\)):[ \t]+(?=\S)"
)
# The unnamed turns of an interview: a question, an answer.
_UNNAMED_TURN = re.compile(r"[QA]:[ \t]+(?=\S)")
# A label ending in one of these names a part of the text, not a person ("EDITOR'S NOTE: ",
# "General Note: ").
_NOT_SPEAKER_WORDS = {"note", "notes", "warning", "warnings", "update", "updates", "updated", "source",
                      "sources", "correction", "corrections", "disclaimer", "summary", "background"}
# "General", "Justice", "Secretary" also open the names of bodies ("General Assembly:", "Justice
# Department:"): a titled label with one of these words names an organisation, not a person.
_BODY_WORDS = {"assembly", "department", "council", "committee", "office", "ministry", "agency", "court",
               "motors", "electric", "dynamics", "staff", "secretariat", "administration", "command",
               "headquarters", "corporation", "company", "services", "accounting", "debate", "of"}
_HEADING_END_OK = re.compile(r"[\w)\]]$")
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|org|net|io|info|news|co\.uk)\b", re.I)
_CALL_TO_ACTION = re.compile(
    r"\b(visit|explore|subscribe|follow us|sign up|click|read more|check out|head over|go to|"
    r"find out more|stay informed|newsletter|download)\b", re.I)
_FURNITURE = re.compile(
    r"^(advertisement|share( this( article| page)?)?|related (articles|posts|stories)|read more|"
    r"(sign up|subscribe|follow us)\b.*|cookie.*|skip to (main )?content|back to top)$", re.I)
# Wiki-style cross references ("See also NATO and collective security.") are navigation.
_CROSS_REFERENCE = re.compile(r"^See (also )?\S+(\s+\S+){0,14}$")


@dataclass(frozen=True)
class Segment:
    kind: str
    start: int
    end: int
    section: str | None
    speaker: str | None


def discover(corpus: Path, out: Path | None = None) -> list[Path]:
    """Input files under ``corpus`` (or the file itself), sorted, skipping hidden and ignored ones
    and argmine's outputs: the folder ``out`` and any other run's output folder.

    Broken links are kept, so that reading them reports them rather than dropping them unseen.
    """
    if corpus.is_file():
        return [corpus]
    if not corpus.is_dir():
        raise ArgmineError(f"{corpus}: no such file or folder")
    ignore_file = corpus / IGNORE_FILE
    patterns = []
    if ignore_file.exists():
        patterns = [p.strip().rstrip("/") for p in ignore_file.read_text("utf-8", errors="replace").splitlines()
                    if p.strip() and not p.startswith("#")]
    root, out_rel = corpus.resolve(), None
    if out is not None and out.resolve().is_relative_to(root):
        out_rel = out.resolve().relative_to(root)
    outputs: dict[Path, bool] = {}  # sub-folder of corpus -> holds outputs (the corpus itself is never skipped)

    def is_output(folder: Path) -> bool:
        # This run's ``out`` is skipped by name, even before it holds anything; another run's
        # folder by segment's two outputs, which every output folder has and no folder of texts.
        if folder not in outputs:
            outputs[folder] = folder == out_rel or all(
                (corpus / folder / name).is_file() for name in ("documents.jsonl", "sentences.jsonl"))
        return outputs[folder]

    files = []
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus)
        if any(part.startswith(".") for part in rel.parts) or not (path.is_file() or _is_broken_link(path)):
            continue
        if any(fnmatch.fnmatch(str(rel), p) or fnmatch.fnmatch(rel.parts[0], p) for p in patterns):
            continue
        if any(is_output(folder) for folder in rel.parents[:-1]):
            continue
        files.append(path)
    return files


def _is_broken_link(path: Path) -> bool:
    return path.is_symlink() and not path.exists()


def _turn_label(line: str) -> re.Match[str] | None:
    """The label that opens ``line`` as a transcript turn or a note ("MR. KEANE: ", "NOTE: "), or None."""
    turn = _CAPS_SPEAKER.match(line)
    if turn is None:
        # A heading-like line ("President Lincoln: A Life") is a title, not a turn.
        turn = (_TITLED_SPEAKER.match(line) or _ROLE_SPEAKER.match(line)) if not is_heading_line(line) else None
        if turn is None or any(word.lower() in _BODY_WORDS for word in turn.group(1).split()[1:]):
            return None
    return turn


def speaker_turn(line: str) -> re.Match[str] | None:
    """The transcript turn that opens ``line`` ("MR. KEANE: ..."), its label in group 1, or None."""
    turn = _turn_label(line)
    if turn is None:
        return None
    # "EDITOR'S NOTE (UPDATED):" is a note too: the last word before any bracketed qualifier counts.
    last_word = re.sub(r"\s*\(.*\)$", "", turn.group(1)).split()[-1].replace("’", "'").lower()
    return None if last_word in _NOT_SPEAKER_WORDS else turn


def _ends_sentence(line: str) -> bool:
    return line.rstrip()[-1:] in ".!?:;\"”’)"


def _is_marked(line: str) -> bool:
    stripped = line.lstrip()
    return bool(BULLET.match(stripped) or MD_HEADING.match(stripped) or speaker_turn(stripped))


def _unwrap(lines: list[str]) -> list[str]:
    """Join lines that a hard wrap split in the middle of a sentence (PDF, e-mail, plain text).

    The line being joined is kept in pieces and assembled once, so a long hard-wrapped
    paragraph costs linear time rather than a copy of the paragraph per wrapped line.
    """
    out: list[str] = []
    pieces: list[str] = []  # "".join(pieces) is the previous line, as joined so far
    length = 0
    for line in lines:
        last = _last_visible(pieces)
        joinable = (last and line.strip() and not _is_marked(line) and not _ends_sentence(last)
                    and (line.lstrip()[0].islower() or (50 <= length <= 100 and 40 <= len(line.strip()) <= 100)))
        if joinable:
            rest = line.lstrip()
            end = _last_chars(pieces, 2)
            if end.endswith("-") and end[-2:-1].isalpha() and rest[0].islower():
                pieces[-1] = pieces[-1][:-1]
                pieces.append(rest)
                length += len(rest) - 1
            else:
                pieces += [" ", rest]
                length += 1 + len(rest)
            continue
        if pieces:
            out.append("".join(pieces))
        pieces, length = [line], len(line)
    if pieces:
        out.append("".join(pieces))
    return out


def _last_visible(pieces: list[str]) -> str:
    """The last character of "".join(pieces) that is not white space, or ""."""
    for piece in reversed(pieces):
        i = len(piece)
        while i and piece[i - 1].isspace():
            i -= 1
        if i:
            return piece[i - 1]
    return ""


def _last_chars(pieces: list[str], n: int) -> str:
    """The last ``n`` characters of "".join(pieces), without joining them."""
    end = ""
    for piece in reversed(pieces):
        end = piece[-(n - len(end)):] + end
        if len(end) >= n:
            break
    return end


def clean_text(text: str) -> str:
    """Normalise line ends and spacing, strip the scraper's marks, and drop empty tails."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f\u200b\ufeff]", "", text).replace("\t", " ")
    lines = [_EDIT_SUFFIX.sub(r"\1", line.rstrip()) for line in text.split("\n")]
    lines = _unwrap(lines)
    while lines and (not lines[-1].strip() or lines[-1].strip().lower().rstrip(":") in _EMPTY_TAILS):
        lines.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def is_heading_line(line: str) -> bool:
    """A short title-like line with no sentence-final punctuation."""
    words = line.split()
    return (1 <= len(words) <= 14 and len(line) <= 120 and bool(_HEADING_END_OK.search(line))
            and (line[0].isupper() or line[0].isdigit()) and not _URL.search(line)
            and " | " not in line)  # a table's row, as the readers write it


def _is_promotional(text: str) -> bool:
    text = text.strip()
    return bool(_FURNITURE.match(text) or _CROSS_REFERENCE.match(text)
                or (_URL.search(text) and _CALL_TO_ACTION.search(text)))


_CONTINUING = frozenset(":;,)]}|")


def _bare_number(piece: str) -> bool:
    """Digits and punctuation, no letter: the tail of the sentence before it."""
    return any(ch.isdigit() for ch in piece) and not any(ch.isalpha() for ch in piece)


def _after_colon_or_bar(text: str, start: int, b: int) -> bool:
    """Whether text[start:b], white space stripped from its end, ends in a colon or a table bar
    (no copying)."""
    while b > start and text[b - 1].isspace():
        b -= 1
    return b > start and text[b - 1] in ":|"


def _sentences_in(doc: Doc, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Character spans of spaCy's sentences inside [start, end), trimmed of white space.

    ``text`` is ``doc.text``, passed in: spaCy rebuilds it from every token on each access.
    """
    span = doc.char_span(start, end, alignment_mode="expand")
    sents = list(span.sents) if span is not None else []
    bounds = [max(start, s.start_char) for s in sents] or [start]
    bounds[0] = start
    # A label cut off at its colon ("Sovereignty:") belongs to the sentence it introduces, a table
    # cell to its row ("Steel | High"); the parser sometimes also cuts before a colon, comma,
    # closing bracket or table bar, or a last number (the "140" of "fund project 140"): no
    # sentence starts there, nor is one a bare number.
    nexts = bounds[1:] + [end]
    bounds = [b for i, (b, after) in enumerate(zip(bounds, nexts))
              if i == 0 or not (_after_colon_or_bar(text, start, b) or text[b:b + 1] in _CONTINUING
                                or _bare_number(text[b:after]))]
    for a, b in zip(bounds, bounds[1:] + [end]):
        b = min(b, end)
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b and any(ch.isalnum() for ch in text[a:b]):
            yield a, b


def segment_text(doc: Doc) -> list[Segment]:
    """Split a parsed, cleaned document into segments, line by line."""
    text = doc.text
    segments: list[Segment] = []
    section: str | None = None
    speaker: str | None = None
    offset = 0
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        start = line_start + len(line) - len(line.lstrip())
        end = start + len(stripped)
        if marker := MD_HEADING.match(stripped):
            segments.append(Segment("heading", start + marker.end(), end, section, None))
            section, speaker = stripped[marker.end():], None
            continue
        if _FURNITURE.match(stripped):
            segments.append(Segment("boilerplate", start, end, section, speaker))
            continue
        if (bullet := BULLET.match(stripped)) is not None:
            kind, start = "list_item", start + bullet.end()
        elif is_heading_line(stripped) and not speaker_turn(stripped):
            segments.append(Segment("heading", start, end, section, None))
            section, speaker = stripped, None
            continue
        else:
            kind = "sentence"
            if turn := speaker_turn(stripped):
                speaker, start = turn.group(1), start + turn.end()
            elif _UNNAMED_TURN.match(stripped) or _turn_label(stripped):
                # An interview's "Q:" or "A:" names no one, and a note ("NOTE: ...") is no one's:
                # either ends the last speaker's turn.
                speaker = None
        for a, b in _sentences_in(doc, text, start, end):
            seg_kind = "boilerplate" if _is_promotional(text[a:b]) else kind
            segments.append(Segment(seg_kind, a, b, section, speaker))
    return segments


def _unique_ids(paths: list[Path]) -> list[str]:
    """Slugified file stems, made unique: in sorted path order, a repeated stem gets the first free
    ``-N`` (N >= 2), never another file's own stem (``report-2.txt`` keeps ``report-2``)."""
    stems = {path: slugify(path.stem) for path in paths}
    taken = set(stems.values())
    next_n: dict[str, int] = {}  # per stem, where the search for a free suffix resumes
    ids: dict[Path, str] = {}
    for path in sorted(paths):
        base = stems[path]
        if base not in next_n:
            ids[path], next_n[base] = base, 2
            continue
        n = next_n[base]
        while f"{base}-{n}" in taken:
            n += 1
        ids[path], next_n[base] = f"{base}-{n}", n + 1
        taken.add(ids[path])
    return [ids[path] for path in paths]


def sentence_records(doc_id: str, doc: Doc) -> list[dict[str, Any]]:
    text = doc.text  # spaCy rebuilds doc.text from every token on each access
    return [
        {"doc_id": doc_id, "sent_id": f"{doc_id}:{i:04d}", "index": i, "kind": s.kind,
         "text": text[s.start:s.end], "start": s.start, "end": s.end,
         "section": s.section, "speaker": s.speaker}
        for i, s in enumerate(segment_text(doc))
    ]


def path_text(path: Path) -> str:
    """A path as text that can be written as UTF-8: undecodable bytes of a name become U+FFFD."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _shown(path: Path) -> str:
    """A path for a one-line message: also line breaks and other control characters escaped."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in path_text(path))


_WORDS = re.compile(r"[^\W\d_]+")
MIN_ENGLISH_SHARE = 0.15  # English prose runs at 0.4-0.5; German or French text at 0.05 or less


def english_share(text: str, sample: int = 2000) -> float | None:
    """The share of the first ``sample`` words that are common English words; None under 40 words."""
    words = _WORDS.findall(text[: sample * 12])[:sample]
    return sum(w.lower() in STOP_WORDS for w in words) / len(words) if len(words) >= 40 else None


def refuse_output_among_texts(corpus: Path, out: Path) -> None:
    """Refuse an ``out`` that is the ``corpus`` folder itself: its outputs would be read as texts."""
    if corpus.is_dir() and out.resolve() == corpus.resolve():
        raise ArgmineError(f"{out}: the outputs would go among the texts they are read from; name another "
                           "folder with --out (one inside the texts folder is fine)")


def run(corpus: Path, out: Path, *, model: str | None = None, workers: int = 1,
        max_bytes: int = DEFAULT_MAX_BYTES, warn: Callable[[str], None] = print,
        progress: Progress = no_progress) -> dict[str, Any]:
    """Segment every readable document under ``corpus`` into ``out``; return counts.

    Nothing is done when the files, settings and code are as at the last run (the counts say
    ``up_to_date``); otherwise only documents whose text is new are parsed and segmented.
    """
    refuse_output_among_texts(corpus, out)
    paths = discover(corpus, out)
    tag = resolve_tag(model)
    documents_path, sentences_path = out / "documents.jsonl", out / "sentences.jsonl"
    stamp = StageStamp(out, "segment", inputs=paths, outputs=[documents_path, sentences_path],
                       settings={"model": tag, "max_bytes": max_bytes})
    if (last := stamp.fresh()) is not None:
        for message in last["warnings"]:
            warn(message)
        return {**last["counts"], "up_to_date": True}
    warnings: list[str] = []

    def say(message: str) -> None:  # warned now, and again by an up-to-date rerun
        warnings.append(message)
        warn(message)

    def skip(path: Path, reason: str) -> None:
        say(f"skipped {_shown(path)}: {reason}")

    kept: list[tuple[RawDocument, str]] = []
    for path in paths:
        try:
            raw = read_document(path, max_bytes=max_bytes)
        except InputError as err:
            skip(path, " ".join(str(err).split()))
            continue
        text = clean_text(raw.text)
        if not text.strip():
            skip(raw.path, "no text after cleaning")
            continue
        kept.append((raw, text))
        share = english_share(text)
        if share is not None and share < MIN_ENGLISH_SHARE:
            # Kept, but said: the parser, lexicon and stance model are English.
            say(f"{_shown(raw.path)}: does not look like English ({share:.0%} common English words); "
                "argmine's models are English, so its results on this text will be poor")
    if not kept:
        raise ArgmineError(f"{corpus}: no readable documents (.txt, .md, .html, .pdf) found")
    doc_ids = _unique_ids([raw.path for raw, _ in kept])
    records_cache = RecordCache(out, "segment", {"model": tag})
    keys = [records_cache.key(doc_id, digest(text)) for doc_id, (_, text) in zip(doc_ids, kept)]
    cache = ParseCache(out, load_model(model, parse=False), model=model)  # the parser loads only if needed
    todo = [t for t in dict.fromkeys(text for key, (_, text) in zip(keys, kept) if not records_cache.has(key))
            if not cache.has(t)]
    for _ in progress(cache.parse(todo, workers=workers), length=len(todo), label="parsing"):
        pass
    segments = 0
    with JsonlWriter(documents_path) as documents, JsonlWriter(sentences_path) as sentences:
        for doc_id, key, (raw, text) in zip(doc_ids, keys, kept):
            records = records_cache.get(key)
            if records is None:
                records = sentence_records(doc_id, cache.load(text))
                records_cache.put(key, records)
            title = next((r["text"] for r in records if r["kind"] == "heading"), None)
            documents.record({"doc_id": doc_id, "path": path_text(raw.path), "format": raw.format,
                              "encoding": raw.encoding, "sha256": raw.sha256, "title": title, "text": text})
            for record in records:
                sentences.record(record)
            segments += len(records)
    counts = {"documents": len(kept), "segments": segments, "skipped": len(paths) - len(kept)}
    stamp.save(counts, warnings)
    return counts

"""Reading and writing the pipeline's JSON Lines files, validated against the shipped schemas.

Every output is written to a temporary file and renamed into place, so a run killed at any
moment leaves either the previous complete file or the new one. Every input is validated line
by line, so a malformed intermediate file is reported as ``FILE line N: problem``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import fastjsonschema
import jsonlines
import jsonschema

T = TypeVar("T")

# The stance labels, in the order of every probability vector, and the theme of claims that fit
# none: here, so that the report reads them without importing the models.
LABELS = ("pro", "con", "neutral")
OTHER = "other"
# The file that makes a folder a stance model (its weights beside it).
MODEL_CONFIG = "config.json"

# Which stage writes which file: used to tell the user what to run when an input is missing.
PRODUCED_BY = {
    "documents.jsonl": "segment",
    "sentences.jsonl": "segment",
    "entities.jsonl": "entities",
    "claims.jsonl": "claims",
    "themes.jsonl": "themes",
}


class ArgmineError(Exception):
    """A problem the user can fix (bad input, missing file); shown without a traceback."""


@lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one output file, e.g. ``schema("claims")``."""
    text = resources.files("pipeline").joinpath(f"schemas/{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _validator(name: str) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(schema(name))


def _schema_name(path: Path) -> str | None:
    stem = path.name.removesuffix(".jsonl")
    return stem if path.name in PRODUCED_BY else None


@lru_cache(maxsize=None)
def _fast_check(name: str) -> Callable[[Any], Any]:
    # The schemas use only keywords that mean the same in draft 7, which fastjsonschema compiles.
    return fastjsonschema.compile({**schema(name), "$schema": "http://json-schema.org/draft-07/schema#"})


def validate_record(record: dict[str, Any], name: str) -> None:
    """Raise ``jsonschema.ValidationError`` when ``record`` breaks the schema ``name``.

    A compiled check passes valid records twenty times faster; jsonschema has the last word
    and words the message.
    """
    try:
        _fast_check(name)(record)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    error = jsonschema.exceptions.best_match(_validator(name).iter_errors(record))
    if error is not None:
        raise error


_UNDECODED = re.compile("[\udc80-\udcff]")


def read_jsonl(path: Path, *, validate: bool = True, schema_name: str | None = None) -> Iterator[dict[str, Any]]:
    """Stream the records of a JSON Lines file, checking each against its schema: the output
    file's own, or ``schema_name`` (``"gold"`` for labelled claims)."""
    if not path.exists():
        stage = PRODUCED_BY.get(path.name)
        hint = f"; run `argmine {stage}` first" if stage else ""
        raise ArgmineError(f"{path}: missing{hint}")
    name = schema_name or (_schema_name(path) if validate else None)
    # Undecodable bytes become lone surrogates here and are reported with their line number.
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if _UNDECODED.search(line):
                raise ArgmineError(f"{path} line {number}: not valid UTF-8")
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ArgmineError(f"{path} line {number}: not valid JSON ({err.msg})") from None
            except (ValueError, RecursionError) as err:  # a 5,000-digit number, [[[[...]]]]
                problem = "nested too deeply" if isinstance(err, RecursionError) else str(err)
                raise ArgmineError(f"{path} line {number}: not valid JSON ({problem})") from None
            if not isinstance(record, dict):
                raise ArgmineError(f"{path} line {number}: expected a JSON object")
            if name is not None:
                try:
                    validate_record(record, name)
                except jsonschema.ValidationError as err:
                    where = "/".join(str(p) for p in err.absolute_path) or "record"
                    raise ArgmineError(f"{path} line {number}: {where}: {err.message}") from None
            yield record


def dumps(record: dict[str, Any]) -> str:
    """One JSON line; key order is kept so that identical input gives identical bytes."""
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": "))


class AtomicWriter:
    """Write text to a temporary file beside ``path`` and rename it into place on success."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> "AtomicWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self._tmp = Path(tmp)
        try:
            os.chmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
        except (AttributeError, NotImplementedError, OSError):  # no fchmod (Windows)
            pass
        self._handle = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        return self

    def write(self, text: str) -> None:
        self._handle.write(text)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                self._handle.flush()
                os.fsync(self._handle.fileno())  # on disk before the rename makes it the file
            self._handle.close()
            if exc_type is None:
                os.replace(self._tmp, self.path)
        finally:
            self._handle.close()
            self._tmp.unlink(missing_ok=True)  # gone already after a successful replace


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class JsonlWriter(AtomicWriter):
    """Write records one at a time, each validated against the file's schema; atomic as a whole."""

    def __init__(self, path: Path, *, validate: bool = True) -> None:
        super().__init__(path)
        self.schema_name = _schema_name(path) if validate else None
        self.count = 0

    def __enter__(self) -> "JsonlWriter":
        super().__enter__()
        self._lines = jsonlines.Writer(self._handle, dumps=dumps)
        return self

    def record(self, record: dict[str, Any]) -> None:
        if self.schema_name is not None:
            validate_record(record, self.schema_name)
        self._lines.write(record)
        self.count += 1


def write_jsonl(path: Path, records: Iterable[dict[str, Any]], *, validate: bool = True) -> int:
    """Write records atomically, validating each, as they come; return how many were written."""
    with JsonlWriter(path, validate=validate) as out:
        for record in records:
            out.record(record)
    return out.count


def count_records(path: Path) -> int:
    """Non-blank lines of a JSON Lines file, without parsing them; 0 when it is missing (reading
    it then says which stage to run). For progress bars."""
    if not path.is_file():
        return 0
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def documents_with_segments(out: Path) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each document of a run with its segments, reading both files in step, one document at a time.

    The segment stage writes them in the same document order, numbers each document's segments
    from 0, gives every document with a letter or digit a segment, and each segment's text is its
    document's text between its offsets; anything else (an edited file) is reported.
    """
    sentences = out / "sentences.jsonl"
    groups = itertools.groupby(read_jsonl(sentences), key=lambda s: s["doc_id"])
    pending = next(groups, None)
    for document in read_jsonl(out / "documents.jsonl"):
        segments: list[dict[str, Any]] = []
        if pending is not None and pending[0] == document["doc_id"]:
            segments = list(pending[1])
            pending = next(groups, None)
        if not segments and any(ch.isalnum() for ch in document["text"]):
            raise ArgmineError(f"{sentences}: no segments for {document['doc_id']!r} of documents.jsonl (missing, or "
                               "out of document order); run `argmine segment` again")
        if [seg["index"] for seg in segments] != list(range(len(segments))):
            raise ArgmineError(f"{sentences}: the segments of {document['doc_id']!r} are not numbered 0, 1, 2, ... "
                               "(a line was removed or moved); run `argmine segment` again")
        for seg in segments:
            if document["text"][seg["start"]:seg["end"]] != seg["text"]:
                raise ArgmineError(f"{sentences}: segment {seg['sent_id']} is not the text of documents.jsonl at "
                                   f"{seg['start']}-{seg['end']}; run `argmine segment` again")
        yield document, segments
    if pending is not None:
        raise ArgmineError(f"{sentences}: segments of {pending[0]!r} name no document of documents.jsonl "
                           "or are out of document order; run `argmine segment` again")


def no_progress(items: Iterable[T], *, length: int, label: str) -> Iterable[T]:
    """The default progress callback of the stages: shows nothing."""
    return items


Progress = Callable[..., Iterable[Any]]  # (items, *, length, label) -> the same items, shown as they go


def write_json(path: Path, data: Any) -> None:
    """Write one JSON document atomically, pretty-printed and with sorted keys."""
    with AtomicWriter(path) as out:
        out.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def slugify(text: str, *, fallback: str = "doc") -> str:
    """ASCII, lowercase, hyphen-separated; never empty, never a path separator."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or fallback

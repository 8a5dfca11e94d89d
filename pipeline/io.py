"""Reading and writing the pipeline's JSON Lines files, validated against the shipped schemas.

Every output is written to a temporary file and renamed into place, so a run killed at any
moment leaves either the previous complete file or the new one. Every input is validated line
by line, so a malformed intermediate file is reported as ``FILE line N: problem``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

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


def validate_record(record: dict[str, Any], name: str) -> None:
    """Raise ``jsonschema.ValidationError`` when ``record`` breaks the schema ``name``."""
    error = jsonschema.exceptions.best_match(_validator(name).iter_errors(record))
    if error is not None:
        raise error


_UNDECODED = re.compile("[\udc80-\udcff]")


def read_jsonl(path: Path, *, validate: bool = True) -> Iterator[dict[str, Any]]:
    """Stream the records of a JSON Lines file, checking each against its schema."""
    if not path.exists():
        stage = PRODUCED_BY.get(path.name)
        hint = f"; run `argmine {stage}` first" if stage else ""
        raise ArgmineError(f"{path}: missing{hint}")
    name = _schema_name(path) if validate else None
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

    def __exit__(self, exc_type, exc, tb) -> None:
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


def write_jsonl(path: Path, records: Iterable[dict[str, Any]], *, validate: bool = True) -> int:
    """Write records atomically, validating each; return how many were written."""
    name = _schema_name(path) if validate else None
    count = 0
    with AtomicWriter(path) as out:
        for record in records:
            if name is not None:
                validate_record(record, name)
            out.write(dumps(record) + "\n")
            count += 1
    return count


def write_json(path: Path, data: Any) -> None:
    """Write one JSON document atomically, pretty-printed and with sorted keys."""
    with AtomicWriter(path) as out:
        out.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def slugify(text: str, *, fallback: str = "doc") -> str:
    """ASCII, lowercase, hyphen-separated; never empty, never a path separator."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or fallback

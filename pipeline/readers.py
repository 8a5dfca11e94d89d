"""Turn one input file (txt, md, html, pdf) into raw text, recording format and encoding.

Readers never execute anything: HTML is parsed with BeautifulSoup's pure-Python parser and
PDFs give only their text layer. Any problem with a file is an ``InputError`` naming it.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup, Comment

SUFFIX_FORMAT = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
                 ".html": "html", ".htm": "html", ".pdf": "pdf"}
DEFAULT_MAX_BYTES = 20_000_000

# Elements that hold page furniture rather than the document's text.
_DROP_TAGS = ["script", "style", "noscript", "template", "nav", "footer", "header", "aside",
              "form", "button", "svg", "iframe", "menu"]
_DROP_HINT = re.compile(r"\b(nav|navbar|menu|footer|breadcrumbs?|cookie|sidebar|share|social)\b", re.I)
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "blockquote", "pre", "table", "tr",
               "ul", "ol", "dl", "dd", "dt", "figure", "figcaption", "br", "hr", "body"}


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


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page, one block per line; headings as ``# ``, list items as ``• ``."""
    soup = BeautifulSoup(markup, "html.parser")
    for node in soup.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        hints = " ".join([tag.get("id") or "", " ".join(tag.get("class") or []), tag.get("role") or ""])
        if _DROP_HINT.search(hints) and tag.name not in ("body", "html", "main", "article"):
            tag.decompose()
    for tag in soup.find_all(re.compile(r"^h[1-6]$")):
        tag.insert_before("\n\n# ")
        tag.insert_after("\n\n")
    for tag in soup.find_all("li"):
        tag.insert_before("\n• ")
        tag.insert_after("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    body = soup.get_text()
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in body.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if title and "# " not in text[:200]:
        text = f"# {title}\n\n{text}"
    return text


def pdf_to_text(data: bytes) -> str:
    """The text layer of a PDF, page by page."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as err:
        raise InputError(f"unreadable PDF ({err})") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise InputError("PDF has no text layer (scanned images need OCR first)")
    return text


def read_document(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> RawDocument:
    """Read one file into a ``RawDocument``; raise ``InputError`` with the reason if it can't be."""
    fmt = SUFFIX_FORMAT.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"unsupported file type '{path.suffix or '(none)'}' (use .txt, .md, .html or .pdf)")
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
        return RawDocument(path, fmt, "pdf", sha, pdf_to_text(data))
    text, encoding = decode(data)
    if _looks_binary(text):
        raise InputError("binary file (mostly control characters)")
    if fmt == "html":
        text = html_to_text(text)
    if not text.strip():
        raise InputError("no text after removing markup")
    return RawDocument(path, fmt, encoding, sha, text)

"""Turn one input file (txt, md, html, pdf) into raw text, recording format and encoding.

Readers never execute anything: HTML is parsed with BeautifulSoup's pure-Python parser and
PDFs give only their text layer; Markdown loses only the markup a reader does not see.
Any problem with a file is an ``InputError`` naming it.
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

# Elements that hold page furniture rather than the document's text (and <header>, when it is a
# site banner: see html_to_text).
_DROP_TAGS = ["script", "style", "noscript", "template", "nav", "footer", "aside",
              "form", "button", "svg", "iframe", "menu"]
_DROP_HINT = re.compile(r"\b(nav|navbar|menu|footer|breadcrumbs?|cookie|sidebar|share|social)\b", re.I)
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "blockquote", "pre", "table", "tr",
               "ul", "ol", "dl", "dd", "dt", "figure", "figcaption", "br", "hr", "body"}
_HEADING_TAG = re.compile(r"^h[1-6]$")
_TABLE_TAGS = {"table", "tr", "td", "th"}
# The strings a browser shows: not comments, doctypes, <rt>/<rp> ruby annotations, nor CDATA
# sections, which HTML (outside SVG and MathML, both dropped) treats as comments.
_TEXT_STRINGS = (NavigableString,)
# Markdown a reader does not see. Front matter, per opening line: its key lines and the other
# lines it may hold (indented, list, comment, table, blank). A fence is closed by one at least
# as long of the same character; an opening backtick fence has no backtick after it.
_FRONT_MATTER = {"---": (re.compile(r"[^\s:#-][^\s:]*:(?:\s|$)"), re.compile(r"[\s#-]|$")),
                 "+++": (re.compile(r"[^\s=#\[\]]+\s*="), re.compile(r"""[\s#\[\]"']|$"""))}
_FENCE_OPEN = re.compile(r"[ \t]*(`{3,}(?=[^`]*$)|~{3,})")
_FENCE_CLOSE = re.compile(r"[ \t]*(`{3,}|~{3,})\s*")
_REF_DEF = re.compile(r"""[ \t]{0,3}\[(?!\^)[^\]\n]+\]:[ \t]*\S+(?:[ \t]+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*""")
# A link's target: (url), (<url>) or (url "title"), the url holding at most one level of
# parentheses (Wikipedia's), or a [reference]. No brackets in a url: the search stays linear.
_TARGET = (r"""(?:\([ \t]*(?:<[^<>\n]*>|(?:[^()\s\[\]]|\([^()\s\[\]]*\))*)"""
           r"""(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*\)|\[[^\[\]\n]*\])""")
_IMAGE = re.compile(r"!\[[^\[\]\n]*\]" + _TARGET)
_LINK = re.compile(r"(?<!\\)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]" + _TARGET)
_SEPARATOR_CELL = re.compile(r"\s*:?-+:?\s*")
_CELL_PIPE = re.compile(r"(?<!\\)\|")
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
    """Decode bytes: a BOM wins, then UTF-16 told by its NULs, UTF-8, cp1252. Returns (text, encoding)."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                raise InputError(f"starts with a {encoding} byte-order mark but does not decode as {encoding}") from None
    if b"\x00" in data:
        if utf16 := _utf16_without_bom(data):
            return utf16
        raise InputError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise InputError("cannot be decoded as UTF-8 or cp1252") from None


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) if ``data`` is mostly-ASCII UTF-16 without a byte-order mark, else None.

    Such text has a NUL in every other byte: at odd offsets little-endian, at even ones
    big-endian. The other half may hold a few NULs too (U+0100, U+2000 and the like).
    """
    even, odd = data[0::2].count(0), data[1::2].count(0)
    for encoding, nuls, stray in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if 2 * nuls >= len(data) // 2 and 20 * stray <= nuls:
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                return None
    return None


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return bool(sample) and controls / len(sample) > 0.05


def markdown_to_text(text: str) -> str:
    """The text a reader of rendered Markdown sees; all else is left byte for byte.

    Drops front matter at the very start, fenced code blocks (an unclosed fence is kept as
    text rather than swallowing the rest), reference definitions, images and table separator
    rows; a link becomes its text and a table row ``| a | b |`` the line ``a | b``.
    """
    lines = text.split("\n")
    reach = _fence_reach(lines)
    out: list[str] = []
    i = _front_matter_end(lines)
    while i < len(lines):
        line = lines[i]
        fence = _FENCE_OPEN.match(line)
        if fence and reach[fence.group(1)[0]][i + 1] >= len(fence.group(1)):
            i += 1
            while not _closes(lines[i], fence.group(1)):
                i += 1
            out.append("")  # a block: the lines around it stay apart
        elif _REF_DEF.fullmatch(line):
            pass
        elif _starts_table(lines, i):
            out.append(_table_row(line))
            i += 2  # the separator row goes
            while i < len(lines) and lines[i].strip() and _CELL_PIPE.search(lines[i]):
                out.append(_table_row(lines[i]))
                i += 1
            continue
        else:
            out.append(_inline_text(line))
        i += 1
    return "\n".join(out)


def _front_matter_end(lines: list[str]) -> int:
    """The index of the first line after YAML (``---``) or TOML (``+++``) front matter, else 0."""
    fence = lines[0].rstrip()
    if fence not in _FRONT_MATTER:
        return 0
    key, other = _FRONT_MATTER[fence]
    has_key = False
    for i in range(1, len(lines)):
        line = lines[i].rstrip("\r")
        if line.rstrip() == fence:
            return i + 1 if has_key else 0
        keyed = bool(key.match(line))
        if not (keyed or other.match(line)):
            return 0  # text, not keys and values: the opening line was a rule
        has_key = has_key or keyed
    return 0


def _fence_reach(lines: list[str]) -> dict[str, list[int]]:
    """Per fence character, the longest closing fence at or after each line (0: none).

    An opening fence is code only if it is closed; knowing that up front keeps a page of
    unclosed fences linear.
    """
    reach = {"`": [0] * (len(lines) + 1), "~": [0] * (len(lines) + 1)}
    for i in range(len(lines) - 1, -1, -1):
        for longest in reach.values():
            longest[i] = longest[i + 1]
        if close := _FENCE_CLOSE.fullmatch(lines[i]):
            fence = close.group(1)
            reach[fence[0]][i] = max(reach[fence[0]][i], len(fence))
    return reach


def _closes(line: str, fence: str) -> bool:
    """Whether ``line`` closes a code block opened by ``fence``."""
    close = _FENCE_CLOSE.fullmatch(line)
    return bool(close) and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence)


def _table_cells(line: str) -> list[str]:
    """The trimmed cells of a pipe-table row, outer pipes dropped (an escaped ``\\|`` is no pipe)."""
    row = line.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [cell.strip() for cell in _CELL_PIPE.split(row)]


def _starts_table(lines: list[str], i: int) -> bool:
    """Whether ``lines[i]`` is a table's header row: a separator row (``|---|:---:|``) with as
    many cells follows it."""
    if i + 1 >= len(lines) or not _CELL_PIPE.search(lines[i]) or not _CELL_PIPE.search(lines[i + 1]):
        return False
    separator = _table_cells(lines[i + 1])
    return (all(_SEPARATOR_CELL.fullmatch(cell) for cell in separator)
            and len(separator) == len(_table_cells(lines[i])))


def _table_row(line: str) -> str:
    """A table row as one line of text, its cells joined by `` | ``."""
    return _inline_text(" | ".join(_table_cells(line)))


def _inline_text(line: str) -> str:
    """A line without its images, and with each link replaced by the link's text."""
    if "[" not in line:
        return line
    return _LINK.sub(r"\1", _IMAGE.sub("", line))


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
    A table row is one line, its cells joined by `` | ``: inside a row, block breaks and line
    ends in the text become spaces, but a table nested in a cell has its own lines again.
    """
    parts: list[str] = []
    stack: list[tuple[Iterator, str, str]] = [(iter(root.contents), "", "")]
    cells: list[int] = []  # per open row, the cells begun so far
    flat: list[bool] = [False]  # per open table, row and cell: whether breaks become spaces
    while stack:
        children, after, name = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            parts.append(after)
            if name == "tr":
                cells.pop()
            if name in _TABLE_TAGS:
                flat.pop()
        elif isinstance(child, Tag):
            before, child_after = _markers(child.name)
            if flat[-1]:
                before, child_after = " " if before else "", " " if child_after else ""
            if child.name == "tr":
                cells.append(0)
            elif child.name in ("td", "th") and cells:
                before = " | " if cells[-1] else before
                cells[-1] += 1
            if child.name in _TABLE_TAGS:
                flat.append(child.name != "table")
            parts.append(before)
            stack.append((iter(child.contents), child_after, child.name))
        elif type(child) in _TEXT_STRINGS:
            parts.append(str(child).replace("\r", " ").replace("\n", " ") if flat[-1] else str(child))
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
    tags = soup.find_all(True)
    # A <header> is a site banner unless it is the article's own: inside <article> or <main>,
    # or holding the page's only <h1> (then it has the title and lead).
    h1s = [tag for tag in tags if tag.name == "h1"]
    kept_headers = {id(tag) for tag in h1s[0].parents if tag.name == "header"} if len(h1s) == 1 else set()
    in_content: set[int] = set()  # <article>, <main> and their descendants, known from the parent
    dropped: set[int] = set()
    for tag in tags:
        if id(tag) in dropped:
            continue
        if tag.name in ("article", "main") or id(tag.parent) in in_content:
            in_content.add(id(tag))
        drop = tag.name in _DROP_TAGS or (
            tag.name == "header" and id(tag) not in in_content and id(tag) not in kept_headers)
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
    elif fmt == "md":
        text = markdown_to_text(text)
    if not text.strip():
        raise InputError("no text after removing markup")
    return RawDocument(path, fmt, encoding, sha, _SURROGATE.sub("\ufffd", text))

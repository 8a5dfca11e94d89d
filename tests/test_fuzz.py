"""Property-based fuzzing of the readers, the cleaner and the segmenter (hypothesis).

Examples are kept few (the suite stays fast); run with ``--hypothesis-seed`` or raise
``FUZZ_EXAMPLES`` in the environment to search harder.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.io import slugify
from pipeline.readers import InputError, RawDocument, html_to_text, read_document
from pipeline.segment import _EDIT_SUFFIX, clean_text, segment_text, sentence_records

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUFFIXES = [".txt", ".md", ".html", ".pdf"]


@lru_cache(maxsize=None)
def nlp():
    """The spaCy model, loaded once for the module (hypothesis tests cannot take function fixtures)."""
    from pipeline.nlp import load_model

    return load_model()


# Inputs ---------------------------------------------------------------------------------------------


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF whose text layer is ``text`` (ASCII without parentheses or backslashes)."""
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = minimal_pdf("Alliances deter aggression.")


@st.composite
def damaged_pdfs(draw) -> bytes:
    """The valid PDF with a few bytes overwritten, a slice cut out, or the end cut off."""
    data = bytearray(PDF)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["overwrite", "delete", "truncate"]))
        if kind == "overwrite":
            patch = draw(st.binary(min_size=1, max_size=8))
            data[at:at + len(patch)] = patch
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        else:
            del data[at:]
        if not data:
            break
    return bytes(data)


@st.composite
def encoded_texts(draw) -> bytes:
    """Text in the encodings the reader meets: UTF-8 (with or without BOM), cp1252, UTF-16."""
    text = draw(st.text(max_size=300))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le"]))
    return text.encode(encoding, errors="ignore")


html_fragments = st.lists(st.one_of(
    st.sampled_from(["<p>", "</p>", "<div class='menu'>", "</div>", "<h2>", "</h2>", "<li>", "<ul>", "</ul>",
                     "<script>", "</script>", "<!--", "-->", "<![CDATA[", "]]>", "<br>", "&amp;", "&#0;",
                     "&#xD800;", "<title>", "</title>", "<nav>", "<svg>", "<a href='", "'>", "<", ">",
                     "<!doctype html>", "<table><tr><td>", "\u0000", "\ufeff"]),
    st.text(max_size=20)), max_size=40).map("".join)

file_contents = st.one_of(
    st.binary(max_size=2000),
    encoded_texts(),
    html_fragments.map(lambda s: s.encode("utf-8", "surrogatepass")),
    damaged_pdfs(),
    st.just(PDF),
)


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=file_contents)
def test_read_document_returns_a_document_or_raises_input_error(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            raw = read_document(path)
        except InputError as err:
            message = str(err)
            assert message.strip() and "\n" not in message.strip()
            return
    assert isinstance(raw, RawDocument)
    assert raw.format == {".txt": "txt", ".md": "md", ".html": "html", ".pdf": "pdf"}[suffix]
    assert raw.text.strip()
    raw.text.encode("utf-8")  # writable: no lone surrogates


def test_the_fuzzed_pdf_is_a_real_pdf(tmp_path: Path) -> None:
    (tmp_path / "ok.pdf").write_bytes(PDF)
    assert read_document(tmp_path / "ok.pdf").text.strip() == "Alliances deter aggression."


# HTML -----------------------------------------------------------------------------------------------

SECRET = "s3cr3t-payload"
safe_text = st.text(max_size=30).map(html.escape)
tags = st.sampled_from(["p", "div", "span", "h1", "li", "ul", "section", "article", "b", "td", "title", "main"])


@st.composite
def pages(draw, depth: int = 0) -> str:
    """Well-formed HTML with <script> elements (holding SECRET) at random places."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "script", "element"] if depth < 4 else ["text", "script"]))
        if kind == "text":
            parts.append(draw(safe_text))
        elif kind == "script":
            attrs = draw(st.sampled_from(["", " type='module'", " src='x.js'"]))
            parts.append(f"<script{attrs}>document.write('{SECRET}')</script>")
        else:
            tag = draw(tags)
            parts.append(f"<{tag}>{draw(pages(depth + 1))}</{tag}>")
    return "".join(parts)


@FUZZ
@given(pages())
def test_script_text_never_reaches_the_html_text(markup: str) -> None:
    text = html_to_text(markup)
    assert SECRET not in text and "document.write" not in text


# Cleaning -------------------------------------------------------------------------------------------

words = st.sampled_from(["alliance", "NATO", "Edit", "the", "-", "•", "# ", "MR. KEANE: ", ".", "See also",
                         "References", "x" * 45, "y" * 70, "Notes", "\t", " ", "\r", "\f", "\u200b", "\ufeff",
                         "\xa0", "\u2028", "abc-", "é", "Ab", ":", "\n", "\n", "\n\n"])
documents_like = st.lists(st.one_of(words, st.text(max_size=8)), max_size=50).map("".join)
any_text = st.one_of(st.text(max_size=400), documents_like)
_REMOVED = re.compile(r"[\x00-\x08\x0b-\x0d\x0e-\x1f\x7f\u200b\ufeff\t]")


def squashed(text: str) -> str:
    return "".join(text.split())


def is_subsequence(small: str, big: str) -> bool:
    chars = iter(big)
    return all(ch in chars for ch in small)


@FUZZ
@given(any_text)
def test_clean_text_output_is_normalised(text: str) -> None:
    cleaned = clean_text(text)
    assert not _REMOVED.search(cleaned)  # no \r, \t, \f, control or zero-width characters
    assert "\n\n\n" not in cleaned and not cleaned.startswith("\n") and not cleaned.endswith("\n")
    assert all(line == line.rstrip() for line in cleaned.split("\n"))
    assert is_subsequence(squashed(cleaned), squashed(text.replace("\u200b", "").replace("\ufeff", "")))


@FUZZ
@given(any_text)
def test_cleaning_again_only_removes_or_joins(text: str) -> None:
    """Not exactly idempotent, by design: two one-shot repairs can fire again on their own output.

    * A scraper's "Edit" mark is removed once: "PhotoEditEdit" -> "PhotoEdit" -> "Photo".
    * Hard-wrap joining decides by the length of the next physical line, which grows once
      that line has been joined to its own successor.
    Cleaning the output again may therefore only drop characters or join lines: never add,
    change or reorder text, never break a line.
    """
    once = clean_text(text)
    twice = clean_text(once)
    assert is_subsequence(squashed(twice), squashed(once))
    assert twice.count("\n") <= once.count("\n")


paragraph = st.text(st.characters(blacklist_characters="\n\r\f\x0b\x1c\x1d\x1e\x85\u2028\u2029",
                                  blacklist_categories=["Cs"]), max_size=80)


@FUZZ
@given(st.lists(st.one_of(paragraph, st.sampled_from(["See also", "NATO deters Edit", "PhotoEditEdit"])),
                max_size=8))
def test_cleaning_is_idempotent_when_neither_repair_applies(paragraphs: list[str]) -> None:
    """One paragraph per line, blank lines between: nothing to unwrap, so only "Edit" can differ."""
    once = clean_text("\n\n".join(paragraphs))
    assume(not any(_EDIT_SUFFIX.match(line) for line in once.split("\n")))
    assert clean_text(once) == once


def test_the_two_known_non_idempotent_cases() -> None:
    assert clean_text("PhotoEditEdit") == "PhotoEdit" and clean_text("PhotoEdit") == "Photo"
    wrapped = "x" * 60 + "\nShort one\nand then it continues for a long while, more and more"
    once = clean_text(wrapped)
    assert once.count("\n") == 1 and clean_text(once).count("\n") == 0


# Segmenting -----------------------------------------------------------------------------------------


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_segment_offsets_are_exact(text: str) -> None:
    doc = nlp()(clean_text(text))
    segments = segment_text(doc)
    records = sentence_records("fuzz", doc)
    assert len(records) == len(segments)
    previous_end = 0
    for seg, record in zip(segments, records):
        assert 0 <= previous_end <= seg.start < seg.end <= len(doc.text)
        piece = doc.text[seg.start:seg.end]
        assert piece == record["text"] and (record["start"], record["end"]) == (seg.start, seg.end)
        assert piece.strip() and "\n" not in piece
        assert seg.kind in ("heading", "sentence", "list_item", "boilerplate")
        previous_end = seg.end


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_slugify_always_gives_a_plain_file_name(text: str) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slugify(text))

import json
from pathlib import Path

from pipeline.readers import InputError, decode, html_to_text, read_document
from pipeline.segment import clean_text, discover, segment_text

import pytest


def records(out: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (out / name).read_text("utf-8").splitlines()]


def test_offsets_are_exact(tiny_run: Path) -> None:
    texts = {d["doc_id"]: d["text"] for d in records(tiny_run, "documents.jsonl")}
    for seg in records(tiny_run, "sentences.jsonl"):
        assert texts[seg["doc_id"]][seg["start"]:seg["end"]] == seg["text"]


def test_formats_and_encodings_are_recorded(tiny_run: Path) -> None:
    docs = {d["doc_id"]: d for d in records(tiny_run, "documents.jsonl")}
    assert docs["legacy"]["encoding"] == "cp1252" and docs["legacy"]["format"] == "txt"
    assert docs["page"]["format"] == "html" and docs["notes"]["format"] == "md"
    assert "\u2019" in docs["legacy"]["text"]


def test_html_drops_navigation_scripts_and_footer(tiny_run: Path) -> None:
    page = next(d for d in records(tiny_run, "documents.jsonl") if d["doc_id"] == "page")
    assert "Home" not in page["text"] and "tracking" not in page["text"] and "Copyright" not in page["text"]
    assert page["title"] == "Carbon Pricing Debate"


def test_headings_sections_lists_and_speakers(tiny_run: Path) -> None:
    segs = [s for s in records(tiny_run, "sentences.jsonl") if s["doc_id"] == "notes"]
    headings = [s["text"] for s in segs if s["kind"] == "heading"]
    assert headings == ["Alliance Notes", "Pacific"]
    items = [s for s in segs if s["kind"] == "list_item"]
    assert items[0]["text"].startswith("AUKUS") and items[0]["section"] == "Pacific"
    turn = [s for s in segs if s["speaker"]]
    assert [s["text"] for s in turn] == ["The Quad matters.", "Washington agrees with Canberra."]
    assert {s["speaker"] for s in turn} == {"MR. KEANE"}


def test_scraper_marks_are_cleaned() -> None:
    raw = "Security AllianceEdit\n\nAlliances deter war.\n\nSee also\n\n\n"
    assert clean_text(raw) == "Security Alliance\n\nAlliances deter war."


def test_promotional_line_is_boilerplate(nlp) -> None:
    doc = nlp("Heading Here\nAlliances matter. For more analysis readers can visit example.com today.")
    kinds = [(s.kind, doc.text[s.start:s.end]) for s in segment_text(doc)]
    assert kinds[0] == ("heading", "Heading Here")
    assert kinds[-1][0] == "boilerplate"


def test_hard_wrapped_lines_are_joined() -> None:
    raw = "The alliance was founded in 1949 by twelve countries that wanted\nto deter an attack on Western Europe.\n"
    assert clean_text(raw) == "The alliance was founded in 1949 by twelve countries that wanted to deter an attack on Western Europe."


@pytest.mark.parametrize("data, encoding", [
    ("caf\u00e9".encode("utf-8"), "utf-8"), (b"\xef\xbb\xbfcaf\xc3\xa9", "utf-8-sig"),
    ("caf\u00e9".encode("utf-16"), "utf-16"), ("caf\u00e9 \u2013".encode("cp1252"), "cp1252")])
def test_decode(data: bytes, encoding: str) -> None:
    text, used = decode(data)
    assert used == encoding and text.startswith("caf\u00e9")


@pytest.mark.parametrize("name, data, reason", [
    ("empty.txt", b"", "empty"), ("blob.txt", b"\x00\x01\x02binary", "binary"),
    ("sheet.xlsx", b"PK\x03\x04", "unsupported"), ("bad.pdf", b"%PDF-1.4 garbage", "PDF")])
def test_bad_files_raise_input_error(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=reason):
        read_document(path)


def test_discover_skips_hidden_and_ignored(tmp_path: Path) -> None:
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "README.md").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".argmineignore").write_text("annotations/\n")
    assert [p.name for p in discover(tmp_path)] == ["a.txt"]


def test_html_headings_and_items() -> None:
    text = html_to_text("<h2>Why it matters?</h2><ul><li>One</li></ul>")
    assert text.splitlines()[0] == "# Why it matters?" and "• One" in text

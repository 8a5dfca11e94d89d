"""JSON Lines in and out: schema checks, one-line errors naming file and line, safe slugs."""

import json
from pathlib import Path

import pytest

from pipeline.io import ArgmineError, documents_with_segments, read_jsonl, slugify, write_jsonl

GOOD = {"doc_id": "a", "sent_id": "a:0000", "index": 0, "kind": "sentence", "text": "Hi.",
        "start": 0, "end": 3, "section": None, "speaker": None}


def test_write_then_read_roundtrip(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "sentences.jsonl", [GOOD])
    assert list(read_jsonl(tmp_path / "sentences.jsonl")) == [GOOD]


def test_write_rejects_a_record_that_breaks_the_schema(tmp_path: Path) -> None:
    with pytest.raises(Exception):
        write_jsonl(tmp_path / "sentences.jsonl", [{**GOOD, "kind": "paragraph"}])
    assert not (tmp_path / "sentences.jsonl").exists()


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "sentences.jsonl"
    path.write_text('{"doc_id": "a"}\n{not json\n', encoding="utf-8")
    with pytest.raises(ArgmineError, match=r"sentences.jsonl line 1: .*required"):
        list(read_jsonl(path))


def test_missing_file_names_the_stage_to_run(tmp_path: Path) -> None:
    with pytest.raises(ArgmineError, match="argmine claims"):
        list(read_jsonl(tmp_path / "claims.jsonl"))


@pytest.mark.parametrize("text, slug", [("Hello World", "hello-world"), ("Ünïcödé file", "unicode-file"),
                                        ("../../etc/passwd", "etc-passwd"), ("***", "doc")])
def test_slugify_is_safe(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_a_segment_whose_offsets_miss_its_text_is_reported(tiny_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    for name in ("documents.jsonl", "sentences.jsonl"):
        (out / name).write_bytes((tiny_run / name).read_bytes())
    assert list(documents_with_segments(out))  # the untouched copy reads
    lines = (out / "sentences.jsonl").read_text("utf-8").splitlines()
    edited = json.loads(lines[1])
    edited["start"], edited["end"] = edited["start"] + 10_000_000, edited["end"] + 10_000_000
    lines[1] = json.dumps(edited)
    (out / "sentences.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(ArgmineError, match=f"segment {edited['sent_id']} is not the text of documents.jsonl"):
        list(documents_with_segments(out))

from pathlib import Path

import pytest

from pipeline.io import ArgmineError, read_jsonl, slugify, write_jsonl

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

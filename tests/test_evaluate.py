"""``argmine evaluate``: the corpus scored leave-one-document-out, extra gold sets scored as unseen texts."""

import json
from pathlib import Path

import pytest

from conftest import write_gold
from pipeline import evaluate
from pipeline import segment as segment_stage
from pipeline.io import ArgmineError
from pipeline.nlp import load_model
from pipeline.training import align_gold, corpus_examples, load_gold, load_gold_set

# Three documents per set, each with a pro, a con and a neutral sentence, so that every fold's
# training holds every class.
CORPUS = {
    "tolls-a.md": ("Road tolls cut congestion and improve air quality.", "Critics warn that tolls hurt poor commuters.",
                   "Tolls were introduced in 2003."),
    "tolls-b.md": ("Tolls fund better buses and reduce traffic.", "Tolls are unfair and costly for families.",
                   "The toll zone covers the city centre."),
    "tolls-c.md": ("Supporters argue that tolls make streets safer.", "Tolls damage small shops and should be scrapped.",
                   "Cameras read number plates at each entry."),
}
EXTRA = {
    "solar-a.md": ("Solar subsidies cut emissions and create jobs.", "Critics say the subsidies waste public money.",
                   "The scheme began in 2010."),
    "solar-b.md": ("Subsidies help families lower their bills.", "The subsidies are costly and benefit the rich.",
                   "Panels are installed on roofs."),
}


def _write(folder: Path, texts: dict[str, tuple[str, str, str]], claims: Path) -> None:
    """The texts in ``folder`` and their gold: pro, con, neutral in that order; the reporting holder."""
    folder.mkdir(parents=True)
    for name, sentences in texts.items():
        (folder / name).write_text(" ".join(sentences) + "\n", encoding="utf-8")
    labels = {s: label for sentences in texts.values() for s, label in zip(sentences, ("pro", "con", "neutral"))}
    write_gold(folder, claims, lambda text: (labels[text], next(
        (h for h in ("critics", "supporters") if text.lower().startswith(h)), None)))


def test_extra_gold_sets_are_trained_on_and_scored_as_unseen_texts(tmp_path: Path) -> None:
    corpus, extra = tmp_path / "corpus", tmp_path / "extra"
    _write(corpus, CORPUS, tmp_path / "corpus-claims.jsonl")
    _write(extra / "texts", EXTRA, extra / "claims.jsonl")
    (extra / "topics.json").write_text(json.dumps({"solar-a": "solar subsidies", "solar-b": "solar subsidies"}))
    metrics = evaluate.run(tmp_path / "corpus-claims.jsonl", corpus, work=tmp_path / "work", topic="road tolls",
                           external_root=None, external=[], metrics_path=tmp_path / "metrics.json",
                           extra_gold=[extra], warn=lambda message: None)
    # The corpus alone is tested; the extra documents are tested in their own leave-one-out.
    assert metrics["stance"]["n"] == 9 and metrics["stance"]["folds"] == ["tolls-a", "tolls-b", "tolls-c"]
    assert metrics["stance"]["extra_gold"] == {"sets": [str(extra)], "documents": 2, "sentences": 6}
    assert metrics["stance_extra_gold"]["n"] == 6 and metrics["stance_extra_gold"]["folds"] == ["solar-a", "solar-b"]
    assert metrics["stance_without_extra_gold"]["model"]["per_class"]["pro"]["support"] == 3
    # Every document left out once: the corpus folds and the extra folds, pooled.
    assert sum(map(sum, metrics["stance_all_documents"]["confusion"]["matrix"])) == 15
    # Scored by a model trained without the set: with one set, the corpus-trained model.
    unseen = metrics["stance_extra_gold_unseen"]
    assert list(unseen["sets"]) == [str(extra)] and unseen["model"]["per_class"]["con"]["support"] == 2
    assert metrics["extra_gold"][str(extra)]["attribution"]["n"] == 6
    assert "themes" not in metrics["extra_gold"][str(extra)]  # no theme labels on that topic
    table = evaluate.format_table(metrics)
    assert "extra gold sets, each document" in table and "attribution, extra: accuracy" in table
    assert json.loads((tmp_path / "metrics.json").read_text())["stance_extra_gold"]["n"] == 6


def test_each_extra_gold_set_is_scored_by_a_model_trained_without_it(tmp_path: Path, monkeypatch) -> None:
    corpus, first, second = tmp_path / "corpus", tmp_path / "first", tmp_path / "second"
    _write(corpus, CORPUS, tmp_path / "corpus-claims.jsonl")
    for folder, names in ((first, ("solar-a.md",)), (second, ("solar-b.md",))):
        _write(folder / "texts", {n: EXTRA[n] for n in names}, folder / "claims.jsonl")
        (folder / "topics.json").write_text(json.dumps({Path(n).stem: "solar subsidies" for n in names}))
    trained_on = []
    real_fit = evaluate.fit

    def spy(examples, **kwargs):
        trained_on.append({e.group for e in examples})
        return real_fit(examples, **kwargs)

    nlp = load_model()
    work = tmp_path / "work" / "corpus"
    segment_stage.run(corpus, work)
    examples = corpus_examples(align_gold(load_gold(tmp_path / "corpus-claims.jsonl"), work, nlp), "road tolls")
    gold_sets = [load_gold_set(folder, nlp, root=tmp_path / "work") for folder in (first, second)]
    monkeypatch.setattr(evaluate, "fit", spy)
    by_set = {str(gold_set.folder): gold_set.examples() for gold_set in gold_sets}
    unseen = evaluate.sets_left_out(examples, by_set, [], {"external_weight": 0.0, "stack_polarity": False})
    assert list(unseen["sets"]) == [str(first), str(second)]
    assert trained_on == [{"tolls-a", "tolls-b", "tolls-c", "solar-b"}, {"tolls-a", "tolls-b", "tolls-c", "solar-a"}]
    assert sum(map(sum, unseen["model"]["confusion"]["matrix"])) == 6


def test_a_document_in_two_gold_sets_is_refused(tmp_path: Path) -> None:
    corpus, extra = tmp_path / "corpus", tmp_path / "extra"
    _write(corpus, CORPUS, tmp_path / "corpus-claims.jsonl")
    _write(extra / "texts", {"tolls-a.md": CORPUS["tolls-a.md"], **EXTRA}, extra / "claims.jsonl")
    (extra / "topics.json").write_text(json.dumps({"tolls-a": "road tolls", "solar-a": "solar subsidies",
                                                   "solar-b": "solar subsidies"}))
    with pytest.raises(ArgmineError, match=r"document 'tolls-a' is also in .*corpus-claims.jsonl"):
        evaluate.run(tmp_path / "corpus-claims.jsonl", corpus, work=tmp_path / "work", topic="road tolls",
                     external_root=None, external=[], metrics_path=None, extra_gold=[extra], warn=lambda message: None)

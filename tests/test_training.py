"""Training helpers: motion direction of external data, C chosen inside the training documents,
external arguments weighted by a budget relative to the corpus."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import write_gold
from pipeline.evaluate import held_out_topics, stance_lodo
from pipeline.features import sentence_features, topic_lemmas
from pipeline.io import ArgmineError
from pipeline.training import (C_GRID, EXTERNAL_SETS, Example, choose_C, external_examples, fit, load_gold_set,
                               motion_direction, sample_weights)


@pytest.mark.parametrize("motion, direction", [
    ("We should subsidize journalism", 1),
    ("We should ban whaling", -1),
    ("Homeschooling should be banned", -1),
    ("Vaccination must be made compulsory", 1),
    ("Zoos should not be abolished", 1),
    ("We should not adopt atheism", -1),
])
def test_motion_direction(motion: str, direction: int) -> None:
    assert motion_direction(motion) == direction


def _examples(nlp) -> list[Example]:
    texts = {"pro": ["The policy strengthens stability.", "The plan helps families and improves lives."],
             "con": ["The policy is risky and costly.", "Critics warn the plan damages trade."],
             "neutral": ["The policy was introduced in 1990.", "The plan includes three stages."]}
    return [Example(f"doc{i}", "policy", label, sentence_features(nlp(t)[:], "policy"), t)
            for i in range(3) for label in texts for t in texts[label]]


def _external(nlp) -> list[Example]:
    pairs = [("pro", "It brings great benefits."), ("con", "It is harmful and costly.")] * 3
    return [Example(EXTERNAL_SETS[0], "it", label, sentence_features(nlp(t)[:], "it"), t) for label, t in pairs]


def test_fit_chooses_C_from_the_grid_and_is_deterministic(nlp) -> None:
    examples = _examples(nlp)
    assert choose_C(examples, None) in C_GRID
    first, second = fit(examples), fit(examples)
    assert first.C == second.C and first.temperature_ == second.temperature_
    assert (first.pipeline_.named_steps["classify"].coef_ == second.pipeline_.named_steps["classify"].coef_).all()


def test_external_examples_only_train_the_polarity_model(nlp) -> None:
    examples = _examples(nlp)
    external = _external(nlp)
    model = fit(examples + external, calibrate_on=examples)
    assert model.polarity is not None
    # The corpus model never saw the external sentences: its classes are still the corpus's three.
    assert set(model.classes_) == {"pro", "con", "neutral"}


def test_external_weight_is_a_budget_relative_to_the_corpus() -> None:
    weights = sample_weights(["pro", "pro", "con", "neutral"], 50, 0.2)
    corpus, external = weights[:4], weights[4:]
    assert np.allclose(corpus, [2 / 3, 2 / 3, 4 / 3, 4 / 3]) and np.isclose(corpus.sum(), 4)
    assert np.allclose(external, external[0]) and np.isclose(external.sum(), 0.2 * 4)
    assert sample_weights(["pro", "con"], 10, 0.0)[2:].sum() == 0


def test_weighted_external_arguments_enter_the_model(nlp) -> None:
    examples, external = _examples(nlp), _external(nlp)
    mixed = fit(examples + external, C=1.0, calibrate_on=examples, external_weight=0.3, stack_polarity=False)
    assert mixed.polarity is None and "w=harmful" in mixed.pipeline_.named_steps["vectorize"].vocabulary_
    alone = fit(examples + external, C=1.0, calibrate_on=examples, stack_polarity=False)
    assert "w=harmful" not in alone.pipeline_.named_steps["vectorize"].vocabulary_


def test_motion_words_are_masked_but_not_function_words() -> None:
    assert topic_lemmas("We should not expand NATO") == {"expand", "nato"}
    assert topic_lemmas("security alliances") == {"security", "alliance", "alliances"}
    assert topic_lemmas("sugar taxes") == {"sugar", "taxes", "tax"}
    assert topic_lemmas("farm subsidies and churches") == {"farm", "subsidies", "subsidy", "churches", "church"}


def write_argq(root: Path, rows: list[str]) -> None:
    """An ArgQ-30k file with these CSV rows."""
    folder = root / "ibm_argq_30k"
    folder.mkdir()
    header = "argument,topic,set,WA,MACE-P,stance_WA,stance_WA_conf"
    (folder / "arg_quality_rank_30k.csv").write_text("\n".join([header, *rows]) + "\n", "utf-8")


def test_argq_rows_take_the_split_and_the_motion_direction(nlp, tmp_path: Path) -> None:
    write_argq(tmp_path, ["Whaling destroys endangered species.,We should ban whaling,train,0.9,0.8,1,1",
                          "Zoos educate children.,We should abolish zoos,train,0.9,0.8,-1,1",
                          "Subsidies keep papers alive.,We should subsidize journalism,test,0.9,0.8,1,1"])
    train = external_examples(tmp_path, ["argq"], nlp)
    assert sorted((e.text, e.label, e.split) for e in train) == [
        ("Whaling destroys endangered species.", "con", "train"), ("Zoos educate children.", "pro", "train")]
    assert all("w=<topic>" in e.features.values for e in train)  # features toward each item's own motion
    assert [e.label for e in external_examples(tmp_path, ["argq"], nlp, split="test")] == ["pro"]


def test_held_out_topics_count_neutral_as_wrong(nlp) -> None:
    examples = _examples(nlp)
    extra = [replace(e, split="train") for e in _external(nlp)]
    test = [replace(e, split="test") for e in examples if e.label != "neutral"]
    test = [replace(e, group=name) for name in ("claim_stance", "perspectrum") for e in test]
    held = held_out_topics(examples, extra, test, external_weight=0.3)
    assert set(held["sets"]) == {"claim_stance", "perspectrum"}
    for h in held["sets"].values():
        assert h["n"] == 12 and 0 <= h["macro_f1"] <= 1 and 0 <= h["neutral_share"] <= 1 and "polarity_accuracy" in h
    assert np.isclose(held["macro_f1"], np.mean([h["macro_f1"] for h in held["sets"].values()]))
    with pytest.raises(ValueError):
        held_out_topics(examples, extra, [replace(e, split="train") for e in test])


def test_missing_public_data_is_a_clear_error(tmp_path, nlp) -> None:
    with pytest.raises(ArgmineError, match="cannot read the public data set claim_stance"):
        external_examples(tmp_path / "nowhere", ["claim_stance"], nlp)


def test_a_class_in_one_document_only_is_a_clear_error() -> None:
    from pipeline.features import Features
    from pipeline.io import ArgmineError
    from pipeline.training import Example, fit

    def example(group: str, label: str, i: int) -> Example:
        return Example(group, "topic", label, Features({f"w{i}": 1.0}, {}), f"text {i}")

    examples = [example(g, label, i) for i, (g, label) in enumerate(
        [("a", "con"), ("a", "pro"), ("a", "neutral"), ("b", "pro"), ("b", "neutral"), ("c", "pro"), ("c", "neutral")])]
    with pytest.raises(ArgmineError, match="no con sentence"):
        fit(examples, calibrate_on=examples)


def test_training_rows_that_overlap_a_test_topic_are_left_out(nlp, tmp_path: Path) -> None:
    write_argq(tmp_path, ["Whaling destroys endangered species.,We should ban whaling,train,0.9,0.8,1,1",
                          "Zoos educate children.,We should abolish zoos,train,0.9,0.8,-1,1",
                          "Subsidies keep papers alive.,We should subsidize journalism,train,0.9,0.8,1,1",
                          "Subsidies keep papers alive.,We should subsidize newspapers,test,0.9,0.8,1,1"])
    stance = tmp_path / "ibm_claim_stance"
    stance.mkdir()
    (stance / "claim_stance_clean.csv").write_text(
        "split,topicTarget,topicSentiment,claims.stance,claims.claimCorrectedText\n"
        "test,zoos,1,PRO,Zoos protect rare animals\n", "utf-8")
    train = external_examples(tmp_path, ["argq"], nlp)
    # The zoo motion is another set's test subject; the subsidy text is a test text.
    assert [e.text for e in train] == ["Whaling destroys endangered species."]


GOLD_SET_TEXTS = {
    "tolls.md": "## Road tolls\n\nTolls were introduced in 2003. Critics warn that tolls hurt poor commuters.\n",
    "solar.md": "## Solar subsidies\n\nSubsidies cut emissions and create jobs. The scheme has three tiers.\n",
}


def _gold_set(folder: Path, topics: dict[str, str]) -> Path:
    """A gold set folder: texts/, topics.json and claims.jsonl labelling every sentence neutral."""
    (folder / "texts").mkdir(parents=True)
    for name, text in GOLD_SET_TEXTS.items():
        (folder / "texts" / name).write_text(text, encoding="utf-8")
    (folder / "topics.json").write_text(json.dumps(topics), encoding="utf-8")
    write_gold(folder / "texts", folder / "claims.jsonl", lambda text: ("neutral", None))
    return folder


def test_gold_set_examples_take_each_document_s_own_topic(nlp, tmp_path: Path) -> None:
    folder = _gold_set(tmp_path / "set", {"tolls": "road tolls", "solar": "solar subsidies"})
    examples = load_gold_set(folder, nlp, root=folder / "work").examples()
    assert {(e.group, e.topic) for e in examples} == {("tolls", "road tolls"), ("solar", "solar subsidies")}
    assert len(examples) == 4
    tolls = next(e for e in examples if "hurt" in e.text)
    # The document's own topic is what gets masked.
    assert "w=<topic>" in tolls.features.values and "w=toll" not in tolls.features.values


def test_a_gold_set_without_a_document_s_topic_is_a_clear_error(nlp, tmp_path: Path) -> None:
    folder = _gold_set(tmp_path / "set", {"tolls": "road tolls"})
    with pytest.raises(ArgmineError, match=r"topics.json: no topic for solar"):
        load_gold_set(folder, nlp, root=folder / "work").examples()


def test_gold_of_other_texts_is_a_clear_error(nlp, tmp_path: Path) -> None:
    folder = _gold_set(tmp_path / "set", {"tolls": "road tolls", "solar": "solar subsidies"})
    for name in ("tolls", "solar"):  # the same files, other words
        path = next((folder / "texts").glob(f"{name}.*"))
        path.write_text("Something else entirely.\n", encoding="utf-8")
    with pytest.raises(ArgmineError, match=r"none of the 4 gold records matches a segment"):
        load_gold_set(folder, nlp, root=folder / "work").examples()


def test_extra_gold_documents_train_every_fold_but_are_never_tested(nlp) -> None:
    examples = _examples(nlp)
    also = [replace(e, group="other-" + e.group) for e in examples]
    result = stance_lodo(examples, [], also=also)
    assert result["n"] == len(examples) and result["folds"] == sorted({e.group for e in examples})


@pytest.mark.parametrize("change, problem", [
    (lambda r: {**r, "stance": "against"}, r"line 2: stance: 'against' is not one of"),
    (lambda r: {k: v for k, v in r.items() if k != "stance"}, r"line 2: record: 'stance' is a required property"),
    (lambda r: {**r, "stance": None}, r"line 2: stance: None is not of type"),
    (lambda r: {k: v for k, v in r.items() if k != "sent_id"}, r"line 2: record: 'sent_id' is a required property"),
])
def test_a_bad_gold_record_is_named_by_file_and_line(nlp, tmp_path: Path, change, problem: str) -> None:
    folder = _gold_set(tmp_path / "set", {"tolls": "road tolls", "solar": "solar subsidies"})
    records = [json.loads(line) for line in (folder / "claims.jsonl").read_text("utf-8").splitlines()]
    records[1] = change(records[1])
    (folder / "claims.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    with pytest.raises(ArgmineError, match=problem):
        load_gold_set(folder, nlp, root=folder / "work")


@pytest.mark.parametrize("topics, claims, problem", [
    ({"tolls": None, "solar": "solar subsidies"}, None, r"topics.json: expected an object of doc_id to topic"),
    ({"tolls": "road tolls", "solar": "solar subsidies"}, "", r"claims.jsonl: no gold records"),
])
def test_empty_gold_and_a_null_topic_are_clear_errors(nlp, tmp_path: Path, topics, claims, problem: str) -> None:
    folder = _gold_set(tmp_path / "set", {"tolls": "road tolls", "solar": "solar subsidies"})
    (folder / "topics.json").write_text(json.dumps(topics), "utf-8")
    if claims is not None:
        (folder / "claims.jsonl").write_text(claims, "utf-8")
    with pytest.raises(ArgmineError, match=problem):
        load_gold_set(folder, nlp, root=folder / "work")

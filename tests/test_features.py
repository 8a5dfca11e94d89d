"""Predicate features: what the main verb says, and whether it says it of the topic."""

from pipeline.features import sentence_features


def test_topic_subject_with_positive_predicate(nlp) -> None:
    feats = sentence_features(nlp("Carbon taxes strengthen incentives to invest.")[:], "carbon taxes")
    assert "topic_subject_pred_pos" in feats.values and "pred_pos" in feats.values


def test_prescription_takes_the_direction_of_its_verb(nlp) -> None:
    limit = sentence_features(nlp("Subsidies should be capped.")[:], "subsidies")
    assert "prescribe_neg" in limit.values
    grow = sentence_features(nlp("Health budgets must improve.")[:], "health budgets")
    assert "prescribe_pos" in grow.values


def test_definitions_and_descriptions_are_marked(nlp) -> None:
    definition = sentence_features(nlp("A tariff is a tax on imports.")[:], "tariffs")
    assert "definition" in definition.values and "not_evaluative" in definition.values
    described = sentence_features(nlp("The programme includes three stages.")[:], "programme")
    assert "descriptive" in described.values


def test_negated_predicate_flips(nlp) -> None:
    feats = sentence_features(nlp("The scheme does not improve outcomes.")[:], "scheme")
    assert "pred_neg" in feats.values

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


def test_the_side_reported_last_has_the_last_word(nlp) -> None:
    critics_last = sentence_features(nlp("Supporters argue that tolls cut traffic; critics warn that they are costly.")[:],
                                     "tolls")
    assert "last_word_con" in critics_last.values and "last_word_pro" not in critics_last.values
    assert "pol_neg_late" in critics_last.values  # ";" splits the sentence like "but"
    supporters_last = sentence_features(nlp("Critics call the targets arbitrary; supporters argue they are essential.")[:],
                                        "targets")
    assert "last_word_pro" in supporters_last.values
    one_side = sentence_features(nlp("Critics warn that tolls hurt the poor.")[:], "tolls")
    assert not any(name.startswith("last_word") for name in one_side.values)


def test_a_rebutted_criticism_is_marked(nlp) -> None:
    feats = sentence_features(nlp("The argument that tolls are unfair ignores the cost of congestion.")[:], "tolls")
    assert "rebuts_critics" in feats.values
    plain = sentence_features(nlp("Drivers ignore the signs.")[:], "tolls")
    assert "rebuts_critics" not in plain.values

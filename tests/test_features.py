"""Predicate features: what the main verb says, and whether it says it of the topic."""

import pytest

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


_LONG = ", and ".join(["Alliances matter because allies do not provide effective guarantees"]
                      + ["the alliance is not costly", "members never reduce the risk of war",
                         "it might not improve security"] * 4) + "."


@pytest.mark.parametrize("text, topic, start, values, evidence", [
    ("The plan is not effective.", "plan", None,
     {"pol_neg": 1.0, "pol_neg_all": 1.0, "pred_neg": 1.0, "topic_subject_pred_neg": 1.0, "pol_balance": -0.5},
     {"pol_neg": ["not effective"]}),
    ("The scheme does not improve outcomes.", "scheme", None,
     {"pol_neg": 1.0, "pol_neg_all": 1.0, "pred_neg": 1.0, "topic_subject_pred_neg": 1.0, "pol_balance": -0.5},
     {"pol_neg": ["not improve"]}),
    ("Allies never provide reliable guarantees.", "allies", None,
     {"pol_neg": 1.0, "pol_neg_all": 1.0, "pred_none": 1.0, "topic_subject_pred_none": 1.0, "pol_balance": -0.5},
     {"pol_neg": ["not reliable"]}),
    ("No member benefits from the pact.", "pact", None,
     {"pol_neg": 1.0, "pol_neg_all": 1.0, "pred_neg": 1.0, "pol_balance": -0.5}, {"pol_neg": ["not benefits"]}),
    ("Alliances reduce the risk of a costly war.", "alliances", None,
     {"pol_pos": 1.0, "pol_pos_all": 1.0, "pol_neg": 1.0, "pol_neg_all": 1.0, "pred_pos": 1.0,
      "topic_subject_pred_pos": 1.0, "pol_balance": 0.0},
     {"pol_pos": ["reduce risk"], "pol_neg": ["costly"]}),
    # A negator just before a sentence start does not reach into the next sentence.
    ("They did not. Strong allies help.", "allies", None,
     {"pol_pos": 2.0, "pol_pos_all": 2.0, "pred_none": 1.0, "topic_subject_pred_none": 1.0, "pol_balance": 2 / 3},
     {"pol_pos": ["Strong", "help"]}),
    # The segment after a speaker label: its parse tree starts outside the span.
    ("MR. KEANE: The treaty is not unfair, and it does not weaken sovereignty.", "treaty", "The treaty",
     {"pol_pos": 2.0, "pol_pos_all": 2.0, "pred_pos": 1.0, "topic_subject_pred_pos": 1.0, "pol_balance": 2 / 3},
     {"pol_pos": ["not unfair", "not weaken"]}),
    ("Critics warn that the pact is not effective, but supporters argue it hardly hurts anyone.", "pact", None,
     {"pol_neg": 1.0, "pol_neg_early": 1.0, "pred_none": 1.0, "pol_balance": -0.5}, {"pol_neg": ["not effective"]}),
    (_LONG, "alliances", None,
     {"pol_neg": 1.0, "pol_neg_all": 1.0, "pol_pos": 12.0, "pol_pos_all": 12.0, "pred_none": 1.0,
      "topic_subject_pred_none": 1.0, "pol_balance": 11 / 14},
     {"pol_neg": ["not effective"], "pol_pos": ["not costly", "not risk", "reduce improve"]}),
])
def test_negation_and_reducers_as_before(nlp, text: str, topic: str, start: str | None, values: dict[str, float],
                                         evidence: dict[str, list[str]]) -> None:
    # Expected values are those of the former quadratic negation check, which asked every
    # word's head for its children; negation is now looked up once per sentence.
    doc = nlp(text)
    span = doc[:] if start is None else doc.char_span(text.index(start), len(text), alignment_mode="expand")
    feats = sentence_features(span, topic)
    polar = {k: v for k, v in feats.values.items() if k.startswith(("pol_", "pred_", "topic_subject_", "prescribe_"))}
    assert polar == pytest.approx(values)
    assert {k: v for k, v in feats.evidence.items() if k in ("pol_pos", "pol_neg")} == evidence

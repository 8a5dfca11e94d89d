"""Training helpers: motion direction of external data, C chosen inside the training documents."""

import pytest

from pipeline.features import sentence_features
from pipeline.training import C_GRID, EXTERNAL_SETS, Example, choose_C, fit, motion_direction


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


def test_fit_chooses_C_from_the_grid_and_is_deterministic(nlp) -> None:
    examples = _examples(nlp)
    assert choose_C(examples, None) in C_GRID
    first, second = fit(examples), fit(examples)
    assert first.C == second.C and first.temperature_ == second.temperature_
    assert (first.pipeline_.named_steps["classify"].coef_ == second.pipeline_.named_steps["classify"].coef_).all()


def test_external_examples_only_train_the_polarity_model(nlp) -> None:
    examples = _examples(nlp)
    group = EXTERNAL_SETS[0]
    external = [Example(group, "it", label, sentence_features(nlp(t)[:], "it"), t)
                for label, t in [("pro", "It brings great benefits."), ("con", "It is harmful and costly.")] * 3]
    model = fit(examples + external, calibrate_on=examples)
    assert model.polarity is not None
    # The corpus model never saw the external sentences: its classes are still the corpus's three.
    assert set(model.classes_) == {"pro", "con", "neutral"}

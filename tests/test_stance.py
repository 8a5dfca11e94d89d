"""The stacked polarity model: fitted apart, saved without pickle, and credited with words."""

from pathlib import Path

import numpy as np
import pytest

from pipeline.features import sentence_features
from pipeline.stance import LABELS, POLARITY_FEATURE, PolarityModel, StanceModel

EXTERNAL = {"pro": ["It brings great benefits to everyone.", "It protects people and improves lives."],
            "con": ["It is harmful and costly.", "It wastes money and undermines trust."]}
CORPUS = {"pro": ["This policy strengthens stability.", "The plan helps families."],
          "con": ["This policy is risky.", "The plan damages trade."],
          "neutral": ["The policy was introduced in 1990.", "The plan includes three stages."]}


def _features(nlp, texts: dict[str, list[str]], topic: str) -> tuple[list, list[str]]:
    X = [sentence_features(nlp(t)[:], topic) for label in texts for t in texts[label]]
    return X, [label for label in texts for _ in texts[label]]


def test_polarity_model_needs_pro_and_con_only(nlp) -> None:
    X, y = _features(nlp, CORPUS, "policy")
    with pytest.raises(ValueError):
        PolarityModel(min_count=1).fit(X, y)


def test_stacked_model_saves_loads_and_explains(nlp, tmp_path: Path) -> None:
    Xe, ye = _features(nlp, EXTERNAL, "it")
    polarity = PolarityModel(C=10.0, min_count=1).fit(Xe * 3, ye * 3)
    assert list(polarity.predict(Xe)) == ye
    X, y = _features(nlp, CORPUS, "policy")
    model = StanceModel(C=10.0, min_count=1, polarity=polarity).fit(X * 3, y * 3)
    assert POLARITY_FEATURE in model.pipeline_.named_steps["vectorize"].vocabulary_
    proba = model.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0) and list(model.predict(X)) == y
    model.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.pkl"))
    loaded = StanceModel.load(tmp_path / "m")
    assert loaded.polarity is not None
    assert np.allclose(loaded.predict_proba(X), proba)
    cues = loaded.explain(X[2], "con")
    assert cues and all(cue in "This policy is risky." for cue in cues)
    assert set(LABELS) == set(loaded.classes_)

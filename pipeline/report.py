"""Stage 5, report: one self-contained HTML page over a run's JSON Lines, and terminal tables.

``build`` writes ``OUT/report.html``: a single file with inline CSS and inline SVG charts drawn
here, no script and nothing loaded from the network, so it opens offline and prints cleanly.
It reads whatever files the run has; a missing optional file (say ``themes.jsonl``) only leaves
its sections with a note saying which stage to run. Every string taken from the data is escaped.

``show_table`` gives the same content as plain-text tables for ``argmine show claims|themes``.
"""

from __future__ import annotations

import html
import math
import shutil
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from . import __version__
from .incremental import StageStamp, file_digest, refuse_stale
from .io import LABELS, OTHER, PRODUCED_BY, AtomicWriter, ArgmineError, read_jsonl

STANCE_COLOURS = {"pro": "#2166ac", "con": "#c4493a", "neutral": "#a8adb3"}
ENTITY_COLOURS = {
    "ALLIANCE": "#9ecae1", "TREATY": "#fdd0a2", "TREATY_ARTICLE": "#fdae6b", "GPE": "#c7e9c0",
    "LOC": "#d9f0a3", "ORG": "#dadaeb", "NORP": "#fcbba1", "EVENT": "#fde0ef", "PERSON": "#e5d8bd",
}
_FILES = ("documents", "sentences", "entities", "claims", "themes")
_COLUMNS = {
    "documents": ["doc_id", "path", "format", "title", "text"],
    "sentences": ["doc_id", "sent_id", "index", "kind", "text", "start", "end", "section", "speaker"],
    "entities": ["doc_id", "sent_id", "text", "label", "canonical", "start", "end", "source"],
    "claims": ["doc_id", "sent_id", "text", "topic", "stance", "confidence", "attributed_to", "cues", "model"],
    "themes": ["theme_id", "label", "description", "seeded", "keywords", "members", "size", "stance", "documents"],
}

e = html.escape
DOT = " \u00b7 "


# --------------------------------------------------------------------------- loading


# Each later file, the file its sent_ids must come from, and the command that remakes it.
_SOURCES = (("entities", "sentences", "entities"), ("claims", "sentences", "claims"), ("themes", "claims", "themes"))


def load_frames(out: Path) -> dict[str, pd.DataFrame]:
    """The run's records as DataFrames, one per JSONL file present.

    A run needs its documents; a later file that names sentences the earlier one no longer has
    is left from an earlier run (the corpus was segmented again), and would mix two runs.
    """
    if not (out / "documents.jsonl").is_file():
        raise ArgmineError(f"{out}: no documents.jsonl here; run `argmine segment CORPUS --out {out}` first")
    present = [name for name in _FILES if (out / f"{name}.jsonl").exists()]
    refuse_stale(out, {f"{name}.jsonl": file_digest(out / f"{name}.jsonl") for name in present})
    records = {name: list(read_jsonl(out / f"{name}.jsonl")) for name in present}
    for name, source, command in _SOURCES:
        if name in records and source in records:
            known = {r["sent_id"] for r in records[source]}
            used = [m for r in records[name] for m in (r["members"] if name == "themes" else [r["sent_id"]])]
            if any(m not in known for m in used):
                raise ArgmineError(f"{out / (name + '.jsonl')}: from an earlier run (it names sentences that "
                                   f"{source}.jsonl no longer has); run `argmine {command} {out}` again")
    return {name: pd.DataFrame(rows) for name, rows in records.items()}


def _frame(frames: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """``frames[name]`` with at least the contract's columns; empty when the file is absent."""
    frame = frames.get(name)
    frame = pd.DataFrame(columns=_COLUMNS[name]) if frame is None else frame.copy()
    for column in _COLUMNS[name]:
        if column not in frame.columns:
            frame[column] = None
    return frame


def _counts(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    claims = _frame(frames, "claims")
    themes = _frame(frames, "themes")
    return {
        "documents": len(frames.get("documents", [])),
        "segments": len(frames.get("sentences", [])),
        "claims": {s: int((claims["stance"] == s).sum()) for s in LABELS},
        "themes": int(((themes["size"] > 0) & (themes["theme_id"] != OTHER)).sum()) if len(themes) else 0,
    }


def summary(out: Path) -> dict[str, Any]:
    """Counts for the closing line of a run: documents, segments, claims by stance, themes; and
    under ``present`` the stages whose files the folder holds."""
    frames = load_frames(out)
    return {**_counts(frames), "present": sorted(frames)}


class _Run:
    """The joined views of one run that the report and the tables are made from."""

    def __init__(self, frames: dict[str, pd.DataFrame], out: Path = Path(".")) -> None:
        self.out = out
        self.frames = frames
        self.present = set(frames)
        self.documents = _frame(frames, "documents")
        self.sentences = _frame(frames, "sentences")
        self.entities = _frame(frames, "entities")
        self.themes = _frame(frames, "themes")
        claims = _frame(frames, "claims")
        claims["confidence"] = pd.to_numeric(claims["confidence"], errors="coerce").fillna(0.0)

        # Titles: the document's title, else its id (also for ids known only from later files).
        titles = {}
        for row in self.documents.itertuples():
            titles[row.doc_id] = row.title if isinstance(row.title, str) and row.title.strip() else row.doc_id
        for frame in (self.sentences, claims, self.entities):
            for doc_id in frame["doc_id"].dropna().unique():
                titles.setdefault(doc_id, doc_id)
        self.titles: dict[str, str] = titles
        self.doc_order = list(titles)

        # Each claim with its section (from sentences.jsonl) and its theme (from themes.jsonl).
        sections = self.sentences[["sent_id", "section"]].drop_duplicates("sent_id")
        claims = claims.drop(columns=["section"], errors="ignore").merge(sections, on="sent_id", how="left")
        self.membership = self._membership()
        claims = claims.merge(self.membership[["sent_id", "theme_id", "theme_label"]], on="sent_id", how="left")
        claims["title"] = claims["doc_id"].map(titles)
        self.claims = claims

        themes = self.themes
        themes["size"] = pd.to_numeric(themes["size"], errors="coerce").fillna(0).astype(int)
        for stance in LABELS:
            themes[stance] = [int((s or {}).get(stance, 0)) if isinstance(s, dict) else 0 for s in themes["stance"]]
        # Largest first, the catch-all last.
        themes["_other"] = themes["theme_id"] == OTHER
        self.themes = themes.sort_values(["_other", "size", "theme_id"], ascending=[True, False, True],
                                         kind="stable").reset_index(drop=True)

    def _membership(self) -> pd.DataFrame:
        columns = ["theme_id", "theme_label", "sent_id"]
        if not len(self.themes):
            return pd.DataFrame(columns=columns)
        m = self.themes[["theme_id", "label", "members"]].rename(columns={"label": "theme_label"})
        m = m.assign(members=m["members"].map(lambda v: list(v) if isinstance(v, (list, tuple)) else []))
        m = m.explode("members").dropna(subset=["members"]).rename(columns={"members": "sent_id"})
        return m[columns].drop_duplicates("sent_id").reset_index(drop=True)

    @property
    def topic(self) -> str | None:
        topics = self.claims["topic"].dropna()
        return str(topics.mode().iloc[0]) if len(topics) else None

    @property
    def models(self) -> list[str]:
        return sorted(str(m) for m in self.claims["model"].dropna().unique())

    def real_themes(self) -> pd.DataFrame:
        """Themes with at least one member; the catch-all ``other`` stays, last."""
        return self.themes[self.themes["size"] > 0]

    def theme_by_document(self) -> pd.DataFrame:
        """Counts of theme members per document: one row per theme, one column per document."""
        themes = self.real_themes()
        rows = {}
        for row in themes.itertuples():
            docs = row.documents if isinstance(row.documents, dict) else {}
            if not docs:  # fall back to the members themselves
                docs = self.claims[self.claims["theme_id"] == row.theme_id]["doc_id"].value_counts().to_dict()
            rows[row.theme_id] = {d: int(docs.get(d, 0)) for d in self.doc_order}
        table = pd.DataFrame.from_dict(rows, orient="index", columns=self.doc_order).fillna(0).astype(int)
        return table.reindex(list(themes["theme_id"]))


def _missing_note(name: str, what: str) -> str:
    stage = PRODUCED_BY.get(f"{name}.jsonl", name)
    return (f"<p class='note'>No {e(what)}: <code>{e(name)}.jsonl</code> is missing from this run. "
            f"Run <code>argmine {e(stage)}</code> to add it.</p>")


# --------------------------------------------------------------------------- small HTML helpers


def _short(text: Any, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _keywords(value: Any) -> list[str]:
    return [str(k) for k in value] if isinstance(value, (list, tuple)) else []


def _badge(stance: str) -> str:
    stance = str(stance)
    return f"<span class='badge {e(stance)}'>{e(stance)}</span>"


def _html_table(frame: pd.DataFrame, formatters: dict[str, Callable[[Any], str]] | None = None,
                numeric: tuple[str, ...] = (), cls: str = "t") -> str:
    """An HTML table from a DataFrame; cells are escaped unless a formatter (returning HTML) is given."""
    formatters = formatters or {}
    head = "".join(f"<th{' class=num' if c in numeric else ''}>{e(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row):
            content = formatters[column](value) if column in formatters else e("" if value is None else str(value))
            cells.append(f"<td{' class=num' if column in numeric else ''}>{content}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _where(row: Any, titles: dict[str, str] | None = None) -> str:
    """``Document title · Section`` for a claim row."""
    title = getattr(row, "title", None) or (titles or {}).get(row.doc_id, row.doc_id)
    parts = [f"<span class='doc'>{e(str(title))}</span>"]
    section = getattr(row, "section", None)
    if isinstance(section, str) and section.strip() and section.strip() != str(title).strip():
        parts.append(f"<span class='sec'>\u00a7 {e(section)}</span>")
    return " \u00b7 ".join(parts)


def _claim_html(row: Any, *, show_stance: bool = False) -> str:
    holder = row.attributed_to if isinstance(row.attributed_to, str) and row.attributed_to else None
    meta = [_where(row), f"confidence {row.confidence:.2f}"]
    if holder:
        meta.append(f"held by <b>{e(holder)}</b>")
    lead = _badge(row.stance) + " " if show_stance else ""
    return (f"<li class='claim {e(str(row.stance))}'><q>{lead}{e(str(row.text))}</q>"
            f"<div class='meta'>{DOT.join(meta)} <span class='id'>{e(str(row.sent_id))}</span></div></li>")


# --------------------------------------------------------------------------- SVG charts

_CHAR_W = 6.6  # average width of a 12px sans-serif character, for laying labels out


def _nice_step(maximum: float, ticks: int = 5) -> int:
    raw = max(maximum, 1) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1, int(factor * power))
    return max(1, int(10 * power))


def _svg_open(width: float, height: float, title: str, desc: str, ident: str) -> str:
    return (f"<svg class='chart' viewBox='0 0 {width:.0f} {height:.0f}' "
            f"width='{width:.0f}' height='{height:.0f}' role='img' aria-labelledby='{ident}-t {ident}-d'>"
            f"<title id='{ident}-t'>{e(title)}</title><desc id='{ident}-d'>{e(desc)}</desc>")


def stance_chart(rows: pd.DataFrame) -> str:
    """Horizontal stacked bars: one per theme (``label``), one segment per stance column."""
    stances = [s for s in LABELS if s in rows and rows[s].sum() > 0] or ["pro", "con"]
    labels = [_short(label, 30) for label in rows["label"]]
    left = min(230, max(80, max((len(label) for label in labels), default=5) * _CHAR_W + 16))
    width, bar_h, gap, top = 900, 20, 8, 34
    area = width - left - 48
    totals = rows[stances].sum(axis=1)
    maximum = max(int(totals.max()) if len(totals) else 1, 1)
    step = _nice_step(maximum)
    axis_max = step * math.ceil(maximum / step)
    scale = area / axis_max
    height = top + len(rows) * (bar_h + gap) + 30
    parts = [_svg_open(width, height, "Claims per theme by stance",
                       "Stacked bars: for each theme, how many of its claims are " + ", ".join(stances) + ".", "sc")]
    # legend
    x = left
    for stance in stances:
        parts.append(f"<rect x='{x}' y='6' width='12' height='12' rx='2' fill='{STANCE_COLOURS[stance]}'/>"
                     f"<text x='{x + 17}' y='16' class='lg'>{e(stance)}</text>")
        x += 17 + len(stance) * _CHAR_W + 22
    # grid and axis
    bottom = top + len(rows) * (bar_h + gap) - gap
    for tick in range(0, axis_max + 1, step):
        gx = left + tick * scale
        parts.append(f"<line x1='{gx:.1f}' y1='{top - 4}' x2='{gx:.1f}' y2='{bottom + 4}' class='grid'/>"
                     f"<text x='{gx:.1f}' y='{bottom + 18}' class='tick' text-anchor='middle'>{tick}</text>")
    for i, (row, label) in enumerate(zip(rows.itertuples(index=False), labels)):
        y = top + i * (bar_h + gap)
        full = str(row.label)
        parts.append(f"<text x='{left - 8}' y='{y + bar_h / 2 + 4}' text-anchor='end' class='lbl'>"
                     f"<title>{e(full)}</title>{e(label)}</text>")
        x = float(left)
        for stance in stances:
            n = int(getattr(row, stance))
            if n <= 0:
                continue
            w = n * scale
            parts.append(f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='{bar_h}' fill='{STANCE_COLOURS[stance]}'>"
                         f"<title>{e(full)}: {n} {e(stance)}</title></rect>")
            if w >= 9 + 7 * len(str(n)):
                fill = "#fff" if stance != "neutral" else "#222"
                parts.append(f"<text x='{x + w / 2:.1f}' y='{y + bar_h / 2 + 4}' text-anchor='middle' "
                             f"class='val' fill='{fill}'>{n}</text>")
            x += w
        total = int(sum(getattr(row, s) for s in stances))
        parts.append(f"<text x='{x + 6:.1f}' y='{y + bar_h / 2 + 4}' class='tot'>{total}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _blue(t: float) -> str:
    """A sequential colour from near-white (t=0) to dark blue (t=1)."""
    lo, hi = (239, 246, 252), (8, 58, 120)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(lo, hi))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(table: pd.DataFrame, row_labels: list[str], col_labels: list[str]) -> str:
    """A grid of counts: rows ``row_labels`` (themes) by columns ``col_labels`` (documents)."""
    rows = [_short(label, 30) for label in row_labels]
    cols = [_short(label, 30) for label in col_labels]
    n_rows, n_cols = table.shape
    left = min(230, max(80, max((len(r) for r in rows), default=5) * _CHAR_W + 16))
    cell_w = max(18, min(64, 480 / max(n_cols, 1)))
    cell_h = 22
    label_px = max((len(c) for c in cols), default=5) * _CHAR_W
    head = label_px * 0.71 + 16
    width = max(left + n_cols * cell_w + label_px * 0.71 + 16, left + 30 + min(200, max(120, n_cols * cell_w)) + 10)
    top = head
    height = top + n_rows * cell_h + 52
    maximum = max(int(table.values.max()) if table.size else 0, 1)
    parts = [_svg_open(width, height, "Theme coverage by document",
                       "Heatmap: how many claims of each theme each document contains; darker is more.", "hm")]
    for j, label in enumerate(cols):
        cx = left + j * cell_w + cell_w / 2
        parts.append(f"<text transform='translate({cx + 4:.1f},{top - 6:.1f}) rotate(-45)' class='lbl'>"
                     f"<title>{e(str(col_labels[j]))}</title>{e(label)}</text>")
    for i, label in enumerate(rows):
        y = top + i * cell_h
        parts.append(f"<text x='{left - 8}' y='{y + cell_h / 2 + 4}' text-anchor='end' class='lbl'>"
                     f"<title>{e(str(row_labels[i]))}</title>{e(label)}</text>")
        for j in range(n_cols):
            n = int(table.iat[i, j])
            t = n / maximum
            fill = _blue(0.08 + 0.92 * t) if n else "#f6f7f8"
            x = left + j * cell_w
            parts.append(f"<rect x='{x:.1f}' y='{y}' width='{cell_w - 2:.1f}' height='{cell_h - 2}' fill='{fill}'>"
                         f"<title>{e(str(row_labels[i]))} \u00d7 {e(str(col_labels[j]))}: {n}</title></rect>")
            if n and cell_w >= 16:
                colour = "#fff" if t > 0.5 else "#123"
                parts.append(f"<text x='{x + (cell_w - 2) / 2:.1f}' y='{y + cell_h / 2 + 3}' text-anchor='middle' "
                             f"class='val' fill='{colour}'>{n}</text>")
    # legend: a gradient from 0 to the largest count
    ly = top + n_rows * cell_h + 18
    lw = min(200, max(120, n_cols * cell_w))
    parts.append("<defs><linearGradient id='hm-grad' x1='0' x2='1' y1='0' y2='0'>"
                 + "".join(f"<stop offset='{k / 4:.2f}' stop-color='{_blue(0.08 + 0.92 * k / 4)}'/>" for k in range(5))
                 + "</linearGradient></defs>")
    gx = left + 30
    parts.append(f"<text x='{left - 8}' y='{ly + 10}' text-anchor='end' class='lg'>claims</text>"
                 f"<rect x='{left}' y='{ly}' width='18' height='12' fill='#f6f7f8' stroke='#ccc' stroke-width='.5'/>"
                 f"<text x='{left + 9}' y='{ly + 26}' class='tick' text-anchor='middle'>0</text>")
    if maximum > 1:
        parts.append(f"<rect x='{gx}' y='{ly}' width='{lw}' height='12' fill='url(#hm-grad)' stroke='#ccc' "
                     f"stroke-width='.5'/><text x='{gx}' y='{ly + 26}' class='tick'>1</text>"
                     f"<text x='{gx + lw}' y='{ly + 26}' class='tick' text-anchor='end'>{maximum}</text>")
    else:
        parts.append(f"<rect x='{gx}' y='{ly}' width='18' height='12' fill='{_blue(1.0)}'/>"
                     f"<text x='{gx + 9}' y='{ly + 26}' class='tick' text-anchor='middle'>1</text>")
    parts.append("</svg>")
    return "".join(parts)


def _share_bar(counts: dict[str, int], width: int = 520) -> str:
    """One thin 100% bar of the stance split, for the overview."""
    total = sum(counts.values())
    if not total:
        return ""
    parts = [_svg_open(width, 16, "Stance split", "Share of claims that are " + ", ".join(
        f"{k} {v}" for k, v in counts.items()), "sb")]
    x = 0.0
    for stance in LABELS:
        w = width * counts.get(stance, 0) / total
        if w > 0:
            parts.append(f"<rect x='{x:.1f}' y='0' width='{w:.1f}' height='16' fill='{STANCE_COLOURS[stance]}'/>")
        x += w
    return "".join(parts) + "</svg>"


# --------------------------------------------------------------------------- sections


def _section(ident: str, title: str, body: str, lead: str = "") -> str:
    lead_html = f"<p class='lead'>{lead}</p>" if lead else ""
    return f"<section id='{ident}'><h2>{e(title)}</h2>{lead_html}{body}</section>"


def _overview(run: _Run, counts: dict[str, Any]) -> str:
    by = counts["claims"]
    total = sum(by.values())
    cards = [("Documents", counts["documents"] or len(run.doc_order)), ("Segments", counts["segments"]),
             ("Claims", total), ("Pro", by["pro"]), ("Con", by["con"]), ("Neutral", by["neutral"]),
             ("Themes", counts["themes"]), ("Entities", run.entities["canonical"].nunique())]
    card_html = "".join(f"<div class='card {e(name.lower())}'><div class='n'>{value}</div>"
                        f"<div class='k'>{e(name)}</div></div>" for name, value in cards)
    if total:
        pct = {s: round(100 * by[s] / total) for s in LABELS}
        topic = run.topic
        toward = f" toward <b>{e(topic)}</b>" if topic else ""
        sentence = (f"Of {total} claims{toward}, {by['pro']} ({pct['pro']}%) are pro, {by['con']} ({pct['con']}%) "
                    f"are con and {by['neutral']} ({pct['neutral']}%) are neutral.")
        legend = "".join(f"<span class='key'><i style='background:{STANCE_COLOURS[s]}'></i>{s}</span>" for s in LABELS)
        split = f"<p>{sentence}</p><div class='share'>{_share_bar(by)}<div class='keys'>{legend}</div></div>"
    else:
        split = _missing_note("claims", "claims") if "claims" not in run.present else "<p>No claims.</p>"
    themes = run.real_themes()
    themes = themes[themes["theme_id"] != OTHER]
    if len(themes):
        top = themes.head(3)
        names = ", ".join(f"<b>{e(str(r.label))}</b> ({r.size})" for r in top.itertuples())
        split += f"<p>Largest themes: {names}.</p>"
    return _section("overview", "Overview", f"<div class='cards'>{card_html}</div>{split}")


def _charts(run: _Run) -> str:
    if "themes" not in run.present:
        return _section("charts", "Charts", _missing_note("themes", "themes to chart"))
    themes = run.real_themes()
    if not len(themes):
        return _section("charts", "Charts", "<p class='note'>No theme has any claims.</p>")
    bars = stance_chart(themes[["label", *LABELS]])
    table = run.theme_by_document()
    heat = heatmap(table, list(themes["label"]), [run.titles.get(d, d) for d in table.columns])
    body = (f"<figure>{bars}<figcaption>Claims per theme by stance. Each theme groups the pro and con claims "
            f"that argue about the same issue.</figcaption></figure>"
            f"<figure>{heat}<figcaption>Theme coverage by document: the number of each theme's claims in each "
            f"document.</figcaption></figure>")
    return _section("charts", "Charts", body)


def _key_points(run: _Run, per_side: int = 3) -> str:
    if "themes" not in run.present:
        return _section("themes", "Key points per theme", _missing_note("themes", "themes"))
    themes = run.real_themes()
    themes = themes[themes["theme_id"] != OTHER]
    if not len(themes):
        return _section("themes", "Key points per theme", "<p class='note'>No theme has any claims.</p>")
    blocks = []
    for theme in themes.itertuples():
        members = run.claims[run.claims["theme_id"] == theme.theme_id]
        kind = "seeded" if bool(theme.seeded) else "discovered"
        keywords = ", ".join(e(str(k)) for k in _keywords(theme.keywords)[:6])
        counts = " ".join(f"{_badge(s)} {getattr(theme, s)}" for s in LABELS if getattr(theme, s))
        columns = []
        for stance, heading in (("pro", "Strongest for"), ("con", "Strongest against")):
            side = members[members["stance"] == stance].sort_values(["confidence", "sent_id"], ascending=[False, True])
            items = "".join(_claim_html(r) for r in side.head(per_side).itertuples())
            items = f"<ol class='claims'>{items}</ol>" if items else f"<p class='note'>No {stance} claims.</p>"
            columns.append(f"<div class='side {stance}'><h4>{heading}</h4>{items}</div>")
        blocks.append(
            f"<article class='theme' id='theme-{e(str(theme.theme_id))}'><h3>{e(str(theme.label))} "
            f"<span class='kind'>{kind}</span></h3><p class='meta'>{theme.size} claims: {counts}"
            + (f" \u00b7 keywords: <i>{keywords}</i>" if keywords else "")
            + "</p>" + (f"<p class='meta'>{e(theme.description)}</p>"
                      if isinstance(theme.description, str) and theme.description else "")
            + f"<div class='sides'>{''.join(columns)}</div></article>")
    lead = "For each theme, the pro and con claims the model is most confident about."
    return _section("themes", "Key points per theme", "".join(blocks), lead)


def _positions(run: _Run) -> str:
    if "claims" not in run.present:
        return _section("positions", "Positions", _missing_note("claims", "claims"))
    held = run.claims[run.claims["attributed_to"].map(lambda v: isinstance(v, str) and bool(v.strip()))].copy()
    if not len(held):
        return _section("positions", "Positions", "<p class='note'>No claim is attributed to anyone "
                                                   "other than the authors.</p>")
    held["holder"] = held["attributed_to"].str.strip()
    table = held.pivot_table(index="holder", columns="stance", values="sent_id", aggfunc="count", fill_value=0)
    table = table.reindex(columns=list(LABELS), fill_value=0)
    table["total"] = table.sum(axis=1)
    table = table.reset_index().sort_values(["total", "holder"], ascending=[False, True])
    best = (held.sort_values(["confidence", "sent_id"], ascending=[False, True]).groupby("holder").head(1)
            .set_index("holder"))
    table["example"] = table["holder"]
    examples = {h: best.loc[h] for h in table["holder"]}

    def example(holder: str) -> str:
        row = examples[holder]
        return (f"{_badge(row['stance'])} {e(_short(row['text'], 220))}<div class='meta'>"
                f"{e(str(row['title']))}</div>")

    body = _html_table(table[["holder", *LABELS, "total", "example"]], {"example": example},
                       numeric=(*LABELS, "total"), cls="t positions")
    lead = ("Claims the text reports as someone else's position (\u201ccritics argue\u2026\u201d), by holder. "
            "The example is the holder's most confident claim.")
    return _section("positions", "Positions", body, lead)


def _displacy(text: str, ents: list[dict[str, Any]]) -> str:
    from spacy import displacy

    labels = {ent["label"] for ent in ents}
    colours = {label: ENTITY_COLOURS.get(html.unescape(label), "#e4e7eb") for label in labels}
    return displacy.render([{"text": text, "ents": ents, "title": None}], style="ent", manual=True,
                           page=False, jupyter=False, options={"colors": colours})


def _entities(run: _Run, limit: int = 40, examples: int = 5) -> str:
    if "entities" not in run.present:
        return _section("entities", "Entities", _missing_note("entities", "entities"))
    ents = run.entities
    if not len(ents):
        return _section("entities", "Entities", "<p class='note'>No entities were found.</p>")
    grouped = ents.groupby("canonical", sort=False)
    table = pd.DataFrame({
        "entity": grouped["canonical"].first(),
        "label": grouped["label"].agg(lambda s: s.mode().iloc[0]),
        "mentions": grouped.size(),
        "written as": grouped["text"].agg(lambda s: ", ".join(s.value_counts().index[:4])),
        "documents": grouped["doc_id"].agg(lambda s: list(dict.fromkeys(s))),
    }).sort_values(["mentions", "entity"], ascending=[False, True])
    shown = table.head(limit)

    def documents(ids: list[str]) -> str:
        return "<br>".join(e(_short(run.titles.get(d, d), 48)) for d in ids)

    body = _html_table(shown, {"documents": documents, "label": lambda v: f"<span class='lab'>{e(str(v))}</span>"},
                       numeric=("mentions",), cls="t entities")
    if len(table) > limit:
        body += f"<p class='note'>{len(table) - limit} more entities in <code>entities.jsonl</code>.</p>"

    # Example sentences: those naming the most distinct entities, drawn with displaCy.
    sentences = run.sentences.set_index("sent_id") if len(run.sentences) else None
    if sentences is not None:
        ranked = (ents.groupby("sent_id")["canonical"].nunique().rename("n").reset_index()
                  .sort_values(["n", "sent_id"], ascending=[False, True]))
        seen_docs: dict[str, int] = {}
        shown_html = []
        for sent_id in ranked["sent_id"]:
            if len(shown_html) >= examples or sent_id not in sentences.index:
                continue
            sent = sentences.loc[sent_id]
            if seen_docs.get(sent["doc_id"], 0) >= 2:  # spread the examples over the documents
                continue
            text, offset = str(sent["text"]), int(sent["start"])
            spans, last = [], 0
            for ent in ents[ents["sent_id"] == sent_id].sort_values("start").itertuples():
                start, end = int(ent.start) - offset, int(ent.end) - offset
                if start < last or end > len(text) or start >= end:
                    continue  # overlapping or out of the sentence: skip rather than misdraw
                spans.append({"start": start, "end": end, "label": e(str(ent.label))})
                last = end
            if not spans:
                continue
            seen_docs[sent["doc_id"]] = seen_docs.get(sent["doc_id"], 0) + 1
            section = sent.get("section")
            where = e(run.titles.get(sent["doc_id"], sent["doc_id"]))
            if isinstance(section, str) and section and section != run.titles.get(sent["doc_id"]):
                where += f" \u00b7 \u00a7 {e(section)}"
            shown_html.append(f"<div class='ex'>{_displacy(text, spans)}<div class='meta'>{where}</div></div>")
        if shown_html:
            body += "<h3>In context</h3>" + "".join(shown_html)
    lead = "Alliances, treaties, articles, places and groups named in the texts; one row per real-world thing."
    return _section("entities", "Entities", body, lead)


def _documents(run: _Run) -> str:
    if not run.doc_order:
        return _section("documents", "Per document", _missing_note("documents", "documents"))
    seg_counts = run.sentences.groupby("doc_id").size().to_dict()
    docs = run.documents.set_index("doc_id") if len(run.documents) else None
    blocks = []
    for doc_id in run.doc_order:
        claims = run.claims[run.claims["doc_id"] == doc_id]
        by = {s: int((claims["stance"] == s).sum()) for s in LABELS}
        meta = [f"<code>{e(doc_id)}</code>"]
        if docs is not None and doc_id in docs.index:
            path, fmt = docs.at[doc_id, "path"], docs.at[doc_id, "format"]
            if isinstance(path, str):
                meta.append(e(path))
            if isinstance(fmt, str):
                meta.append(e(fmt))
        stats = (f"{seg_counts.get(doc_id, 0)} segments \u00b7 {len(claims)} claims: "
                 + " ".join(f"{_badge(s)} {by[s]}" for s in LABELS))
        lines = [f"<p class='meta'>{DOT.join(meta)}</p>", f"<p>{stats}</p>"]
        themed = claims.dropna(subset=["theme_id"])
        themed = themed[themed["theme_id"] != OTHER]
        if len(themed):
            top = themed.groupby(["theme_id", "theme_label"]).size().sort_values(ascending=False, kind="stable").head(3)
            names = ", ".join(f"{e(str(label))} ({n})" for (_, label), n in top.items())
            lines.append(f"<p>Top themes: {names}</p>")
        picks = []
        for stance in ("pro", "con"):
            side = claims[claims["stance"] == stance].sort_values(["confidence", "sent_id"], ascending=[False, True])
            if len(side):
                picks.append(_claim_html(next(side.head(1).itertuples()), show_stance=True))
        if picks:
            lines.append(f"<ul class='claims'>{''.join(picks)}</ul>")
        blocks.append(f"<article class='doc' id='doc-{e(doc_id)}'><h3>{e(run.titles[doc_id])}</h3>"
                      f"{''.join(lines)}</article>")
    return _section("documents", "Per document", "".join(blocks),
                    "Each document's stance split, its main themes and its most confident pro and con claim.")


CSS = """
:root{--pro:#2166ac;--con:#c4493a;--neu:#a8adb3;--ink:#1d2329;--mute:#5f6b76;--line:#dfe3e8;--bg:#f6f7f9}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);
 margin:0;background:#fff}
main{max-width:64rem;margin:0 auto;padding:1.5rem 1.5rem 3rem}
header.top{border-bottom:3px solid var(--ink);margin-bottom:1rem;padding-bottom:.6rem}
header.top h1{margin:0;font-size:1.75rem;line-height:1.2}
header.top p{margin:.2rem 0 0;color:var(--mute)}
nav.toc{font-size:.9rem;margin:.4rem 0 1.2rem}nav.toc a{color:var(--pro);margin-right:1rem;text-decoration:none}
h2{font-size:1.35rem;margin:2.2rem 0 .6rem;padding-bottom:.2rem;border-bottom:1px solid var(--line)}
h3{font-size:1.08rem;margin:1.2rem 0 .3rem}h4{margin:.3rem 0;font-size:.8rem;text-transform:uppercase;
 letter-spacing:.04em;color:var(--mute)}
p.lead{color:var(--mute);margin-top:0}.note{color:var(--mute);font-style:italic}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg);padding:0 .25em;
 border-radius:3px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(7rem,1fr));gap:.6rem;margin:.6rem 0 1rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem;background:var(--bg)}
.card .n{font-size:1.6rem;font-weight:700;line-height:1.1}.card .k{color:var(--mute);font-size:.8rem}
.card.pro .n{color:var(--pro)}.card.con .n{color:var(--con)}.card.neutral .n{color:#6c757d}
.share svg{display:block;width:100%;max-width:520px;height:16px;border-radius:3px}
.keys{font-size:.8rem;color:var(--mute);margin-top:.3rem}.key{margin-right:1rem}
.key i{display:inline-block;width:.7rem;height:.7rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
figure{margin:1rem 0 1.6rem}figcaption{font-size:.85rem;color:var(--mute);margin-top:.3rem}
svg.chart{max-width:100%;height:auto;font-family:inherit}
svg.chart text{font-size:12px}svg.chart .lbl,svg.chart .lg{fill:#1d2329}svg.chart .tick{fill:#5f6b76;font-size:11px}
svg.chart .grid{stroke:#e6e9ed;stroke-width:1}svg.chart .val{font-size:11px;font-weight:600}
svg.chart .tot{fill:#5f6b76;font-size:11px}
.badge{display:inline-block;font-size:.72rem;font-weight:600;padding:0 .4em;border-radius:3px;color:#fff;
 line-height:1.5;vertical-align:1px}
.badge.pro{background:var(--pro)}.badge.con{background:var(--con)}.badge.neutral{background:#868e96}
article.theme,article.doc{border:1px solid var(--line);border-radius:6px;padding:.4rem 1rem .8rem;margin:.8rem 0}
article.theme h3,article.doc h3{margin-top:.5rem}
.kind{font-size:.7rem;font-weight:500;color:var(--mute);border:1px solid var(--line);border-radius:3px;
 padding:0 .35em;vertical-align:2px}
.meta{color:var(--mute);font-size:.82rem}.meta .doc{font-weight:600;color:#3a444d}.id{opacity:.6;font-size:.75rem}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:1.2rem}
.side.pro h4{color:var(--pro)}.side.con h4{color:var(--con)}
ol.claims,ul.claims{margin:.2rem 0;padding-left:1.2rem}li.claim{margin:.45rem 0}
li.claim q{quotes:none}li.claim{border-left:3px solid var(--neu);padding-left:.5rem;list-style:none;margin-left:-1.2rem}
li.claim.pro{border-left-color:var(--pro)}li.claim.con{border-left-color:var(--con)}
table.t{border-collapse:collapse;width:100%;font-size:.88rem;margin:.4rem 0}
table.t th{text-align:left;font-size:.75rem;text-transform:uppercase;letter-spacing:.03em;color:var(--mute);
 border-bottom:2px solid var(--line);padding:.3rem .5rem}
table.t td{padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
table.t .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.positions td:first-child{font-weight:600;white-space:nowrap}
.lab{font:.75rem ui-monospace,Menlo,Consolas,monospace}
.ex{border-left:3px solid var(--line);padding:.1rem 0 .3rem .8rem;margin:.6rem 0}
.ex .entities{line-height:2.3!important}.ex mark.entity{white-space:nowrap}
footer{margin-top:3rem;border-top:1px solid var(--line);padding-top:.6rem;color:var(--mute);font-size:.8rem}
@media (max-width:720px){.sides{grid-template-columns:1fr}}
@page{size:A4;margin:16mm 14mm}
@media print{
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{font-size:10.5pt}main{max-width:none;padding:0}
 nav.toc{display:none}
 h2{break-after:avoid;page-break-after:avoid;margin-top:1.2rem}h3,h4{break-after:avoid;page-break-after:avoid}
 figure,article.theme,article.doc,.ex,li.claim,tr,.cards{break-inside:avoid;page-break-inside:avoid}
 #charts,#themes,#positions,#entities,#documents{break-before:page;page-break-before:always}
 a{color:inherit;text-decoration:none}
 svg.chart{max-height:24cm}
}
"""


def build(out: Path) -> tuple[Path, bool]:
    """Write ``out/report.html``; return its path and whether it was up to date (nothing is done
    when the JSONL and code are as when it was last written)."""
    path = out / "report.html"
    stamp = StageStamp(out, "report", inputs=[out / f"{name}.jsonl" for name in _FILES], outputs=[path], settings={})
    if stamp.fresh() is not None:
        return path, True
    stamp.check_sources()
    frames = load_frames(out)
    run = _Run(frames, out)
    counts = _counts(frames)
    sections = [_overview(run, counts), _charts(run), _key_points(run), _positions(run), _entities(run),
                _documents(run)]
    toc = [("overview", "Overview"), ("charts", "Charts"), ("themes", "Key points"), ("positions", "Positions"),
           ("entities", "Entities"), ("documents", "Per document")]
    nav = "".join(f"<a href='#{ident}'>{e(name)}</a>" for ident, name in toc)
    topic = run.topic
    # Nothing from the run's folder or the clock: the same JSONL gives the same bytes.
    n_docs = counts["documents"] or len(run.doc_order)
    subtitle = f"Stance toward <b>{e(topic)}</b> in " if topic else "Arguments in "
    subtitle += _plural(n_docs, "document")
    present = ", ".join(f"{name}.jsonl" for name in _FILES if name in frames) or "none"
    missing = [f"{name}.jsonl" for name in _FILES if name not in frames]
    footer = (f"Generated by argmine {e(__version__)} from {e(present)}"
              + (f"; missing: {e(', '.join(missing))}" if missing else "")
              + (f". Stance model: {e(', '.join(run.models))}" if run.models else "") + ".")
    title = f"argmine report \u2014 {topic}" if topic else "argmine report"
    page = ("<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>"
            f"<header class='top'><h1>Argument report</h1><p>{subtitle}</p></header>"
            f"<nav class='toc'>{nav}</nav>" + "".join(sections) + f"<footer>{footer}</footer></main></body></html>\n")
    with AtomicWriter(path) as handle:
        handle.write(page)
    stamp.save({})
    return path, False


# --------------------------------------------------------------------------- terminal tables


def _require(run: _Run, name: str) -> None:
    if name not in run.present:
        stage = PRODUCED_BY[f"{name}.jsonl"]
        raise ArgmineError(f"{run.out / name}.jsonl: missing; run `argmine {stage}` first")


def _filtered_claims(run: _Run, *, stance: str | None, theme: str | None, doc: str | None,
                     entity: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The claims that pass every filter given, and a description of the filters."""
    claims, described = run.claims, []
    if stance is not None:
        if stance not in LABELS:
            raise ArgmineError(f"--stance {stance}: expected one of {', '.join(LABELS)}")
        claims = claims[claims["stance"] == stance]
        described.append(f"stance {stance}")
    if theme is not None:
        _require(run, "themes")
        wanted = theme.strip().lower()
        hits = run.themes[(run.themes["theme_id"].str.lower() == wanted) | (run.themes["label"].str.lower() == wanted)]
        if not len(hits):
            known = ", ".join(run.themes["theme_id"])
            raise ArgmineError(f"--theme {theme}: no such theme id or label; themes: {known}")
        ids = set(hits["theme_id"])
        claims = claims[claims["theme_id"].isin(ids)]
        described.append(f"theme {', '.join(sorted(ids))}")
    if doc is not None:
        if doc not in run.titles:
            raise ArgmineError(f"--doc {doc}: no such document; documents: {', '.join(run.doc_order)}")
        claims = claims[claims["doc_id"] == doc]
        described.append(f"document {doc}")
    if entity is not None:
        _require(run, "entities")
        wanted = entity.strip().lower()
        ents = run.entities
        hits = ents[(ents["canonical"].str.lower() == wanted) | (ents["text"].str.lower() == wanted)]
        if not len(hits):
            raise ArgmineError(f"--entity {entity}: no entity with that id or name in this run")
        claims = claims[claims["sent_id"].isin(set(hits["sent_id"]))]
        described.append(f"entity {', '.join(sorted(set(hits['canonical'])))}")
    return claims, described


def _width() -> int:
    return max(80, shutil.get_terminal_size((160, 24)).columns)


def _to_string(frame: pd.DataFrame) -> str:
    """The frame as text, its text columns left-aligned and numbers right-aligned."""
    frame = frame.copy()
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        values = frame[column].astype(str)
        size = max(values.map(len).max(), len(str(column)))
        frame[column] = values.map(lambda v, n=size, right=numeric: v.rjust(n) if right else v.ljust(n))
    width = _width()
    with pd.option_context("display.max_colwidth", 200, "display.width", width):
        text = frame.to_string(index=False, justify="left", line_width=width)
    return "\n".join(line.rstrip() for line in text.splitlines())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def show_table(out: Path, what: str, *, stance: str | None = None, theme: str | None = None,
               doc: str | None = None, entity: str | None = None) -> str:
    """A printable table of the run in ``out``: ``claims`` (filtered) or ``themes`` (stance counts, coverage)."""
    if what not in ("claims", "themes"):
        raise ArgmineError(f"show {what}: expected claims or themes")
    run = _Run(load_frames(out), out)
    _require(run, "claims")
    if what == "themes":
        _require(run, "themes")
    claims, described = _filtered_claims(run, stance=stance, theme=theme, doc=doc, entity=entity)
    where = f" ({'; '.join(described)})" if described else ""

    if what == "claims":
        if not len(claims):
            return f"0 claims{where}"
        claims = claims.sort_values(["doc_id", "sent_id"])
        table = pd.DataFrame({
            "sent_id": claims["sent_id"],
            "stance": claims["stance"],
            "conf": claims["confidence"].map(lambda c: f"{c:.2f}"),
        })
        if "themes" in run.present:
            table["theme"] = claims["theme_id"].fillna("-")
        table["held by"] = claims["attributed_to"].map(lambda v: v if isinstance(v, str) and v else "-")
        table["text"] = claims["text"].map(lambda t: _short(t, 80))
        return f"{_plural(len(table), 'claim')}{where}\n\n" + _to_string(table)

    themed = claims.dropna(subset=["theme_id"])
    filtered = bool(described)
    rows = []
    for t in run.themes.itertuples():
        members = themed[themed["theme_id"] == t.theme_id]
        if filtered and not len(members):
            continue
        counts = {s: int((members["stance"] == s).sum()) for s in LABELS}
        rows.append({"theme_id": t.theme_id, "label": _short(t.label, 32), "seeded": "yes" if t.seeded else "no",
                     "size": len(members), **counts,
                     "keywords": _short(", ".join(_keywords(t.keywords)[:3]), 40)})
    if not rows:
        return f"0 themes{where}"
    table = pd.DataFrame(rows)
    if filtered:
        table = table.sort_values(["size", "theme_id"], ascending=[False, True], kind="stable")
    coverage = (themed.pivot_table(index="doc_id", columns="theme_id", values="sent_id", aggfunc="count", fill_value=0)
                .reindex(columns=list(table["theme_id"]), fill_value=0))
    docs = [d for d in run.doc_order if d in coverage.index]
    coverage = coverage.reindex(docs).astype(int)
    coverage.index.name = "document"
    coverage.columns.name = None
    # Counted as the summary counts them: themes with claims, ``other`` apart.
    real = table[(table["theme_id"] != OTHER) & (table["size"] > 0)]
    other = " and other" if (table["theme_id"] == OTHER).any() else ""
    text = f"{_plural(len(real), 'theme')}{other}{where}\n\n" + _to_string(table)
    if len(coverage):
        with pd.option_context("display.width", _width()):
            text += "\n\nclaims per document and theme\n\n" + coverage.to_string(line_width=_width())
    return text

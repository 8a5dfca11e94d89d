"""The report: one self-contained HTML page (checked as text and in a real headless browser), and the
terminal tables of ``argmine show claims|themes``."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import report
from pipeline.cli import main

SECTIONS = {"overview": "Overview", "charts": "Charts", "themes": "Key points per theme",
            "positions": "Positions", "entities": "Entities", "documents": "Per document"}
EVIL = "<script>alert('x')</script><b>&amp;"


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


@pytest.fixture(scope="module")
def page(tiny_run: Path) -> str:
    return report.build(tiny_run)[0].read_text("utf-8")


@pytest.fixture()
def run_copy(tiny_run: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny run that a test may change."""
    out = tmp_path / "run"
    shutil.copytree(tiny_run, out, ignore=shutil.ignore_patterns(".cache", "report.html"))
    return out


# --------------------------------------------------------------------------- the HTML


def test_report_has_every_section(page: str) -> None:
    assert page.startswith("<!doctype html>")
    for ident, title in SECTIONS.items():
        assert re.search(rf"<section id='{ident}'><h2>{re.escape(title)}</h2>", page), ident
        assert f"href='#{ident}'" in page
    assert "<meta charset='utf-8'>" in page and "@media print" in page


def test_report_is_self_contained(page: str) -> None:
    assert "<script" not in page.lower()
    assert not re.search(r"""\b(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page.lower() and "@import" not in page and "<iframe" not in page.lower()
    assert page.count("<style>") == 1


def test_report_draws_both_charts_as_inline_svg(page: str) -> None:
    charts = re.findall(r"<svg class='chart'.*?</svg>", page, re.S)
    titles = [re.search(r"<title id='[^']+'>([^<]+)</title>", svg).group(1) for svg in charts]
    assert "Claims per theme by stance" in titles and "Theme coverage by document" in titles
    bars = charts[titles.index("Claims per theme by stance")]
    heat = charts[titles.index("Theme coverage by document")]
    assert bars.count("<rect") >= 2 and ">pro</text>" in bars and ">con</text>" in bars  # bars and a legend
    assert "linearGradient" in heat and heat.count("<rect") >= 2                      # cells and a legend


def test_report_key_points_name_document_and_section(tiny_run: Path, page: str) -> None:
    claims = {c["sent_id"]: c for c in _records(tiny_run / "claims.jsonl")}
    sections = {s["sent_id"]: s["section"] for s in _records(tiny_run / "sentences.jsonl")}
    themes = [t for t in _records(tiny_run / "themes.jsonl") if t["size"] and t["theme_id"] != "other"]
    assert themes
    for theme in themes:
        assert f"id='theme-{theme['theme_id']}'" in page
        members = [claims[s] for s in theme["members"] if s in claims]
        for stance in ("pro", "con"):
            side = sorted((c for c in members if c["stance"] == stance), key=lambda c: (-c["confidence"], c["sent_id"]))
            if side:
                assert report.html.escape(side[0]["text"]) in page
    with_section = [s for s, sec in sections.items() if sec and s in claims]
    assert any(f"\u00a7 {report.html.escape(sections[s])}" in page for s in with_section)


def test_report_entities_use_displacy_marks(tiny_run: Path, page: str) -> None:
    entities = _records(tiny_run / "entities.jsonl")
    assert entities
    assert "<mark class=\"entity\"" in page
    for canonical in {e["canonical"] for e in entities}:
        assert f"<td>{report.html.escape(canonical)}</td>" in page


def test_report_escapes_text_from_the_data(run_copy: Path) -> None:
    claims = _records(run_copy / "claims.jsonl")
    top = max(claims, key=lambda c: c["confidence"])
    top["text"] = EVIL + top["text"]
    for claim in claims:
        if claim["stance"] != "neutral":
            claim["attributed_to"] = EVIL
            break
    _write(run_copy / "claims.jsonl", claims)
    docs = _records(run_copy / "documents.jsonl")
    docs[0]["title"] = EVIL
    _write(run_copy / "documents.jsonl", docs)
    themes = _records(run_copy / "themes.jsonl")
    themes[0]["label"] = EVIL
    _write(run_copy / "themes.jsonl", themes)
    entities = _records(run_copy / "entities.jsonl")
    entities[0]["label"] = "<i>LAB"
    entities[0]["canonical"] = EVIL
    _write(run_copy / "entities.jsonl", entities)

    page = report.build(run_copy)[0].read_text("utf-8")
    assert "<script" not in page and "<b>&amp;" not in page and "<i>LAB" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;&amp;amp;" in page
    assert "&lt;i&gt;LAB" in page


def test_report_works_without_the_optional_files(run_copy: Path) -> None:
    for name in ("themes", "entities"):
        (run_copy / f"{name}.jsonl").unlink()
    page = report.build(run_copy)[0].read_text("utf-8")
    for ident in SECTIONS:
        assert f"<section id='{ident}'>" in page
    assert "<code>argmine themes</code>" in page and "<code>argmine entities</code>" in page
    assert "Claims per theme by stance" not in page and "Theme coverage by document" not in page
    (run_copy / "claims.jsonl").unlink()
    page = report.build(run_copy)[0].read_text("utf-8")
    assert "<code>argmine claims</code>" in page


def test_show_summary_says_which_stages_have_not_run(run_copy: Path) -> None:
    for name in ("themes", "claims"):
        (run_copy / f"{name}.jsonl").unlink()
        result = CliRunner().invoke(main, ["show", "summary", str(run_copy)])
        assert result.exit_code == 0, result.output
        assert "themes: not run yet" in result.output and "0 themes" not in result.output
    assert "claims: not run yet" in result.output and "0 pro" not in result.output


def test_report_and_show_refuse_a_folder_without_a_run(tmp_path: Path) -> None:
    for args in (["report", str(tmp_path / "none")], ["show", "summary", str(tmp_path)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and "no documents.jsonl here" in result.output, result.output
    assert not (tmp_path / "none").exists()


def test_report_refuses_outputs_left_from_an_earlier_run(run_copy: Path) -> None:
    sentences = _records(run_copy / "sentences.jsonl")
    _write(run_copy / "sentences.jsonl", [s for s in sentences if s["doc_id"] != sentences[-1]["doc_id"]])
    result = CliRunner().invoke(main, ["report", str(run_copy)])
    assert result.exit_code == 1 and "entities.jsonl: from an earlier run" in result.output, result.output
    assert "argmine entities" in result.output


# --------------------------------------------------------------------------- terminal tables


def _rows(table: str, column: str) -> list[str]:
    """The values of one column of a ``show_table`` listing (header line after the blank line)."""
    lines = table.split("\n\n")[1].splitlines()
    header = lines[0]
    start = header.index(column)
    return [line[start:].split()[0] for line in lines[1:] if line.strip()]


def test_show_claims_filters_by_stance(tiny_run: Path) -> None:
    claims = _records(tiny_run / "claims.jsonl")
    for stance in ("pro", "con", "neutral"):
        expected = [c["sent_id"] for c in claims if c["stance"] == stance]
        result = CliRunner().invoke(main, ["show", "claims", str(tiny_run), "--stance", stance])
        assert result.exit_code == 0, result.output
        if not expected:
            assert result.output.startswith("0 claims")
            continue
        assert set(_rows(result.output, "stance")) == {stance}
        assert sorted(_rows(result.output, "sent_id")) == sorted(expected)


def test_show_claims_filters_by_doc_theme_and_entity(tiny_run: Path) -> None:
    claims = _records(tiny_run / "claims.jsonl")
    doc = claims[0]["doc_id"]
    table = report.show_table(tiny_run, "claims", doc=doc)
    assert sorted(_rows(table, "sent_id")) == sorted(c["sent_id"] for c in claims if c["doc_id"] == doc)

    theme = next(t for t in _records(tiny_run / "themes.jsonl") if t["size"])
    for key in (theme["theme_id"], theme["label"].upper()):
        table = report.show_table(tiny_run, "claims", theme=key)
        assert sorted(_rows(table, "sent_id")) == sorted(theme["members"])

    entity = _records(tiny_run / "entities.jsonl")[0]
    sent_ids = {e["sent_id"] for e in _records(tiny_run / "entities.jsonl") if e["canonical"] == entity["canonical"]}
    expected = sorted(c["sent_id"] for c in claims if c["sent_id"] in sent_ids)
    by_id = report.show_table(tiny_run, "claims", entity=entity["canonical"])
    by_text = report.show_table(tiny_run, "claims", entity=entity["text"].swapcase())
    if expected:
        assert sorted(_rows(by_id, "sent_id")) == expected
        assert set(expected) <= set(_rows(by_text, "sent_id"))
    else:
        assert by_id.startswith("0 claims")


def test_show_themes_counts_stances_and_coverage(tiny_run: Path) -> None:
    themes = _records(tiny_run / "themes.jsonl")
    result = CliRunner().invoke(main, ["show", "themes", str(tiny_run)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for theme in themes:
        row = next(line for line in lines if line.startswith(theme["theme_id"] + " "))
        numbers = [int(n) for n in re.findall(r"\s(\d+)(?=\s)", row + " ")[:4]]
        assert numbers == [theme["size"], theme["stance"]["pro"], theme["stance"]["con"], theme["stance"]["neutral"]]
    assert "claims per document and theme" in result.output
    assert lines[0].startswith(f"{report.summary(tiny_run)['themes']} theme")  # counted as the summary counts
    docs_with_themes = {d for t in themes for d in t["documents"]}
    for doc in docs_with_themes:
        assert any(line.startswith(doc + " ") for line in lines), doc

    con = report.show_table(tiny_run, "themes", stance="con")
    assert con.startswith("0 themes") or all(
        int(n) == 0 for n in _rows(con, "pro")) and all(int(n) == 0 for n in _rows(con, "neutral"))


def test_show_unknown_filter_is_a_one_line_error(tiny_run: Path) -> None:
    result = CliRunner().invoke(main, ["show", "claims", str(tiny_run), "--theme", "no-such-theme"])
    assert result.exit_code != 0 and "no such theme" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["show", "themes", str(tiny_run), "--stance", "maybe"])
    assert result.exit_code != 0


@pytest.mark.parametrize("command", ["claims", "themes"])
def test_show_commands_have_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(main, ["show", command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output
    for option in ("--stance", "--theme", "--doc", "--entity"):
        assert option in result.output


# --------------------------------------------------------------------------- a real browser


def _png_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    """Decode an 8-bit, non-interlaced RGB(A)/grey PNG: width, height, bytes per pixel, raw pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (0, 2, 4, 6)
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    pixels = bytearray()
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels += line
        prev = line
    return width, height, bpp, bytes(pixels)


def _chromium() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def test_report_renders_in_headless_chromium(page: str, tiny_run: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (CI installs it in .ci/run)")
    target = (tiny_run / "report.html").resolve()
    shot = tmp_path / "shot.png"
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--window-size=1280,2000", "--enable-logging=stderr", "--v=0"]
    command = [*flags, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", target.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    console = [line for line in done.stderr.splitlines()
               if "Uncaught" in line or ":CONSOLE" in line or "Failed to load resource" in line]
    assert not console, "\n".join(console)
    assert shot.exists(), done.stderr[-2000:]
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few KB

    width, height, bpp, pixels = _png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    colours = {pixels[i:i + 3] for i in range(0, len(pixels), bpp * 7)}
    assert len(colours) > 50, "the screenshot is (nearly) one colour"
    # The stance colour of the charts and the overview bar is on screen: the SVG was drawn.
    pro = bytes(int(report.STANCE_COLOURS["pro"][k:k + 2], 16) for k in (1, 3, 5))
    assert pro in colours or pro in pixels[: 1280 * 900 * bpp]

    dom = subprocess.run([*flags, f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", target.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert "<section id=\"charts\">" in dom and "<svg" in dom

"""Issue 8, hardening: bad input files, killed runs, damaged intermediate files, reproducible
runs and safety (no escaping --out, no script text, no unpickling)."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import pipeline
from pipeline import __version__
from pipeline.cli import DEFAULT_TOPIC, main
from pipeline.io import read_jsonl, slugify, write_json, write_jsonl
from pipeline.readers import read_document

GOOD_FILES = {
    "good.txt": "Alliances deter aggression. Critics warn that allies do not pay their fair share.\n",
    "notes.md": "# Alliance Notes\n\nNATO members pledge mutual defence under Article 5.\n",
    "page.html": "<html><head><title>Pact</title></head><body><h1>Pact</h1>"
                 "<p>The pact reassures small states.</p></body></html>",
}
UNDECODABLE = b"\x81\x8d\x8f\x90\x9d" * 40  # undefined in cp1252 and invalid in UTF-8
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def make_corpus(folder: Path, extra: dict[str, bytes | str] | None = None) -> Path:
    """The good files plus ``extra`` (relative path -> content), sub-folders created."""
    for name, content in {**GOOD_FILES, **(extra or {})}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def segment(corpus: Path, out: Path, *options: str) -> Result:
    return CliRunner().invoke(main, ["segment", str(corpus), "--out", str(out), "--workers", "1", *options])


def documents(out: Path) -> list[dict]:
    return list(read_jsonl(out / "documents.jsonl"))


def assert_clean_run(result: Result, out: Path, skipped: dict[str, str], good: list[str]) -> list[dict]:
    """Exit 0, no traceback, each skipped file on exactly one line with its reason, good files kept."""
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    for name, reason in skipped.items():
        named = [line for line in lines if name in line]
        assert len(named) == 1, (name, result.output)
        assert "skipped" in named[0] and reason in named[0], named[0]
    assert f"skipped {len(skipped)}" in result.output
    docs = documents(out)
    assert sorted(Path(d["path"]).name for d in docs) == sorted(good)
    for doc in docs:
        assert doc["text"].strip() and SLUG.match(doc["doc_id"])
    return docs


# 1. Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name, content", [("empty.txt", b""), ("blank.md", b"  \n\n\t\n")])
def test_empty_file_is_skipped(tmp_path: Path, name: str, content: bytes) -> None:
    corpus = make_corpus(tmp_path / "c", {name: content})
    result = segment(corpus, tmp_path / "o")
    assert_clean_run(result, tmp_path / "o", {name: "empty file"}, list(GOOD_FILES))


@pytest.mark.parametrize("name, content", [
    ("scan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8),
    ("controls.md", bytes(range(1, 32)) * 50),
])
def test_binary_file_is_skipped(tmp_path: Path, name: str, content: bytes) -> None:
    corpus = make_corpus(tmp_path / "c", {name: content})
    result = segment(corpus, tmp_path / "o")
    assert_clean_run(result, tmp_path / "o", {name: "binary file"}, list(GOOD_FILES))


def test_file_that_is_not_a_pdf_is_skipped(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"report.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 4})
    result = segment(corpus, tmp_path / "o")
    assert_clean_run(result, tmp_path / "o", {"report.pdf": "unreadable PDF"}, list(GOOD_FILES))


@pytest.mark.parametrize("name", ["slides.pptx", "README", "archive.tar.gz", "photo.JPG"])
def test_unsupported_extension_is_skipped(tmp_path: Path, name: str) -> None:
    corpus = make_corpus(tmp_path / "c", {name: b"PK\x03\x04 not a text file"})
    result = segment(corpus, tmp_path / "o")
    assert_clean_run(result, tmp_path / "o", {name: "unsupported file type"}, list(GOOD_FILES))


def test_undecodable_file_is_skipped(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"mojibake.txt": UNDECODABLE})
    result = segment(corpus, tmp_path / "o")
    assert_clean_run(result, tmp_path / "o", {"mojibake.txt": "cannot be decoded as UTF-8 or cp1252"},
                     list(GOOD_FILES))


@pytest.mark.parametrize("name, content, reason", [
    ("only-links.txt", "See also\nReferences\n", "no text after cleaning"),
    ("only-script.html", "<html><script>var x = 1;</script><nav>Home</nav></html>", "no text after removing markup"),
])
def test_file_without_text_is_skipped(tmp_path: Path, name: str, content: str, reason: str) -> None:
    corpus = make_corpus(tmp_path / "c", {name: content})
    result = segment(corpus, tmp_path / "o")
    assert_clean_run(result, tmp_path / "o", {name: reason}, list(GOOD_FILES))


@pytest.fixture(scope="module")
def blank_model(tmp_path_factory) -> str:
    """A spaCy pipeline with only a tokenizer (load_model adds the sentencizer): parses in seconds."""
    import spacy

    path = tmp_path_factory.mktemp("blank-model")
    spacy.blank("en").to_disk(path)
    return str(path)


def long_line(size: int = 2_000_000) -> str:
    sentence = "Allies share the burden of collective defence and the pact deters aggression. "
    return (sentence * (size // len(sentence) + 1))[:size].rstrip() + "\n"


def test_two_megabyte_single_line_is_segmented(tmp_path: Path, blank_model: str) -> None:
    """Over spaCy's max_length of 1,000,000 characters, and one line: no quadratic step anywhere."""
    text = long_line()
    assert len(text.encode()) >= 2_000_000 and text.count("\n") == 1
    corpus = make_corpus(tmp_path / "c", {"one-line.txt": text})
    started = time.monotonic()
    result = segment(corpus, tmp_path / "o", "--model", blank_model)
    assert time.monotonic() - started < 60
    docs = assert_clean_run(result, tmp_path / "o", {}, [*GOOD_FILES, "one-line.txt"])
    assert next(d for d in docs if d["doc_id"] == "one-line")["text"] == text.strip()
    sentences = [s for s in read_jsonl(tmp_path / "o" / "sentences.jsonl") if s["doc_id"] == "one-line"]
    assert len(sentences) > 20_000 and sentences[-1]["end"] == len(text.strip())


@pytest.mark.skipif(not os.environ.get("ARGMINE_SLOW_TESTS"), reason="about a minute; set ARGMINE_SLOW_TESTS=1")
def test_two_megabyte_single_line_with_the_real_model(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"one-line.txt": long_line()})
    result = CliRunner().invoke(main, ["run", str(corpus), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output


def test_nested_folders_are_read_and_hidden_ones_skipped(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {
        "a/b/c/deep.md": "# Deep\n\nAUKUS deepens technology sharing.\n",
        "x/good.txt": "Same file name, another folder: allies agree.\n",
        ".git/config.txt": "hidden, never read",
        "a/.cache/skip.txt": "hidden, never read",
    })
    result = segment(corpus, tmp_path / "o")
    docs = assert_clean_run(result, tmp_path / "o", {}, [*GOOD_FILES, "deep.md", "good.txt"])
    assert sorted(d["doc_id"] for d in docs) == ["deep", "good", "good-2", "notes", "page"]
    assert "hidden" not in result.output


def test_names_with_spaces_and_non_ascii_letters(tmp_path: Path) -> None:
    extra = {"Über Allianzen.txt": "Europa braucht starke Allianzen. NATO bleibt wichtig.\n",
             "two words.md": "# Two Words\n\nSpaces in names are fine.\n",
             "日本 同盟.txt": "The alliance with Japan matters.\n"}
    corpus = make_corpus(tmp_path / "c", extra)
    result = segment(corpus, tmp_path / "o")
    docs = assert_clean_run(result, tmp_path / "o", {}, [*GOOD_FILES, *extra])
    by_name = {Path(d["path"]).name: d for d in docs}
    assert by_name["Über Allianzen.txt"]["doc_id"] == "uber-allianzen"
    assert by_name["two words.md"]["doc_id"] == "two-words"
    assert SLUG.match(by_name["日本 同盟.txt"]["doc_id"])
    assert Path(by_name["Über Allianzen.txt"]["path"]) == corpus / "Über Allianzen.txt"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs a file system that takes any bytes")
def test_undecodable_and_multiline_file_names(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c")
    (corpus / os.fsdecode(b"caf\xe9.txt")).write_text("Cafes host alliance summits.\n")
    (corpus / "evil\nname.txt").write_text("")
    result = segment(corpus, tmp_path / "o")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert [line for line in result.output.splitlines() if "name.txt" in line] == [
        f"argmine: skipped {corpus}/evil\\nname.txt: empty file"]
    paths = sorted(Path(d["path"]).name for d in documents(tmp_path / "o"))
    assert "caf\ufffd.txt" in paths


def test_file_over_max_bytes_is_skipped(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"big.txt": "Alliances deter aggression. " * 200})
    result = segment(corpus, tmp_path / "o", "--max-bytes", "1000")
    assert_clean_run(result, tmp_path / "o", {"big.txt": "too large (5,600 bytes; the limit is 1,000"},
                     list(GOOD_FILES))


def test_every_kind_of_bad_file_at_once(tmp_path: Path) -> None:
    bad = {"empty.txt": (b"", "empty file"),
           "scan.txt": (b"\x00\x01\x02" * 100, "binary file"),
           "slides.pptx": (b"PK", "unsupported file type"),
           "mojibake.txt": (UNDECODABLE, "cannot be decoded"),
           "sub/dir/big.md": (b"x" * 5000, "too large")}
    corpus = make_corpus(tmp_path / "c", {name: content for name, (content, _) in bad.items()})
    result = segment(corpus, tmp_path / "o", "--max-bytes", "4000")
    assert_clean_run(result, tmp_path / "o", {Path(n).name: r for n, (_, r) in bad.items()}, list(GOOD_FILES))


def test_an_output_folder_under_a_file_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    result = segment(make_corpus(tmp_path / "c"), tmp_path / "afile" / "sub")
    assert result.exit_code == 1 and "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert "afile" in result.output and "Not a directory" in result.output


# 2. Killed runs ---------------------------------------------------------------------------------

SENTENCE = {"doc_id": "a", "sent_id": "a:0000", "index": 0, "kind": "sentence", "text": "Hi.",
            "start": 0, "end": 3, "section": None, "speaker": None}


def sentences(n: int, fail_with: BaseException | None = None):
    for i in range(n):
        yield {**SENTENCE, "sent_id": f"a:{i:04d}", "index": i}
    if fail_with is not None:
        raise fail_with


@pytest.mark.parametrize("failure", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_writer_failing_midway_leaves_previous_file_and_no_temp_files(tmp_path: Path, failure) -> None:
    path = tmp_path / "sentences.jsonl"
    assert write_jsonl(path, sentences(3)) == 3
    before = path.read_bytes()
    with pytest.raises(type(failure)):
        write_jsonl(path, sentences(1000, fail_with=failure))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sentences.jsonl"]


def test_invalid_record_midway_leaves_previous_file_and_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "sentences.jsonl"
    write_jsonl(path, sentences(3))
    before = path.read_bytes()
    records = [*sentences(50), {**SENTENCE, "kind": "paragraph"}]
    with pytest.raises(Exception):
        write_jsonl(path, records)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sentences.jsonl"]


def test_write_json_failing_leaves_previous_file_and_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    write_json(path, {"a": 1})
    before = path.read_bytes()
    with pytest.raises(TypeError):
        write_json(path, {"a": object()})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_writer_leaves_previous_file(tmp_path: Path) -> None:
    """A process killed outright (no cleanup at all) still leaves the previous complete file."""
    path = tmp_path / "sentences.jsonl"
    write_jsonl(path, sentences(3))
    before = path.read_bytes()
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from pipeline.io import write_jsonl\n"
        f"record = {SENTENCE!r}\n"
        "def records():\n"
        "    for i in range(100000):\n"
        "        if i == 5000:\n"
        "            os.kill(os.getpid(), signal.SIGKILL)\n"
        "        yield {**record, 'index': i}\n"
        "write_jsonl(Path(sys.argv[1]), records())\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(path)], cwd=Path(pipeline.__file__).parent.parent)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert all(p.name.startswith(".") for p in tmp_path.iterdir() if p.name != "sentences.jsonl")


def test_outputs_are_readable_by_others(tmp_path: Path) -> None:
    """The temporary file is created private (0600); the renamed output gets the usual mode."""
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    mask = os.umask(0o022)
    try:
        write_jsonl(tmp_path / "sentences.jsonl", sentences(1))
    finally:
        os.umask(mask)
    assert (tmp_path / "sentences.jsonl").stat().st_mode & 0o777 == 0o644


# 3. Damaged intermediate files ---------------------------------------------------------------------


@pytest.fixture()
def segmented(tiny_run: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("documents.jsonl", "sentences.jsonl"):
        shutil.copy(tiny_run / name, out / name)
    return out


@pytest.mark.parametrize("bad_line, problem", [
    (b"{not json", "not valid JSON"),
    (b'{"doc_id": "legacy", "sent_id": "legacy:0000"}', "required property"),
    (b"[1, 2, 3]", "expected a JSON object"),
    (b'{"doc_id": "\xff\xfe broken bytes"}', "not valid UTF-8"),
    (b'{"index": ' + b"1" * 5000 + b"}", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
])
def test_malformed_sentences_line_names_file_and_line(segmented: Path, bad_line: bytes, problem: str) -> None:
    path = segmented / "sentences.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = bad_line + b"\n"
    path.write_bytes(b"".join(lines))
    result = CliRunner().invoke(main, ["entities", str(segmented)])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert re.search(rf"sentences\.jsonl line 3: .*{re.escape(problem)}", result.output), result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (segmented / "entities.jsonl").exists()


@pytest.mark.parametrize("stage, first", [("entities", "segment"), ("claims", "segment"), ("themes", "claims")])
def test_missing_upstream_file_names_the_stage_to_run_first(tmp_path: Path, stage: str, first: str) -> None:
    result = CliRunner().invoke(main, [stage, str(tmp_path)])
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert f"run `argmine {first}` first" in result.output


def test_missing_documents_file_names_segment(segmented: Path) -> None:
    (segmented / "documents.jsonl").unlink()
    result = CliRunner().invoke(main, ["entities", str(segmented)])
    assert result.exit_code != 0 and "documents.jsonl: missing; run `argmine segment` first" in result.output


# 4. Reproducibility ---------------------------------------------------------------------------------


def test_two_runs_give_byte_identical_jsonl(tiny_corpus: Path, tiny_run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = CliRunner().invoke(main, ["run", str(tiny_corpus), "--out", str(again), "--workers", "2"])
    assert result.exit_code == 0, result.output
    first = sorted(p.name for p in tiny_run.glob("*.jsonl"))
    assert first == sorted(p.name for p in again.glob("*.jsonl"))
    assert {"documents.jsonl", "sentences.jsonl", "entities.jsonl", "claims.jsonl", "themes.jsonl"} <= set(first)
    for name in [*first, "run.json"]:
        assert (tiny_run / name).read_bytes() == (again / name).read_bytes(), name


def test_run_writes_run_json(tiny_corpus: Path, tiny_run: Path) -> None:
    import spacy

    meta = json.loads((tiny_run / "run.json").read_text("utf-8"))
    assert meta["argmine_version"] == __version__
    assert meta["spacy_version"] == spacy.__version__
    assert meta["spacy_model"]["name"].startswith("en_core_web_sm") and meta["spacy_model"]["version"]
    assert meta["topic"] == DEFAULT_TOPIC
    assert meta["corpus"] == str(tiny_corpus)
    assert meta["input_files"] == 3
    assert meta["stance_model"]["name"]
    jsonl = sorted(tiny_run.glob("*.jsonl"))
    assert len(jsonl) >= 5
    assert meta["outputs"] == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in jsonl}
    assert "time" not in json.dumps(meta).lower()


# 5. Safety -------------------------------------------------------------------------------------------


def files_created_during(folder: Path, action) -> set[Path]:
    before = set(folder.rglob("*"))
    action()
    return set(folder.rglob("*")) - before


def test_doc_ids_never_escape_out(tmp_path: Path) -> None:
    names = ["a..b.txt", "x..\u2215..\u2215evil.txt", "x..%2F..%2Fetc.md", "x..\\..\\win.txt",
             "\u2024\u2024\u2215up.txt", "~root.txt", "CON.txt", "-.txt"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in names:
        (corpus / name).write_text("Alliances deter aggression. Critics disagree.\n", encoding="utf-8")
    out = tmp_path / "deep" / "out"
    run = ["run", str(corpus), "--out", str(out), "--workers", "1"]
    created = files_created_during(tmp_path, lambda: CliRunner().invoke(main, run))
    assert (out / "run.json").exists() and (out / "report.html").exists()
    assert all(p == out or out in p.parents or p in out.parents for p in created), created
    ids = [d["doc_id"] for d in documents(out)]
    assert len(ids) == len(names) == len(set(ids))
    assert all(SLUG.match(doc_id) for doc_id in ids), ids


def test_hidden_hostile_name_given_as_corpus_gets_a_safe_id(tmp_path: Path) -> None:
    """In a folder a name starting with "." is hidden and skipped; named directly, it is read."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    evil = corpus / "..\u2215..\u2215evil.txt"
    evil.write_text("Alliances deter aggression.\n", encoding="utf-8")
    out = tmp_path / "out"
    skipped = segment(corpus, out)
    assert skipped.exit_code != 0 and "no readable documents" in skipped.output
    created = files_created_during(tmp_path, lambda: segment(evil, out))
    assert created and all(out in p.parents or p == out for p in created), created
    assert [d["doc_id"] for d in documents(out)] == ["evil"]


@pytest.mark.parametrize("text", ["..", "../..", "..\u2215..\u2215evil", "/etc/passwd", "C:\\Windows\\system32",
                                  "\x00", "", "   ", "\u2024\u2024", "a/../../b", "..."])
def test_slugify_gives_a_plain_name(text: str) -> None:
    slug = slugify(text)
    assert SLUG.match(slug) and slug not in (".", "..")


SCRIPT_PAGE = """<!doctype html><html><head><title>Safe</title>
<script>alert('owned-1')</script><SCRIPT type="module">alert('owned-2')</SCRIPT></head>
<body onload="alert('owned-3')"><h1>Safe Page</h1>
<p>Alliances deter aggression.<script>document.write('owned-4')</script></p>
<noscript>owned-5</noscript><template><p>owned-6</p></template>
<svg><script>alert('owned-7')</script></svg><iframe srcdoc="<script>alert('owned-8')</script>"></iframe>
<a href="javascript:alert('owned-9')">A link</a><!-- <script>owned-10</script> -->
</body></html>"""


def test_html_script_text_never_reaches_the_cleaned_text(tmp_path: Path) -> None:
    page = tmp_path / "c" / "page.html"
    page.parent.mkdir()
    page.write_text(SCRIPT_PAGE, encoding="utf-8")
    raw = read_document(page)
    assert "Alliances deter aggression." in raw.text and "A link" in raw.text
    assert "owned" not in raw.text and "alert" not in raw.text and "<" not in raw.text
    result = segment(page.parent, tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert "owned" not in (tmp_path / "o" / "documents.jsonl").read_text("utf-8")
    assert "owned" not in (tmp_path / "o" / "sentences.jsonl").read_text("utf-8")


def test_report_escapes_markup_from_the_input(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "notes.txt").write_text(
        "Alliances are <script>alert('owned')</script> good for security alliances.\n"
        "Critics warn that <img src=x onerror=alert(1)> alliances are costly.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(corpus), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "o" / "report.html").read_text("utf-8")
    assert "<script>alert" not in report and "<img src=x" not in report


# Anything that runs code while loading a file: pickle and its relatives.
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def unsafe_loads(source: str) -> list[str]:
    """Where ``source`` imports an unpickling module or loads a file in a way that unpickles."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
            found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
            if node.func.attr in ("load", "loads") and owner.split(".")[-1] in UNSAFE_MODULES:
                found.append(f"{owner}.{node.func.attr}()")
            elif node.func.attr == "load" and owner in ("np", "numpy") and keywords.get("allow_pickle") != "False":
                found.append("np.load() without allow_pickle=False")
            elif node.func.attr == "load" and owner == "torch" and keywords.get("weights_only") != "True":
                found.append("torch.load() without weights_only=True")
            elif node.func.attr in ("read_pickle", "from_pickle"):
                found.append(f"{owner}.{node.func.attr}()")
    return found


def test_unsafe_load_detector_catches_the_usual_ways() -> None:
    for source in ["import pickle", "import joblib\nm = joblib.load('m')", "from pickle import loads",
                   "import numpy as np\nnp.load('w.npz')", "np.load('w.npz', allow_pickle=True)",
                   "import pandas as pd\npd.read_pickle('f')", "torch.load('m.pt')", "import dill"]:
        assert unsafe_loads(source), source
    assert not unsafe_loads("np.load(path, allow_pickle=False)\njson.load(f)\n# pickle.load in a comment")


def test_pipeline_never_unpickles() -> None:
    package = Path(pipeline.__file__).parent
    sources = sorted(package.rglob("*.py"))
    assert {"stance.py", "nlp.py", "cli.py"} <= {p.name for p in sources}
    problems = {str(p.relative_to(package)): found for p in sources if (found := unsafe_loads(p.read_text("utf-8")))}
    assert not problems, problems
    for path in sources:  # also the plain spellings, wherever they are
        text = path.read_text("utf-8")
        assert not re.search(r"\b(joblib|pickle|dill|cloudpickle)\.loads?\(", text), path

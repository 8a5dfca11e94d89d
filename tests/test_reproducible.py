"""The committed outputs/ are exactly what the pipeline produces on the bundled corpus."""

from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_committed_outputs_match_a_fresh_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # paths in documents.jsonl are recorded as given: corpus/...
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "corpus", "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    for name in ("documents", "sentences", "entities", "claims", "themes"):
        fresh = (out / f"{name}.jsonl").read_bytes()
        committed = (ROOT / "outputs" / f"{name}.jsonl").read_bytes()
        assert fresh == committed, f"outputs/{name}.jsonl is stale: run `make all` and commit it"

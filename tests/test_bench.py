"""The benchmark's corpus builder: real arguments, enough words, the same files every time."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def fake_external(root: Path) -> Path:
    """The four public sets, a few rows each, in their own formats."""
    def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
        path.parent.mkdir(parents=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    write_csv(root / "ibm_argq_30k" / "arg_quality_rank_30k.csv", ["argument", "topic"],
              [[f"argument {i} says that the policy costs too much money", f"We should ban thing {i % 3}"]
               for i in range(30)])
    write_csv(root / "ibm_argkp_2021" / "ArgKP-2021_dataset.csv", ["topic", "argument"],
              [["Topic K", "argument 0 says that the policy costs too much money"],  # a repeat: used once
               ["Topic K", "a new argument about schools"]])
    write_csv(root / "ibm_claim_stance" / "claim_stance_clean.csv", ["topicText", "claims.claimCorrectedText"],
              [["Topic C", "claims make the case for taxes"]])
    (root / "perspectrum").mkdir()
    (root / "perspectrum" / "perspective_pool_v1.0.json").write_text(
        json.dumps([{"pId": 1, "text": "perspectives differ on this"}]), "utf-8")
    return root


def test_corpus_reaches_the_words_asked_for_and_is_deterministic(tmp_path: Path) -> None:
    root = fake_external(tmp_path / "external")
    documents, words = bench.build_corpus(tmp_path / "a", 1_000, root)
    again = bench.build_corpus(tmp_path / "b", 1_000, root)
    assert words >= 1_000 and (documents, words) == again
    files = sorted((tmp_path / "a").glob("*.txt"))
    assert len(files) == documents
    assert [f.read_text("utf-8") for f in files] == [f.read_text("utf-8") for f in sorted((tmp_path / "b").glob("*.txt"))]
    texts = [f.read_text("utf-8") for f in files]
    # Past the end of the data the arguments are dealt again in new documents: no text repeats.
    assert len(set(texts)) == len(texts)
    # First round: one document per motion, its heading the motion, motions in sorted order.
    assert [t.split("\n", 1)[0] for t in texts[:6]] == ["Perspectives", "Topic C", "Topic K", "We should ban thing 0",
                                                        "We should ban thing 1", "We should ban thing 2"]
    assert texts[3].startswith("We should ban thing 0\n\nArgument 0 says that the policy costs too much money.")


def test_each_argument_is_used_once_per_round(tmp_path: Path) -> None:
    root = fake_external(tmp_path / "external")
    arguments = list(bench.arguments(root))
    texts = [a for _, a in arguments]
    assert len(texts) == len(set(texts)) == 33

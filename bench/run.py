"""``make bench``: the pipeline's cost on a large corpus of real argumentative text.

Builds a corpus of at least ``--words`` words from the public argument data sets (the
arguments of IBM ArgQ-30k, ArgKP, Claim Stance and PERSPECTRUM, each once, sorted by motion):
``.txt`` files of at most about 3,000 words, each a motion's heading and paragraphs of its
arguments; past the end of the data the arguments are dealt again, shuffled, into new files. It runs every stage on it as the user would (one ``argmine``
process per stage). It reports, per stage and in total: seconds, words per second and peak
memory (resident memory summed over the stage's whole process tree); the same for a plain
one-process spaCy parse of the same texts with the same model; the time of an unchanged rerun
(`argmine run` on the same folder) and of a rerun after one document changed; and the segment
stage once more on one core, to set the one-process claims stage against.

Examples::

    python bench/run.py                       # 150k words, all cores
    python bench/run.py --words 1000000 --workers 1 --json build/bench/1m.json
"""

from __future__ import annotations

import argparse
import csv
import json
import itertools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "data" / "external"
ARGMINE = [sys.executable, "-m", "pipeline.cli"]
STAGES = ("segment", "entities", "claims", "themes", "report")
ARGS_PER_PARAGRAPH = 4
WORDS_PER_DOCUMENT = 3_000


def arguments(root: Path) -> Iterator[tuple[str, str]]:
    """(motion, argument) pairs from the public data sets, each argument once."""
    seen: set[str] = set()

    def rows(path: Path, topic: str, text: str) -> Iterator[tuple[str, str]]:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                argument = " ".join(row[text].split())
                if argument and argument not in seen:
                    seen.add(argument)
                    yield row[topic].strip(), argument

    yield from rows(root / "ibm_argq_30k" / "arg_quality_rank_30k.csv", "topic", "argument")
    yield from rows(root / "ibm_argkp_2021" / "ArgKP-2021_dataset.csv", "topic", "argument")
    yield from rows(root / "ibm_claim_stance" / "claim_stance_clean.csv", "topicText", "claims.claimCorrectedText")
    pool = json.loads((root / "perspectrum" / "perspective_pool_v1.0.json").read_text("utf-8"))
    for item in pool:
        text = " ".join(item["text"].split())
        if text not in seen:
            seen.add(text)
            yield "Perspectives", text


def sentence_case(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text[-1:] in ".!?" else text + "."


def grouped(pool: list[tuple[str, str]], round_: int) -> Iterator[tuple[str, list[str]]]:
    """Documents of one round: round 0 keeps each motion's arguments together; later rounds
    deal all arguments again in a fixed shuffled order, so no document text repeats."""
    if round_:
        pool = [(f"Arguments, round {round_}", argument) for _, argument in pool]
        random.Random(round_).shuffle(pool)
    current: list[str] = []
    motion, size = "", 0
    for topic, argument in pool:
        if current and (topic != motion or size >= WORDS_PER_DOCUMENT):
            yield motion, current
            current, size = [], 0
        motion = topic
        current.append(sentence_case(argument))
        size += len(argument.split())
    if current:
        yield motion, current


def build_corpus(folder: Path, words: int, root: Path = EXTERNAL) -> tuple[int, int]:
    """Write documents of about WORDS_PER_DOCUMENT words until ``words`` are reached.

    Returns (documents, words).
    """
    pool = sorted(arguments(root))  # grouped by motion, the same on every machine
    folder.mkdir(parents=True, exist_ok=True)
    total = documents = 0
    for round_ in itertools.count():
        for motion, args in grouped(pool, round_):
            if total >= words:
                return documents, total
            total += _write(folder, documents, motion, args)
            documents += 1
    return documents, total  # not reached: the rounds go on until ``words``


def _write(folder: Path, index: int, motion: str, args: list[str]) -> int:
    paragraphs = [" ".join(args[i:i + ARGS_PER_PARAGRAPH]) for i in range(0, len(args), ARGS_PER_PARAGRAPH)]
    text = f"{motion}\n\n" + "\n\n".join(paragraphs) + "\n"
    (folder / f"doc-{index:05d}.txt").write_text(text, "utf-8")
    return len(text.split())


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and all its descendants; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pid)))
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


def _tree(pid: int) -> list[int]:
    pids, stack = [], [pid]
    while stack:
        current = stack.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                stack.extend(int(c) for c in task.read_text().split())
            except OSError:
                pass
    return pids


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak tree memory (bytes) of one command; stops the bench if it fails."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeMemory(process.pid)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    peak = sampler.stop()
    if process.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} failed:\n{stderr.decode(errors='replace')}")
    return seconds, peak


PLAIN_PARSE = """
import sys
from pathlib import Path
import spacy
from pipeline.nlp import candidate_models
name = sys.argv[2] if len(sys.argv) > 2 else None
for candidate in candidate_models(name):  # the model argmine picks, $ARGMINE_SPACY_MODEL included
    try:
        nlp = spacy.load(candidate)
        break
    except OSError:
        continue
texts = [p.read_text("utf-8") for p in sorted(Path(sys.argv[1]).glob("*.txt"))]
for doc in nlp.pipe(texts, batch_size=8):  # as argmine batches; the default holds 1,000 texts at once
    pass
"""


def bench(words: int, workers: int, work: Path, model: str | None) -> dict:
    corpus, out = work / "corpus", work / "out"
    for folder in (corpus, out, work / "one-core"):  # a first run means no cache
        shutil.rmtree(folder, ignore_errors=True)
    documents, total_words = build_corpus(corpus, words)
    model_args = ["--model", model] if model else []
    quiet = ["--quiet"]
    results: dict = {"words": total_words, "documents": documents, "workers": workers, "stages": {}}

    seconds, peak = measure([sys.executable, "-c", PLAIN_PARSE, str(corpus), *(model_args[1:])])
    results["plain_spacy"] = {"seconds": seconds, "peak_bytes": peak}

    for stage in STAGES:
        args = {"segment": [str(corpus), "--out", str(out), "--workers", str(workers)]}.get(stage, [str(out)])
        extra = model_args if stage in ("segment", "entities", "claims", "themes") else []
        seconds, peak = measure([*ARGMINE, stage, *args, *extra, *(quiet if stage != "report" else [])])
        results["stages"][stage] = {"seconds": seconds, "peak_bytes": peak}
    first = sum(s["seconds"] for s in results["stages"].values())
    results["total"] = {"seconds": first, "peak_bytes": max(s["peak_bytes"] for s in results["stages"].values())}

    run = [*ARGMINE, "run", str(corpus), "--out", str(out), "--workers", str(workers), *model_args, *quiet]
    results["unchanged_rerun"] = dict(zip(("seconds", "peak_bytes"), measure(run)))
    changed = sorted(corpus.glob("*.txt"))[0]
    changed.write_text(changed.read_text("utf-8") + "\nOne more argument was added to this document.\n", "utf-8")
    results["one_document_changed"] = dict(zip(("seconds", "peak_bytes"), measure(run)))
    # The claims stage is one process: compare it with the segment stage on one core too.
    one_core = [*ARGMINE, "segment", str(corpus), "--out", str(work / "one-core"), "--workers", "1", *model_args, *quiet]
    results["segment_one_core"] = dict(zip(("seconds", "peak_bytes"), measure(one_core)))
    return results


def table(results: dict) -> str:
    words, plain = results["words"], results["plain_spacy"]["seconds"]
    rows = [("plain spaCy parse (1 process)", results["plain_spacy"])]
    rows += [(f"argmine {name}", r) for name, r in results["stages"].items()]
    rows += [("argmine segment, --workers 1", results["segment_one_core"]),
             ("argmine, all stages", results["total"]),
             ("unchanged rerun (argmine run)", results["unchanged_rerun"]),
             ("rerun, one document changed", results["one_document_changed"])]
    lines = [f"{results['words']:,} words in {results['documents']} documents, --workers {results['workers']}",
             f"{'':34} {'seconds':>8} {'words/s':>9} {'peak MB':>8} {'x parse':>8}"]
    for name, r in rows:
        lines.append(f"{name:34} {r['seconds']:8.1f} {words / r['seconds']:9,.0f} "
                     f"{r['peak_bytes'] / 2**20:8.0f} {r['seconds'] / plain:8.2f}")
    stages, first = results["stages"], results["total"]["seconds"]
    lines += ["",
              f"pipeline / plain parse: {first / plain:.2f}x (target <= 1.3)",
              f"unchanged rerun / first run: {results['unchanged_rerun']['seconds'] / first:.3f}x (target <= 0.15)",
              f"claims / segment on one core: {stages['claims']['seconds'] / results['segment_one_core']['seconds']:.2f}x"
              " (target <= 0.20)",
              f"peak memory: {results['total']['peak_bytes'] / 2**30:.2f} GB (target <= 2 GB at 1M words)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, nargs="+", default=[150_000], help="corpus sizes to run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--model", default=None, help="spaCy model (default: as argmine picks it)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--work", type=Path, default=None, help="keep the corpus and outputs here")
    args = parser.parse_args(argv)
    if not EXTERNAL.exists():
        sys.exit(f"bench: {EXTERNAL} not found; the bench builds its corpus from the public data sets there")
    all_results = []
    for words in args.words:
        with tempfile.TemporaryDirectory(prefix="argmine-bench-") as tmp:
            work = args.work / str(words) if args.work else Path(tmp)
            results = bench(words, args.workers, work, args.model)
        print(table(results), end="\n\n", flush=True)
        all_results.append(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(all_results, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()

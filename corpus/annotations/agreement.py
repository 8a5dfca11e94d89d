"""Inter-annotator agreement between two blind annotation passes (claims + entities).

Usage (from the repository root):

    .venv/bin/python corpus/annotations/agreement.py [PASS_A PASS_B] [--json]

PASS_A / PASS_B are pass directories, each holding ``claims.jsonl`` and ``entities.jsonl``
(default: ``corpus/annotations/passes/pass_a`` and ``.../pass_b`` next to this script).
Individual files can be given instead with ``--claims-a/--claims-b/--entities-a/--entities-b``.

Figures:
  * stance: Cohen's kappa (pro/con/neutral) and raw agreement over all segments;
  * theme: Cohen's kappa and raw agreement over segments BOTH passes labelled pro or con,
    with null (no theme) as its own category;
  * attributed_to: exact-match agreement over all segments, and over segments where at least
    one pass has a non-null value;
  * entities: mention-level precision/recall/F1 of pass B against pass A (symmetric F1), a
    mention being matched on (sent_id, text, occurrence); label and canonical-id agreement over
    matched mentions.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

HERE = Path(__file__).resolve().parent
DEFAULT_A = HERE / "passes" / "pass_a"
DEFAULT_B = HERE / "passes" / "pass_b"
NULL = "(null)"


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def kappa(a: list[str], b: list[str]) -> float:
    if not a:
        return float("nan")
    if len(set(a) | set(b)) == 1:  # one category only: kappa undefined, agreement is perfect
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(a, b))


def ratio(n: int, d: int) -> float:
    return n / d if d else float("nan")


def claims_agreement(ca: list[dict], cb: list[dict]) -> dict:
    ia = {r["sent_id"]: r for r in ca}
    ib = {r["sent_id"]: r for r in cb}
    if set(ia) != set(ib) or len(ia) != len(ca) or len(ib) != len(cb):
        only_a, only_b = sorted(set(ia) - set(ib)), sorted(set(ib) - set(ia))
        raise SystemExit(f"claims files cover different segments (only A: {only_a[:5]}, only B: {only_b[:5]})")
    ids = [r["sent_id"] for r in ca]
    sa = [ia[i]["stance"] for i in ids]
    sb = [ib[i]["stance"] for i in ids]

    both_claim = [i for i in ids if ia[i]["stance"] in ("pro", "con") and ib[i]["stance"] in ("pro", "con")]
    ta = [ia[i]["theme"] or NULL for i in both_claim]
    tb = [ib[i]["theme"] or NULL for i in both_claim]

    aa = [ia[i]["attributed_to"] for i in ids]
    ab = [ib[i]["attributed_to"] for i in ids]
    attr_any = [k for k in range(len(ids)) if aa[k] is not None or ab[k] is not None]

    return {
        "segments": len(ids),
        "stance_kappa": kappa(sa, sb),
        "stance_agreement": ratio(sum(x == y for x, y in zip(sa, sb)), len(ids)),
        "stance_disagreements": sum(x != y for x, y in zip(sa, sb)),
        "theme_segments": len(both_claim),
        "theme_kappa": kappa(ta, tb),
        "theme_agreement": ratio(sum(x == y for x, y in zip(ta, tb)), len(both_claim)),
        "theme_disagreements_all_segments": sum((ia[i]["theme"] != ib[i]["theme"]) for i in ids),
        "attributed_agreement_all": ratio(sum(x == y for x, y in zip(aa, ab)), len(ids)),
        "attributed_segments_any_nonnull": len(attr_any),
        "attributed_agreement_any_nonnull": ratio(sum(aa[k] == ab[k] for k in attr_any), len(attr_any)),
        "attributed_disagreements": sum(x != y for x, y in zip(aa, ab)),
    }


def entities_agreement(ea: list[dict], eb: list[dict]) -> dict:
    def index(rows: list[dict]) -> dict:
        out = {}
        for r in rows:
            key = (r["sent_id"], r["text"], int(r.get("occurrence", 1)))
            if key in out:
                raise SystemExit(f"duplicate mention {key}")
            out[key] = r
        return out

    ia, ib = index(ea), index(eb)
    matched = sorted(set(ia) & set(ib))
    p = ratio(len(matched), len(ib))  # B measured against A
    r = ratio(len(matched), len(ia))
    f1 = 2 * p * r / (p + r) if (p + r) and not math.isnan(p + r) else float("nan")
    same_label = sum(ia[k]["label"] == ib[k]["label"] for k in matched)
    same_canon = sum(ia[k]["canonical"] == ib[k]["canonical"] for k in matched)
    return {
        "mentions_a": len(ia),
        "mentions_b": len(ib),
        "mentions_matched": len(matched),
        "mention_precision_b_vs_a": p,
        "mention_recall_b_vs_a": r,
        "mention_f1": f1,
        "label_agreement": ratio(same_label, len(matched)),
        "canonical_agreement": ratio(same_canon, len(matched)),
        "mentions_only_a": len(set(ia) - set(ib)),
        "mentions_only_b": len(set(ib) - set(ia)),
    }


def fmt(x) -> str:
    if isinstance(x, float):
        return "n/a" if math.isnan(x) else f"{x:.3f}"
    return str(x)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pass_a", nargs="?", type=Path, default=DEFAULT_A, help="pass A directory")
    ap.add_argument("pass_b", nargs="?", type=Path, default=DEFAULT_B, help="pass B directory")
    ap.add_argument("--claims-a", type=Path)
    ap.add_argument("--claims-b", type=Path)
    ap.add_argument("--entities-a", type=Path)
    ap.add_argument("--entities-b", type=Path)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    def locate(explicit: Path | None, pass_dir: Path, name: str) -> Path:
        return explicit if explicit else pass_dir / name

    files = {
        "claims_a": locate(args.claims_a, args.pass_a, "claims.jsonl"),
        "claims_b": locate(args.claims_b, args.pass_b, "claims.jsonl"),
        "entities_a": locate(args.entities_a, args.pass_a, "entities.jsonl"),
        "entities_b": locate(args.entities_b, args.pass_b, "entities.jsonl"),
    }
    claims = claims_agreement(read_jsonl(files["claims_a"]), read_jsonl(files["claims_b"]))
    ents = entities_agreement(read_jsonl(files["entities_a"]), read_jsonl(files["entities_b"]))

    if args.json:
        print(json.dumps({"files": {k: str(v) for k, v in files.items()}, "claims": claims, "entities": ents}, indent=2))
        return 0

    c, e = claims, ents
    rows = [
        ("stance: Cohen's kappa (3 classes)", f"{fmt(c['stance_kappa'])}", f"n={c['segments']}"),
        ("stance: raw agreement", fmt(c["stance_agreement"]), f"{c['stance_disagreements']} disagreements"),
        ("theme: Cohen's kappa (null = own category)", fmt(c["theme_kappa"]),
         f"n={c['theme_segments']} segments both passes pro/con"),
        ("theme: raw agreement", fmt(c["theme_agreement"]),
         f"{c['theme_disagreements_all_segments']} segments differ in theme overall"),
        ("attributed_to: exact match, all segments", fmt(c["attributed_agreement_all"]), f"n={c['segments']}"),
        ("attributed_to: exact match, >=1 pass non-null", fmt(c["attributed_agreement_any_nonnull"]),
         f"n={c['attributed_segments_any_nonnull']}"),
        ("entities: mention F1 (sent_id+text+occurrence)", fmt(e["mention_f1"]),
         f"A={e['mentions_a']} B={e['mentions_b']} matched={e['mentions_matched']}"),
        ("entities: label agreement (matched)", fmt(e["label_agreement"]), f"n={e['mentions_matched']}"),
        ("entities: canonical agreement (matched)", fmt(e["canonical_agreement"]), f"n={e['mentions_matched']}"),
    ]
    print(f"pass A: {files['claims_a']} | {files['entities_a']}")
    print(f"pass B: {files['claims_b']} | {files['entities_b']}")
    w = max(len(r[0]) for r in rows)
    for name, val, note in rows:
        print(f"{name:<{w}}  {val:>6}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

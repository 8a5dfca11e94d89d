"""Score every stage against gold labels (``argmine evaluate``).

Stance is scored leave-one-document-out: the model is trained on all documents but one and
tested on that one, for every document, with the majority class and the cue lexicon beside it.
Attribution, entities and themes involve no training on the gold and are scored directly.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from . import entities as entities_stage
from . import segment as segment_stage
from .claims import attributions
from .io import LABELS, OTHER, ArgmineError, read_jsonl, write_json
from .nlp import load_model as load_spacy
from .stance import LexiconModel
from .themes import ClaimText, ThemeModel, default_taxonomy_path, load_taxonomy, paragraph_neighbours
from .training import (HELD_OUT_SETS, Example, GoldSentence, align_gold, corpus_examples, external_examples,
                       fit, labelled_work, load_gold, load_gold_set)

GOLD_ENTITY_LABELS = ("ALLIANCE", "TREATY", "TREATY_ARTICLE", "GPE", "LOC")


def classification_metrics(gold: list[str], pred: list[str], proba: np.ndarray | None = None) -> dict[str, Any]:
    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=list(LABELS), zero_division=0)
    result = {
        "macro_f1": float(f1_score(gold, pred, labels=list(LABELS), average="macro", zero_division=0)),
        "accuracy": float(np.mean(np.array(gold) == np.array(pred))),
        "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(n[i])}
                      for i, c in enumerate(LABELS)},
        "confusion": {"labels": list(LABELS), "matrix": confusion_matrix(gold, pred, labels=list(LABELS)).tolist()},
    }
    if proba is not None:
        result["ece"] = expected_calibration_error(gold, proba)
    return result


def expected_calibration_error(gold: list[str], proba: np.ndarray, bins: int = 10) -> float:
    """Gap between confidence and accuracy, averaged over ten confidence bins."""
    confidence = proba.max(axis=1)
    correct = np.array(LABELS)[proba.argmax(axis=1)] == np.array(gold)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (confidence > lo) & (confidence <= hi)
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(total)


def stance_lodo(examples: list[Example], extra: list[Example], *, also: list[Example] | None = None,
                external_weight: float = 0.0, stack_polarity: bool = True) -> dict[str, Any]:
    """Leave-one-document-out: train on the other documents (plus ``extra``), test on one.

    ``also``: labelled documents of other gold sets, always in training (and in the inner
    leave-one-document-out that picks C and the temperature), never tested.
    """
    docs = sorted({e.group for e in examples})
    also = also or []
    gold, pred, majority, proba = [], [], [], []
    for doc in docs:
        labelled = [e for e in examples if e.group != doc] + also
        test = [e for e in examples if e.group == doc]
        model = fit(labelled + extra, calibrate_on=labelled, external_weight=external_weight,
                    stack_polarity=stack_polarity)
        fold_proba = model.predict_proba([e.features for e in test])
        proba.append(fold_proba)
        pred.extend(np.array(LABELS)[fold_proba.argmax(axis=1)])
        gold.extend(e.label for e in test)
        common = Counter(e.label for e in labelled).most_common(1)[0][0]
        majority.extend([common] * len(test))
    lexicon = LexiconModel()
    ordered = [e for doc in docs for e in examples if e.group == doc]
    lex_pred = list(lexicon.predict([e.features for e in ordered]))
    return {"folds": docs, "n": len(gold),
            "model": classification_metrics(gold, pred, np.vstack(proba)),
            "majority": classification_metrics(gold, majority),
            "lexicon": classification_metrics(gold, lex_pred)}


def pooled(*results: dict[str, Any]) -> dict[str, Any]:
    """The metrics of several leave-one-document-out results taken together, from their confusion matrices."""
    matrix = sum(np.array(r["confusion"]["matrix"]) for r in results)
    gold = [LABELS[i] for i in range(len(LABELS)) for j in range(len(LABELS)) for _ in range(matrix[i, j])]
    pred = [LABELS[j] for i in range(len(LABELS)) for j in range(len(LABELS)) for _ in range(matrix[i, j])]
    return classification_metrics(gold, pred)


def sets_left_out(examples: list[Example], sets: dict[str, list[Example]], extra: list[Example],
                  settings: dict[str, Any]) -> dict[str, Any]:
    """Each extra gold set (``sets``: its examples by folder) scored by a model trained on the
    corpus and the other sets, never on it: texts of a source that no part of the model has seen.
    ``model`` pools the sets."""
    result: dict[str, Any] = {"sets": {}}
    gold, proba = [], []
    for name, tested in sets.items():
        others = [e for other, other_examples in sets.items() if other != name for e in other_examples]
        model = fit(examples + others + extra, calibrate_on=examples + others, **settings)
        set_proba = model.predict_proba([e.features for e in tested])
        set_gold = [e.label for e in tested]
        result["sets"][name] = classification_metrics(set_gold, list(np.array(LABELS)[set_proba.argmax(axis=1)]),
                                                      set_proba)
        gold += set_gold
        proba.append(set_proba)
    stacked = np.vstack(proba)
    result["model"] = classification_metrics(gold, list(np.array(LABELS)[stacked.argmax(axis=1)]), stacked)
    return result


def held_out_topics(examples: list[Example], extra: list[Example], test: list[Example], *,
                    external_weight: float = 0.0, stack_polarity: bool = True) -> dict[str, Any]:
    """Out-of-domain check on the test topics of the external sets (every item a pro or con argument).

    The model is trained as shipped, on the whole corpus plus ``extra`` (train-split topics only),
    and never sees a test topic. Per set: macro-F1 over pro and con with a prediction of neutral
    counted as wrong, pro-versus-con accuracy by the larger of the two probabilities, and the share
    called neutral; ``macro_f1`` and ``neutral_share`` average the sets of ``HELD_OUT_SETS``.
    """
    if any(e.split != "train" for e in extra) or any(e.split != "test" for e in test):
        raise ValueError("train on train-split topics, test on test-split topics")
    model = fit(examples + extra, calibrate_on=examples, external_weight=external_weight, stack_polarity=stack_polarity)
    results: dict[str, Any] = {"sets": {}}
    for name in sorted({e.group for e in test}):
        items = [e for e in test if e.group == name]
        gold = [e.label for e in items]
        proba = model.predict_proba([e.features for e in items])
        pred = list(np.array(LABELS)[proba.argmax(axis=1)])
        pro_con = np.where(proba[:, LABELS.index("pro")] >= proba[:, LABELS.index("con")], "pro", "con")
        held = {"n": len(items),
                "macro_f1": float(f1_score(gold, pred, labels=["pro", "con"], average="macro", zero_division=0)),
                "pro_con_accuracy": float(np.mean(pro_con == np.array(gold))),
                "neutral_share": float(np.mean(np.array(pred) == "neutral"))}
        if model.polarity is not None:
            held["polarity_accuracy"] = float(np.mean(model.polarity.predict([e.features for e in items]) == np.array(gold)))
        results["sets"][name] = held
    scored = [results["sets"][name] for name in HELD_OUT_SETS if name in results["sets"]]
    if scored:
        results["macro_f1"] = float(np.mean([h["macro_f1"] for h in scored]))
        results["neutral_share"] = float(np.mean([h["neutral_share"] for h in scored]))
    return results


def _norm_holder(holder: str | None) -> str | None:
    return holder.lower().strip() if holder else None


def by_document(aligned: list[GoldSentence]) -> dict[str, list[GoldSentence]]:
    grouped: dict[str, list[GoldSentence]] = {}
    for g in aligned:
        grouped.setdefault(g.segment["doc_id"], []).append(g)
    return grouped


def attribution_metrics(aligned: list[GoldSentence]) -> dict[str, Any]:
    hits = total = held_hits = held_total = 0
    for doc_id, sents in sorted(by_document(aligned).items()):
        predicted = attributions([g.span for g in sents], [g.segment["speaker"] for g in sents])
        for g, holder in zip(sents, predicted):
            ok = _norm_holder(holder) == _norm_holder(g.record.get("attributed_to"))
            hits, total = hits + ok, total + 1
            if g.record.get("attributed_to") or holder:
                held_hits, held_total = held_hits + ok, held_total + 1
    return {"accuracy": hits / max(total, 1), "n": total,
            "accuracy_where_any_holder": held_hits / max(held_total, 1), "n_any_holder": held_total}


def entity_metrics(gold_path: Path, work: Path) -> dict[str, Any]:
    gold = [g for g in read_jsonl(gold_path, validate=False) if g["label"] in GOLD_ENTITY_LABELS]
    predicted = [e for e in read_jsonl(work / "entities.jsonl") if e["label"] in GOLD_ENTITY_LABELS]
    scope = {g["sent_id"] for g in read_jsonl(gold_path.parent / "claims.jsonl", validate=False)}
    predicted = [e for e in predicted if e["sent_id"] in scope]
    gold_keys = {(g["doc_id"], g["start"], g["end"]): g for g in gold}
    pred_keys = {(e["doc_id"], e["start"], e["end"]): e for e in predicted}
    matched = gold_keys.keys() & pred_keys.keys()
    precision = len(matched) / max(len(pred_keys), 1)
    recall = len(matched) / max(len(gold_keys), 1)
    canonical = sum(gold_keys[k]["canonical"] == pred_keys[k]["canonical"] for k in matched)
    label = sum(gold_keys[k]["label"] == pred_keys[k]["label"] for k in matched)
    by_label = {}
    for name in GOLD_ENTITY_LABELS:
        g = {k for k, v in gold_keys.items() if v["label"] == name}
        p = {k for k, v in pred_keys.items() if v["label"] == name}
        by_label[name] = {"gold": len(g), "predicted": len(p), "recall": len(g & p) / max(len(g), 1)}
    return {"precision": precision, "recall": recall,
            "f1": 2 * precision * recall / max(precision + recall, 1e-12),
            "canonical_accuracy": canonical / max(len(matched), 1), "label_accuracy": label / max(len(matched), 1),
            "gold": len(gold_keys), "predicted": len(pred_keys), "matched": len(matched), "by_label": by_label}


def bcubed_f1(gold: list[str], pred: list[str]) -> dict[str, float]:
    """B-cubed precision, recall and F1 of a clustering ``pred`` against classes ``gold``."""
    n = len(gold)
    gold_groups, pred_groups = defaultdict(set), defaultdict(set)
    for i, (g, p) in enumerate(zip(gold, pred)):
        gold_groups[g].add(i)
        pred_groups[p].add(i)
    precision = sum(len(pred_groups[pred[i]] & gold_groups[gold[i]]) / len(pred_groups[pred[i]]) for i in range(n)) / max(n, 1)
    recall = sum(len(pred_groups[pred[i]] & gold_groups[gold[i]]) / len(gold_groups[gold[i]]) for i in range(n)) / max(n, 1)
    return {"precision": precision, "recall": recall, "f1": 2 * precision * recall / max(precision + recall, 1e-12)}


def theme_metrics(aligned: list[GoldSentence], taxonomy: Path, topic: str,
                  warn: Callable[[str], None] = print) -> dict[str, Any]:
    """Themes of the gold pro/con claims (gold stance, so that themes are scored on their own)."""
    claims, gold_theme = [], {}
    neighbours = {k: v for gs in by_document(aligned).values()
                  for k, v in paragraph_neighbours([g.segment for g in gs], gs[0].span.doc.text).items()}
    for g in aligned:
        if g.record["stance"] not in ("pro", "con"):
            continue
        claims.append(ClaimText.from_span(g.record["sent_id"], g.segment["doc_id"], g.record["stance"], g.record["text"],
                                          g.span, g.segment["section"] or "",
                                          neighbours=neighbours.get(g.record["sent_id"], ())))
        gold_theme[g.record["sent_id"]] = g.record.get("theme") or OTHER
    themes = load_taxonomy(taxonomy, topic=topic, warn=warn)  # as the themes stage would, for this topic
    records = ThemeModel(themes).fit(claims).records()
    label_of = {r["theme_id"]: (r["label"] if r["seeded"] else OTHER) for r in records}
    assigned = {m: r["theme_id"] for r in records for m in r["members"]}
    ids = sorted(gold_theme)
    pred_label = [label_of[assigned[i]] for i in ids]
    gold_label = [gold_theme[i] for i in ids]
    with_theme = [i for i, g in enumerate(gold_label) if g != OTHER]
    return {"n": len(ids), "bcubed": bcubed_f1(gold_label, [assigned[i] for i in ids]),
            "label_accuracy": float(np.mean([pred_label[i] == gold_label[i] for i in with_theme])) if with_theme else 0.0,
            "label_accuracy_all": float(np.mean([p == g for p, g in zip(pred_label, gold_label)])),
            "other_share": float(np.mean([assigned[i] == OTHER for i in ids])) if ids else 0.0}


def _refuse_shared_documents(sets: dict[str, list[Example]]) -> None:
    """Each document in one gold set only: a document left out of training must not be trained
    on under the other set's name."""
    seen: dict[str, str] = {}
    for name, examples in sets.items():
        for doc in sorted({e.group for e in examples}):
            if doc in seen:
                raise ArgmineError(f"{name}: document {doc!r} is also in {seen[doc]}; a document left out for "
                                   "testing would still be trained on, so each document belongs to one gold set")
            seen[doc] = name


def run(gold_path: Path, corpus: Path, *, work: Path, topic: str, external_root: Path | None,
        external: list[str], metrics_path: Path | None, model: str | None = None,
        external_weight: float = 0.0, stack_polarity: bool = True, extra_gold: list[Path] | None = None,
        warn: Callable[[str], None] = print) -> dict[str, Any]:
    """Segment and tag ``corpus`` (into its ``labelled_work`` folder under ``work``, as the gold
    sets), then score every stage against the gold.

    Stance is trained with the train-split topics of the ``external`` sets (weighted and stacked
    as ``fit`` does) and scored twice: leave-one-document-out on the corpus, and on the test
    topics of ``HELD_OUT_SETS`` (and of the ``external`` sets) when ``external_root`` holds them.
    The documents of the ``extra_gold`` sets are in every fold's training; they are also scored
    leave-one-document-out themselves, trained on the corpus and their other documents, and
    each set as a whole by a model trained without it (``sets_left_out``).
    """
    root, work = work, labelled_work(corpus, work)
    segment_stage.run(corpus, work, model=model, warn=warn)
    entities_stage.run(work, model=model)
    nlp = load_spacy(model)
    gold = load_gold(gold_path)
    aligned = align_gold(gold, work, nlp, warn)
    examples = corpus_examples(aligned, topic)
    sentences = [s for s in read_jsonl(work / "sentences.jsonl") if s["kind"] in ("sentence", "list_item")]
    metrics: dict[str, Any] = {"gold": str(gold_path), "coverage": len(examples) / max(len(sentences), 1)}
    extra = external_examples(external_root, external, nlp) if external and external_root is not None else []
    gold_sets = [load_gold_set(folder, nlp, model=model, root=root, warn=warn) for folder in extra_gold or []]
    by_set = {str(gold_set.folder): gold_set.examples() for gold_set in gold_sets}
    _refuse_shared_documents({str(gold_path): examples, **by_set})
    also = [e for set_examples in by_set.values() for e in set_examples]
    settings = {"external_weight": external_weight, "stack_polarity": stack_polarity}
    metrics["stance"] = stance_lodo(examples, extra, also=also, **settings)
    if also:
        metrics["stance"]["extra_gold"] = {"sets": [str(folder) for folder in extra_gold or []],
                                           "documents": len({e.group for e in also}), "sentences": len(also)}
        metrics["stance_without_extra_gold"] = {"model": stance_lodo(examples, extra, **settings)["model"]}
        metrics["stance_extra_gold"] = stance_lodo(also, extra, also=examples, **settings)
        # Each of these documents was tested by a model trained on all the others: together, one
        # leave-one-document-out over every labelled document.
        metrics["stance_all_documents"] = pooled(metrics["stance"]["model"], metrics["stance_extra_gold"]["model"])
        metrics["stance_extra_gold_unseen"] = sets_left_out(examples, by_set, extra, settings)
    if extra:
        metrics["stance"]["external"] = {"sets": external, "n_external": len(extra), **settings}
        metrics["stance_without_external"] = {"model": stance_lodo(examples, [], also=also)["model"]}
    if external_root is not None and external_root.is_dir():
        test_sets = sorted(set(HELD_OUT_SETS) | set(external))
        test = external_examples(external_root, test_sets, nlp, split="test")
        held = held_out_topics(examples + also, extra, test, **settings)
        held["objective"] = (metrics["stance"]["model"]["macro_f1"] + held["macro_f1"]) / 2
        metrics["held_out_topics"] = held
    else:
        warn(f"{external_root}: no external data, the held-out-topic figures are skipped")
    metrics["attribution"] = attribution_metrics(aligned)
    entity_gold = gold_path.parent / "entities.jsonl"
    if entity_gold.exists():
        metrics["entities"] = entity_metrics(entity_gold, work)
    if any(g.get("theme") for g in gold):
        metrics["themes"] = theme_metrics(aligned, default_taxonomy_path(), topic, warn)
    # The extra gold sets are texts no rule or seed was written against: their figures are unseen ones.
    # Each set on its own: they were made at different times, and the later is unseen by more.
    if gold_sets:
        metrics["extra_gold"] = {}
        for gold_set in gold_sets:
            scores = metrics["extra_gold"][str(gold_set.folder)] = {"attribution": attribution_metrics(gold_set.aligned)}
            themed = [g for g in gold_set.aligned if gold_set.topics[g.segment["doc_id"]] == topic]
            if any(g.record.get("theme") for g in themed):
                scores["themes"] = theme_metrics(themed, default_taxonomy_path(), topic, warn)
    if metrics_path is not None:
        write_json(metrics_path, metrics)
    return metrics


def format_table(metrics: dict[str, Any]) -> str:
    """The evaluation as a plain-text table."""
    rows = [("model", metrics["stance"]["model"]), ("majority class", metrics["stance"]["majority"]),
            ("cue lexicon", metrics["stance"]["lexicon"])]
    if "stance_without_external" in metrics:
        ext = metrics["stance"]["external"]
        how = [f"w {ext['external_weight']:g}"] + (["polarity"] if ext["stack_polarity"] else [])
        rows[0] = ("model (+" + "+".join(ext["sets"]) + ", " + ", ".join(how) + ")", metrics["stance"]["model"])
        rows.append(("model, without public data", metrics["stance_without_external"]["model"]))
    if "stance_without_extra_gold" in metrics:
        rows += [("model, without extra gold sets", metrics["stance_without_extra_gold"]["model"]),
                 ("extra gold sets, each document", metrics["stance_extra_gold"]["model"]),
                 ("  each set, trained without it", metrics["stance_extra_gold_unseen"]["model"]),
                 *((f"    {Path(name).name}", m) for name, m in metrics["stance_extra_gold_unseen"]["sets"].items()),
                 ("all documents, each left out", metrics["stance_all_documents"])]
    width = max(31, *(len(name) + 1 for name, _ in rows))
    lines = [f"gold: {metrics['gold']}  (covers {metrics['coverage']:.1%} of sentence and list-item segments)", "",
             f"{'stance, leave-one-document-out':<{width + 2}} macro-F1   F1 pro   F1 con   F1 neutral"]
    for name, m in rows:
        f = m["per_class"]
        lines.append(f"  {name:<{width}}{m['macro_f1']:>8.3f}{f['pro']['f1']:>9.3f}{f['con']['f1']:>9.3f}{f['neutral']['f1']:>13.3f}")
    model = metrics["stance"]["model"]
    lines.append(f"  calibration error (ECE) {model.get('ece', float('nan')):.3f}; confusion (rows gold, cols predicted: pro con neutral):")
    for label, row in zip(LABELS, model["confusion"]["matrix"]):
        lines.append(f"    {label:<8}" + "".join(f"{v:>6}" for v in row))
    if "held_out_topics" in metrics:
        held = metrics["held_out_topics"]
        lines += ["", "stance, external test topics (trained on train topics only)   "
                  "macro-F1 pro/con (neutral wrong)   pro-vs-con acc.   called neutral"]
        for name, h in held["sets"].items():
            lines.append(f"  {name + ' (n=' + str(h['n']) + ')':<59}{h['macro_f1']:>10.3f}{h['pro_con_accuracy']:>22.3f}"
                         f"{h['neutral_share']:>17.1%}")
        lines.append(f"  {'mean of ' + ', '.join(HELD_OUT_SETS):<59}{held['macro_f1']:>10.3f}{'':>22}"
                     f"{held['neutral_share']:>17.1%}")
        lines.append(f"  objective: mean of corpus LODO macro-F1 and held-out-topic macro-F1 = {held['objective']:.3f}")
    a = metrics["attribution"]
    lines += ["", f"attribution accuracy {a['accuracy']:.3f} (n={a['n']}); where gold or prediction names a holder "
              f"{a['accuracy_where_any_holder']:.3f} (n={a['n_any_holder']})"]
    if "entities" in metrics:
        e = metrics["entities"]
        lines.append(f"entities  P {e['precision']:.3f}  R {e['recall']:.3f}  F1 {e['f1']:.3f}  "
                     f"canonical-id accuracy {e['canonical_accuracy']:.3f} (gold {e['gold']}, predicted {e['predicted']})")
    scopes = [("themes", metrics)] + [(f"themes, {Path(name).name} on the topic", scores)
                                      for name, scores in metrics.get("extra_gold", {}).items()]
    for name, scope in scopes:
        if "themes" in scope:
            t = scope["themes"]
            b = t["bcubed"]
            lines.append(f"{name:<9} B-cubed P {b['precision']:.3f}  R {b['recall']:.3f}  F1 {b['f1']:.3f}  "
                         f"label accuracy {t['label_accuracy']:.3f}  other {t['other_share']:.1%} (n={t['n']})")
    for name, scores in metrics.get("extra_gold", {}).items():
        a = scores["attribution"]
        lines.append(f"attribution, {Path(name).name}: accuracy {a['accuracy']:.3f} (n={a['n']}); where gold or "
                     f"prediction names a holder {a['accuracy_where_any_holder']:.3f} (n={a['n_any_holder']})")
    return "\n".join(lines)

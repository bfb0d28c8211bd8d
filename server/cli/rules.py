"""`kefu rules mine`: frequent itemsets and association rules from order baskets, stored for the service.

Baskets come from a file (one basket a line, items comma-separated) or from the store's own orders
(`--from-orders`, by product or by category). Either engine — `local` (compiled FP-growth) or `spark` (MLlib
`FPGrowth` on `KEFU_SPARK_MASTER`) — writes the same rule file, `KEFU_RULES_DIR/<name>.json` unless `--out`
says where. `--format json` prints that file's content on stdout (progress and the summary go to stderr);
otherwise a table of the strongest rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from server.cli.spark import Engine
from server.settings import get_settings

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session, sessionmaker

    from tools.marketing.rules import MiningResult, RuleSet

rules_app = typer.Typer(
    help="Association rules for cross-sell: mine them from baskets or orders.", no_args_is_help=True
)

T = TypeVar("T")


class By(StrEnum):
    product = "product"
    category = "category"


class Format(StrEnum):
    table = "table"
    json = "json"


class _Stages:
    """A spinner with the current stage and the elapsed time on stderr (only on a terminal): FP-growth runs in
    one compiled call or one Spark job, so stages are what there is to show."""

    def __init__(self, console: Console) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._task = self._progress.add_task("starting", total=None)

    def run(self, description: str, work: Callable[[], T]) -> T:
        self._progress.update(self._task, description=description)
        return work()

    @contextmanager
    def shown(self) -> Iterator[_Stages]:
        with self._progress:
            yield self


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@rules_app.command("mine")
def mine_command(
    min_support: Annotated[
        float, typer.Option("--min-support", help="Least share of baskets an itemset is in, a fraction (0, 1].")
    ],
    baskets: Annotated[
        str | None,
        typer.Option(
            "--baskets",
            metavar="FILE",
            help="Baskets file, one basket a line, items comma-separated (the spark engine also takes a URI).",
        ),
    ] = None,
    from_orders: Annotated[
        bool, typer.Option("--from-orders", help="Mine the store's own orders (KEFU_DATABASE_URL) instead.")
    ] = False,
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", help="Least confidence of a rule, a fraction [0, 1].")
    ] = 0.1,
    engine: Annotated[Engine, typer.Option(help="local (compiled FP-growth) or spark (KEFU_SPARK_MASTER).")] = (
        Engine.local
    ),
    by: Annotated[
        By,
        typer.Option(
            help="Items are products, or their categories (with --baskets: product ids mapped by the catalogue)."
        ),
    ] = By.product,
    output_format: Annotated[Format, typer.Option("--format", help="table (readable) or json (the rule file).")] = (
        Format.table
    ),
    name: Annotated[
        str | None,
        typer.Option(help="Rule set name: the file KEFU_RULES_DIR/<name>.json (default: from the source and --by)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the rule file here instead.")] = None,
    save: Annotated[bool, typer.Option(help="Write the rule file (--no-save: only print).")] = True,
    master: Annotated[
        str | None, typer.Option(help="Spark master for --engine spark (default KEFU_SPARK_MASTER, local[2]).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Rules shown in the table.")] = 20,
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing if the rule file exists (`make run` mines once).")
    ] = False,
) -> None:
    """Mine frequent itemsets and rules (support, confidence, lift) and store them for cross-sell."""
    from rich.console import Console

    from tools.marketing.rules import RulesError, RuleSet, rules_path, save_rules
    from tools.marketing.spark_session import SparkError

    if (baskets is None) == (not from_orders):
        raise _fail("give either --baskets FILE or --from-orders")
    settings = get_settings()
    source = "orders" if from_orders else str(baskets)
    if name is None:
        stem = "orders" if from_orders else Path(str(baskets)).stem
        name = f"{stem}-{by.value}" if from_orders or by is By.category else stem
    err = Console(stderr=True)
    try:
        target = None if not save else (out or rules_path(settings.rules.dir, name))
        if if_missing and target is not None and target.exists():
            err.print(f"rule file present at {target}; nothing to do", highlight=False)
            return
        with _Stages(err).shown() as stages:
            result = _mine(
                stages,
                baskets=baskets,
                from_orders=from_orders,
                by=by,
                engine=engine,
                min_support=min_support,
                min_confidence=min_confidence,
                master=master or settings.spark.master,
            )
            rule_set = RuleSet.from_result(result, name=name, by=by.value, source=source)
            if target is not None:
                stages.run(f"writing {target}", lambda: save_rules(rule_set, target))
    except (RulesError, SparkError) as exc:
        raise _fail(str(exc)) from exc
    kind = "categories" if by is By.category else "products"
    summary = (
        f"{len(result.itemsets)} itemsets and {len(result.rules)} rules from {result.n_baskets} baskets "
        f"({result.n_items} {kind}, min support {min_support} = {result.min_count} baskets) "
        f"in {result.seconds:.2f} s on the {engine.value} engine"
        + (f"; saved to {target}" if target is not None else "")
    )
    if output_format is Format.json:
        typer.echo(rule_set.model_dump_json())
        err.print(summary, highlight=False)
    else:
        _print_table(rule_set, result, limit)
        Console().print(summary, highlight=False)


def _mine(
    stages: _Stages,
    *,
    baskets: str | None,
    from_orders: bool,
    by: By,
    engine: Engine,
    min_support: float,
    min_confidence: float,
    master: str,
) -> MiningResult:
    from tools.marketing.rules import RulesError, mine_local, read_weighted_baskets
    from tools.marketing.rules.mining import check_thresholds

    check_thresholds(min_support, min_confidence)  # before any database or JVM
    rows: list[list[str]] | Counter[tuple[str, ...]] | None = None
    if from_orders:
        rows = stages.run("reading the store's orders", lambda: _order_baskets(by))
        if not rows:
            raise RulesError("the store has no orders to mine (`kefu demo-data` builds the demo store)")
    elif engine is Engine.local or by is By.category:
        if baskets is not None and "://" in baskets:
            raise RulesError("the local engine reads local files; give a path, or use --engine spark for a URI")
        weighted = stages.run(f"reading {baskets}", lambda: read_weighted_baskets(Path(str(baskets))))
        if by is By.category:
            weighted = stages.run("mapping products to categories", lambda: _to_categories(weighted))
        rows = weighted
    if engine is Engine.local:
        assert rows is not None
        return stages.run(
            f"mining {len(rows)} baskets (FP-growth)",
            lambda: mine_local(rows, min_support=min_support, min_confidence=min_confidence),
        )
    from server.cli.spark import start_spark
    from tools.marketing.rules.spark import mine_spark, read_baskets_frame

    spark = stages.run(f"starting Spark on {master}", lambda: start_spark("kefu-rules", master))
    if isinstance(rows, Counter):  # a file mapped to categories: its baskets again, one per line
        rows = [list(basket) for basket, k in rows.items() for _ in range(k)]
    frame = rows if rows is not None else read_baskets_frame(spark, str(baskets))
    return stages.run(
        "mining on Spark (FPGrowth)",
        lambda: mine_spark(spark, frame, min_support=min_support, min_confidence=min_confidence),
    )


def _session_factory() -> sessionmaker[Session]:
    from server.db.engine import make_engine, make_session_factory

    return make_session_factory(make_engine(get_settings().db.url))


def _order_baskets(by: By) -> list[list[str]]:
    from sqlalchemy.exc import SQLAlchemyError

    from server.db.baskets import order_baskets
    from tools.marketing.rules import RulesError

    try:
        return order_baskets(_session_factory(), by=by.value)
    except SQLAlchemyError as exc:
        raise RulesError(f"cannot read the store's orders (KEFU_DATABASE_URL): {type(exc).__name__}") from exc


def _to_categories(weighted: Counter[tuple[str, ...]]) -> Counter[tuple[str, ...]]:
    from sqlalchemy.exc import SQLAlchemyError

    from server.db.baskets import product_categories
    from tools.marketing.rules import RulesError

    try:
        categories = product_categories(_session_factory())
    except SQLAlchemyError as exc:
        raise RulesError(f"cannot read the catalogue (KEFU_DATABASE_URL): {type(exc).__name__}") from exc
    unknown = sorted({item for basket in weighted for item in basket if item not in categories})
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise RulesError(f"--by category needs product ids from the catalogue; unknown: {shown}")
    out: Counter[tuple[str, ...]] = Counter()
    for basket, k in weighted.items():
        out[tuple(dict.fromkeys(categories[item] for item in basket))] += k
    return out


def _print_table(rule_set: RuleSet, result: MiningResult, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"rules of {rule_set.name} (strongest {min(limit, len(rule_set.rules))} by lift)")
    for column in ("if a basket has", "it also has", "support", "confidence", "lift"):
        table.add_column(column, justify="right" if column in ("support", "confidence", "lift") else "left")
    for rule in rule_set.rules[:limit]:
        table.add_row(
            ", ".join(rule.antecedent),
            ", ".join(rule.consequent),
            f"{rule.support:.4f}",
            f"{rule.confidence:.3f}",
            f"{rule.lift:.2f}",
        )
    console = Console()
    if rule_set.rules:
        console.print(table)
    else:
        console.print("no rule reaches the thresholds; try a lower --min-support or --min-confidence")
    pairs = [s for s in result.itemsets if len(s.items) > 1][:5]
    if pairs:
        shown = "; ".join(f"{', '.join(s.items)} ({s.support:.3f})" for s in pairs)
        console.print(f"most frequent sets of two or more: {shown}", highlight=False)

"""Commands for scoring: criteria, score sheets (prompted on a terminal), ranking and decisions."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import typer

from cli.common import JsonFlag, WideFlag, call, check_format, console, fail, note, print_document, print_json
from cli.render import Grid, folding, whole
from grants.wording import counted
from grants.writing.formats import OutputFormat

scoring_app = typer.Typer(help="The working group's scoring of bids.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Bid reference, e.g. CRG-2425-001.")]
FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.csv, OutputFormat.markdown)


def interactive_terminal() -> bool:
    """Both ends are a person's terminal, and one that can draw a screen (not TERM=dumb, as in an
    editor's shell): the full-screen sheet can be shown and answered."""
    import os
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb"


def save_sheet(ctx: typer.Context, ref: str, given: dict[str, str], stance: str, comment: str) -> None:
    """Submit one sheet (one transaction) and say what was recorded; a stance the scores
    contradict, given as flags with nobody to ask, is saved with a warning."""
    from grants.scoring import parse_stance, percent_text, stance_at_odds, submit_sheet

    result = call(
        ctx, lambda scope: submit_sheet(scope, ref, given, parse_stance(stance), comment), write=True
    )
    verb = "Re-scored" if result.replaced else "Scored"
    console.print(f"{verb} {result.bid.reference}: {percent_text(result.percent)} ({stance}).")
    odd = stance_at_odds(result.percent, parse_stance(stance))
    if odd:
        note(f"Warning: {odd}; if that is a slip, score {result.bid.reference} again.")


def cancelled(ref: str, saved: list[str], missing: list[str], declined: bool = False) -> typer.Exit:
    """What a member is told when they stop answering (Ctrl-C, or no to submitting): nothing of
    this sheet was saved. Off a terminal the input ran out: say which answers are missing."""
    import sys

    done = f" The sheets saved before it stand ({', '.join(saved)})." if saved else ""
    if declined or sys.stdin.isatty():
        note(f"{'Not submitted' if declined else 'Cancelled'}: nothing was saved for {ref}.{done}")
        return typer.Exit(1)
    note(
        "no answer to the prompts; give every criterion with --criterion KEY=N|na "
        f"(missing: {', '.join(missing)}) and --support, --oppose or --abstain. "
        f"Nothing was saved for {ref}.{done}"
    )
    return typer.Exit(2)


def score(
    ctx: typer.Context,
    reference: Annotated[str | None, typer.Argument(help="Bid reference (or use --next).")] = None,
    next_: Annotated[
        bool, typer.Option("--next", help="Score the bids waiting for your sheet, in turn.")
    ] = False,
    criterion: Annotated[
        list[str] | None, typer.Option(help="KEY=N or KEY=na; once for each criterion.")
    ] = None,
    support: Annotated[bool, typer.Option("--support", help="You support the bid.")] = False,
    oppose: Annotated[bool, typer.Option("--oppose", help="You oppose the bid.")] = False,
    abstain: Annotated[bool, typer.Option("--abstain", help="You abstain.")] = False,
    comment: Annotated[str | None, typer.Option(help="A comment for the working group.")] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="Ask line by line instead of the full-screen sheet.")
    ] = False,
) -> None:
    """Score a bid: a full-screen sheet on a terminal (--plain: one question at a time), or all
    the answers as flags. Re-scoring starts from your last sheet.

    Example: grants --as wg-police score CRG-2425-001 --criterion fit_pcc=4 --criterion fit_csa=4
    --criterion need=3 --criterion outcomes=4 --criterion value=na --criterion deliverable=5 --support
    """
    from grants.scoring import next_for, parse_criterion_flags, sheet_form

    chosen = [name for name, on in (("support", support), ("oppose", oppose), ("abstain", abstain)) if on]
    if len(chosen) > 1:
        fail("give one of --support, --oppose or --abstain", 2)
    if bool(reference) == next_:
        fail("name a bid to score, or give --next", 2)
    flags = call(ctx, lambda scope: parse_criterion_flags(criterion or []), write=False)
    stance = chosen[0] if chosen else None
    saved: list[str] = []
    while True:
        ref = reference or call(ctx, next_for, write=False)
        if ref is None:
            console.print("No bid is waiting for your sheet.")
            return
        # Asked before any question: a conflict of interest or closed scoring refuses here.
        form = call(ctx, partial(sheet_form, reference=ref), write=False)
        given = dict(flags)
        if stance is not None and all(c.key in given for c in form.criteria):
            save_sheet(ctx, ref, given, stance, comment or "")
            return
        if not plain and interactive_terminal():
            from cli.sheet import score_on_sheet

            return score_on_sheet(ctx, form, flags, stance, comment, sitting=next_)
        _score_by_prompts(ctx, form, given, stance, comment, saved)
        if not next_ or not _ask_or_cancel(lambda: typer.confirm("Score the next bid?", default=True)):
            return


def _ask_or_cancel(ask: Any) -> Any:
    try:
        return ask()
    except (typer.Abort, KeyboardInterrupt):
        return False


def _score_by_prompts(
    ctx: typer.Context,
    form: Any,
    given: dict[str, str],
    stance: str | None,
    comment: str | None,
    saved: list[str],
) -> None:
    from cli.score_prompts import Declined, complete_sheet

    ref = form.row.bid.reference
    missing = [c.key for c in form.criteria if c.key not in given]
    try:
        given, stance, comment_text = complete_sheet(form, given, stance, comment)
    except Declined:
        raise cancelled(ref, saved, missing, declined=True) from None
    except (typer.Abort, KeyboardInterrupt):
        raise cancelled(ref, saved, missing) from None
    save_sheet(ctx, ref, given, stance, comment_text)
    saved.append(ref)


# `scoring ranking`: at a narrow terminal these give way in this order (--wide keeps them).
RANKING_COLUMNS = (
    folding("#", drop=6, right=True),
    whole("Reference"),
    folding("Title", drop=1),
    folding("Org", drop=2),
    whole("Amount", right=True),
    folding("Pot", drop=5),
    whole("Mean", right=True),
    whole("Spread", right=True),
    folding("Sheets/orgs", drop=3, right=True),
    folding("Quorum", drop=4),
    whole("S/O/A"),
    folding("Flags"),
    folding("Advice"),
    whole("Running total", right=True),
)


def _ranking_table(ranking: Any, wide: bool = False) -> Grid:
    """The ranking as a table; on a narrow terminal the less needed columns give way."""
    columns = [c.header for c in RANKING_COLUMNS]
    rows: list[list[str]] = []
    for row in ranking.rows():
        cells = {
            "#": str(row["rank"] or ""),
            "Reference": row["reference"],
            "Title": row["title"],
            "Org": row["organisation"],
            "Amount": row["amount"],
            "Pot": row["pot"],
            "Mean": row["mean"] or "—",
            "Spread": row["spread"] or "",
            "Sheets/orgs": f"{row['sheets']}/{row['organisations']}",
            "Quorum": "yes" if row["quorum"] else "no",
            "S/O/A": _stances(row),
            "Flags": ", ".join(row["flags"]),
            "Advice": row["recommendation"],
            "Running total": row["running_total"] or "",
        }
        rows.append([cells[c] for c in columns])
    caption = ", ".join(f"{pot} pot {size}" for pot, size in ranking.pot_sizes.items())
    table = Grid(RANKING_COLUMNS, title="Ranking", caption=caption, compact=True, wide=wide)
    for line in rows:
        table.add_row(*line)
    return table


CSV_FIELDS = (
    "rank",
    "reference",
    "title",
    "organisation",
    "amount_pence",
    "amount",
    "pot",
    "state",
    "mean",
    "spread",
    "sheets",
    "organisations",
    "quorum",
    "support",
    "oppose",
    "abstain",
    "flags",
    "recommendation",
    "running_total_pence",
    "running_total",
)


def _stances(row: dict[str, Any]) -> str:
    if row["support"] == "withheld":
        return "withheld"
    return f"{row['support']}/{row['oppose']}/{row['abstain']}"


def _withheld_note(rows: list[dict[str, Any]]) -> None:
    reasons = sorted({row["withheld"] for row in rows if row.get("withheld")})
    for reason in reasons:
        note(f"Withheld: {reason}")


def render_ranking(ranking: Any, fmt: str, wide: bool = False) -> None:
    rows = ranking.rows()
    _withheld_note(rows)
    if fmt == "json":
        from grants.money import money_fields

        print_json(
            {
                "pots": {pot: money_fields("size", size) for pot, size in ranking.pot_sizes.items()},
                "bids": rows,
            }
        )
    elif fmt == "csv":
        print_document(_ranking_csv(rows), "csv")
    elif fmt == "markdown":
        print_document(_ranking_markdown(rows), "markdown")
    else:
        console.print(_ranking_table(ranking, wide))


def _ranking_csv(rows: list[dict[str, Any]]) -> str:
    from grants.writing.csv_text import csv_text

    joined = [{k: "; ".join(v) if isinstance(v, list) else v for k, v in row.items()} for row in rows]
    # Every column escaped: the figures are counts, scores and pounds that are never negative.
    return csv_text(CSV_FIELDS, joined, escaped=CSV_FIELDS)


MARKDOWN_HEADER = (
    "Rank",
    "Reference",
    "Title",
    "Organisation",
    "Amount",
    "Pot",
    "Mean",
    "Spread",
    "Quorum",
    "Support/Oppose/Abstain",
    "Recommendation",
    "Running total",
)


def _ranking_markdown(rows: list[dict[str, Any]]) -> str:
    from grants.text import markdown_table

    table = []
    for r in rows:
        cells = (
            r["rank"] or "",
            r["reference"],
            r["title"],
            r["organisation"],
            r["amount"],
            r["pot"],
            r["mean"] or "—",
            r["spread"] or "",
            "yes" if r["quorum"] else "no",
            _stances(r),
            r["recommendation"],
            r["running_total"] or "",
        )
        table.append([str(c) for c in cells])
    return "\n".join(markdown_table(MARKDOWN_HEADER, table)) + "\n"


def scoring_ranking(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or markdown.")] = "table",
    json_: JsonFlag = False,
    wide: WideFlag = False,
) -> None:
    """Rank the year's bids by mean score, with quorum, stances, flags and the running total.

    At a narrow terminal the Title, then Org, Sheets/orgs, Quorum, Pot and # columns give way;
    --wide shows every column.

    Example: grants --as kcc-officer scoring ranking --format markdown
    """
    from grants.scoring import ranking

    fmt = check_format(fmt, FORMATS)
    fmt = "json" if json_ else fmt
    render_ranking(call(ctx, ranking, write=False), fmt, wide)


def scoring_sheets(ctx: typer.Context, reference: Ref, json_: JsonFlag = False) -> None:
    """Show the sheets of a bid: after you have submitted yours; to the officer, the chair and the
    OPCC once it has left scoring; to its lead organisation, once decided, only the mean and stances.

    Example: grants --as wg-police scoring sheets CRG-2425-001
    """
    from grants.scoring import bid_sheets, percent_text

    a = call(ctx, lambda scope: bid_sheets(scope, reference), write=False)
    if json_:
        data = {**a.to_row(None), "recused": a.recused, "sheet_details": a.sheets_json()}
        if a.sheets_withheld:
            data["recused"] = "withheld"
            data["sheet_details_withheld"] = a.sheets_withheld
        print_json(data)
        return
    if a.sheets_withheld:
        counts = a.stance_counts()
        console.print(
            f"{a.bid.reference}: mean {percent_text(a.mean)} from {len(a.sheets)} sheets; "
            f"support {counts['support']}, oppose {counts['oppose']}, abstain {counts['abstain']}."
        )
        note(f"The sheets are withheld: {a.sheets_withheld}")
        return
    table = Grid(
        [
            whole("Member"),
            folding("Organisation"),
            whole("Score", right=True),
            whole("Stance"),
            folding("Comment"),
        ],
        title=f"Sheets of {a.bid.reference}: mean {percent_text(a.mean)}",
    )
    for s in a.sheets:
        table.add_row(s.member, s.organisation, percent_text(s.percent), s.stance.value, s.comment)
    console.print(table)
    if a.recused:
        note(f"Recused: {', '.join(a.recused)}")


def shortlist(
    ctx: typer.Context,
    reference: Ref,
    override: Annotated[bool, typer.Option(help="Shortlist without consensus (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why; required with --override or to moderate.")] = None,
) -> None:
    """Shortlist a bid in scoring when quorum and consensus hold (officer).

    Example: grants --as kcc-officer shortlist CRG-2425-001
    """
    from grants.lifecycle import shortlist as do_shortlist

    bid = call(
        ctx, lambda scope: do_shortlist(scope, reference, override=override, reason=reason), write=True
    )
    console.print(f"Shortlisted {bid.reference}{' (consensus overridden)' if override else ''}.")


def decline(
    ctx: typer.Context,
    reference: Ref,
    reason: Annotated[str, typer.Option(help="Why it is not shortlisted.")],
) -> None:
    """Decline a bid in scoring: it is not shortlisted (officer).

    Example: grants --as kcc-officer decline CRG-2425-009 --reason "No consensus of support"
    """
    from grants.lifecycle import decline as do_decline

    bid = call(ctx, lambda scope: do_decline(scope, reference, reason), write=True)
    console.print(f"Declined {bid.reference}: not shortlisted.")


@scoring_app.command("open")
def scoring_open(
    ctx: typer.Context,
    references: Annotated[list[str] | None, typer.Argument(help="Bids to open for scoring.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every submitted bid of the year.")] = False,
) -> None:
    """Open submitted bids for scoring (officer).

    Example: grants --as kcc-officer scoring open --all
    """
    from grants.lifecycle import open_scoring

    bids = call(ctx, lambda scope: open_scoring(scope, references or [], every_submitted=all_), write=True)
    console.print(f"Opened {counted(len(bids), 'bid')} for scoring: {', '.join(b.reference for b in bids)}.")


def register(app: typer.Typer) -> None:
    app.add_typer(scoring_app, name="scoring")
    app.command("score")(score)
    app.command("shortlist")(shortlist)
    app.command("decline")(decline)
    scoring_app.command("ranking")(scoring_ranking)
    scoring_app.command("sheets")(scoring_sheets)

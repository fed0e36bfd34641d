"""The line-by-line score prompts (`grants score --plain`, and any score off a terminal), for
screen readers and plain terminals: the bid first with the member's place in their queue, what
0–5 mean for each criterion, the member's last sheet as the defaults, and a summary to confirm."""

from __future__ import annotations

from typing import Any

import typer

from cli.common import console, note
from cli.render import Grid, folding, styled, text, whole
from grants.text import visible
from grants.wording import day_text


class Declined(Exception):
    """The member answered no to submitting the sheet."""


# The bid card's lines: (label, key of BidRow.to_json()).
CARD = (
    ("Lead organisation", "organisation_name"),
    ("Amount", "amount_requested"),
    ("Pot", "pot"),
    ("PCC priorities", "pcc_priorities"),
    ("CSA priorities", "csa_priorities"),
    ("Summary", "summary"),
    ("Outcomes", "outcomes"),
    ("Measures", "measures"),
)


def card_lines(form: Any) -> list[tuple[str, str]]:
    """The bid as (label, value) lines, the end date included; shared with the full-screen sheet."""
    data = form.row.to_json()
    lines = []
    for label, key in CARD:
        value = data.get(key)
        lines.append((label, ", ".join(value) if isinstance(value, list) else str(value or "")))
    end = form.row.bid.delivery_end
    lines.append(("Delivery ends", day_text(end) if end else "not given"))
    return lines


def show_form(form: Any) -> None:
    from rich.panel import Panel
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in card_lines(form):
        grid.add_row(label, value)
    bid = form.row.bid
    console.print(Panel(grid, title=text(f"{bid.reference} — {bid.title}"), expand=False))
    console.print(f"{bid.reference}: {form.queue.place(bid.reference)}.")


def meanings_line(criterion: Any) -> str:
    """'0 Not addressed · 1 Poor · … · 5 Excellent'."""
    from grants.scoring import score_meanings

    return " · ".join(f"{n} {meaning}" for n, meaning in enumerate(score_meanings(criterion)))


def ask_score(criterion: Any, default: str | None) -> str:
    from grants.errors import BadInput
    from grants.scoring import parse_score

    while True:
        answer = str(
            typer.prompt(
                visible(f"{criterion.title} ({criterion.key}, weight {criterion.weight}) 0–5 or na"),
                default=default,
            )
        )
        try:
            parse_score(criterion.key, answer)
            return answer
        except BadInput as error:
            note(styled("[yellow]{}[/]", error))


def ask_stance(default: str | None) -> str:
    """A first sheet has no default stance: it is a judgement (an oppose blocks consensus), so
    Enter alone does not make one. A re-score offers the member's last stance."""
    while True:
        answer = str(typer.prompt("Stance: support, oppose or abstain", default=default)).strip().lower()
        if answer in ("support", "oppose", "abstain"):
            return answer
        note(styled("[yellow]answer support, oppose or abstain[/]"))


def ask_comment(default: str) -> str:
    if not default:
        return str(typer.prompt("Comment (optional)", default="", show_default=False))
    answer = str(typer.prompt("Comment (Enter keeps your last one; '-' clears it)", default=default))
    return "" if answer.strip() == "-" else answer


def complete_sheet(
    form: Any, given: dict[str, str], stance: str | None, comment: str | None
) -> tuple[dict[str, str], str, str]:
    """Ask for whatever the flags did not give, each answer defaulting to the member's last sheet,
    then show the sheet and ask to confirm it. Raises Declined when the member says no."""
    show_form(form)
    earlier, earlier_stance, earlier_comment = form.earlier_answers()
    if form.previous is not None:
        note(
            "You have scored this bid before: your last answers are the defaults (Enter keeps one). "
            "This sheet replaces yours; the old one stays in the history."
        )
    for criterion in form.criteria:
        if criterion.key not in given:
            if criterion.description:
                console.print(styled("[dim]{}[/]", criterion.description))
            console.print(styled("[dim]{}[/]", meanings_line(criterion)))
            given[criterion.key] = ask_score(criterion, earlier.get(criterion.key))
    stance = stance or ask_stance(earlier_stance.value if earlier_stance else None)
    if comment is None:
        comment = ask_comment(earlier_comment)
    show_summary(form, given, stance, comment)
    question, usual = confirm_question(form, given, stance)
    if not typer.confirm(question, default=usual):
        raise Declined()
    return given, stance, comment


def show_summary(form: Any, given: dict[str, str], stance: str, comment: str) -> None:
    from grants.scoring import percent_text

    table = Grid([folding("Criterion"), whole("Score", right=True)], title="Your sheet")
    for criterion in form.criteria:
        table.add_row(criterion.title, given[criterion.key])
    table.add_row("Weighted score", percent_text(form.percent_so_far(given)))
    table.add_row("Stance", stance)
    if comment:
        table.add_row("Comment", comment)
    console.print(table)


def confirm_question(form: Any, given: dict[str, str], stance: str) -> tuple[str, bool]:
    """'Submit this sheet?' (Enter: yes); when the stance and the scores disagree, it says so
    first and Enter alone does not submit."""
    from grants.scoring import parse_stance, stance_at_odds

    odd = stance_at_odds(form.percent_so_far(given), parse_stance(stance))
    if odd:
        return f"{odd[0].upper()}{odd[1:]}. Submit this sheet?", False
    return "Submit this sheet?", True

"""The full-screen score sheet (`grants score` on a terminal): the bid beside its criteria, answered
with the keyboard and saved with one key through the same service as the prompts and the flags.

Textual is imported here only, and this module only by the score command on a terminal, so no
other command loads it. Every text a user typed reaches the screen as a plain rich Text made
visible (grants.text.visible): never as Textual or Rich markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import typer
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from grants.errors import GrantsError
from grants.text import visible

if TYPE_CHECKING:
    from grants.models import Criterion
    from grants.options import Options
    from grants.scope import Scope
    from grants.scoring import SheetForm, SheetResult

STANCES = ("support", "oppose", "abstain")
STANCE_KEYS = {"s": "support", "o": "oppose", "a": "abstain"}
# The bid card's lines short enough to stand beside their label.
SHORT_LINES = frozenset({"Lead organisation", "Amount", "Pot", "Delivery ends"})
ANSWER_KEYS = (
    *"012345nN",
    *STANCE_KEYS,
    *(k.upper() for k in STANCE_KEYS),
    *("backspace", "delete", "left", "right", "up", "down", "enter"),
)
KEYS = "↑↓ move · 0–5/n score · s/o/a stance · PgUp/PgDn bid · Ctrl+S save · Esc leave"


class Desk:
    """The sheet's service calls, each its own transaction: a bid's form (which refuses a
    conflict of interest or closed scoring before anything is asked), the next bid waiting, and
    saving a sheet with grants.scoring.submit_sheet, as the prompts and the flags do."""

    def __init__(self, options: Options) -> None:
        self.options = options

    def _run(self, work: Any, *, write: bool) -> Any:
        from grants.scope import open_scope

        with open_scope(self.options, write=write) as scope:
            return work(scope)

    def load(self, reference: str) -> SheetForm:
        from grants.scoring import sheet_form

        form: SheetForm = self._run(lambda scope: sheet_form(scope, reference), write=False)
        return form

    def next_waiting(self) -> str | None:
        from grants.scoring import next_for

        reference: str | None = self._run(next_for, write=False)
        return reference

    def save(self, reference: str, given: dict[str, str], stance: str, comment: str) -> SheetResult:
        from grants.scoring import parse_stance, submit_sheet

        def work(scope: Scope) -> SheetResult:
            return submit_sheet(scope, reference, given, parse_stance(stance), comment)

        result: SheetResult = self._run(work, write=True)
        return result


@dataclass
class Sitting:
    """What happened at the sheet: the sheets saved, in order (SheetResult, stance), and the bid
    the member left without saving, if they did."""

    saved: list[tuple[SheetResult, str]] = field(default_factory=list)
    left: str | None = None


def _sheet_screen(answer: Widget) -> SheetScreen:
    """The screen an answer is on: answers are only ever composed by SheetScreen."""
    return cast("SheetScreen", answer.screen)


class Answer(Widget, can_focus=True):
    """A line of the sheet: the member moves to it with ↑/↓ (or Enter) and answers with a key."""

    DEFAULT_CSS = """
    Answer { height: auto; padding: 0 1; }
    Answer:focus { background: $boost; }
    """

    def take(self, key: str) -> bool:
        """Answer with the key if it is one of this line's; False leaves the key to others."""
        return False

    def on_focus(self) -> None:
        self.refresh(layout=True)

    def on_blur(self) -> None:
        self.refresh(layout=True)


class CriterionAnswer(Answer):
    """One criterion: the score given, its title and weight and what the score means; when it
    has the focus, what the criterion asks and what each of 0–5 means."""

    DEFAULT_CSS = """
    CriterionAnswer { layout: horizontal; padding: 0 0 0 1; }
    CriterionAnswer .box { width: 5; height: 1; }
    CriterionAnswer .body { width: 1fr; height: auto; }
    """

    def __init__(self, criterion: Criterion, value: str | None) -> None:
        from grants.scoring import score_meanings

        super().__init__()
        self.criterion = criterion
        self.value = value
        self.meanings = score_meanings(criterion)

    def compose(self) -> ComposeResult:
        yield Static(classes="box")
        yield Static(classes="body")

    def on_mount(self) -> None:
        self.show()

    def on_focus(self) -> None:
        self.show()

    def on_blur(self) -> None:
        self.show()

    def take(self, key: str) -> bool:
        if key in ("backspace", "delete"):
            self.value = None
        elif key.lower() == "n":
            self.value = "na"
        elif len(key) == 1 and key in "012345":
            self.value = key
        else:
            return False
        self.show()
        _sheet_screen(self).answered(self)
        return True

    def show(self) -> None:
        c = self.criterion
        box = Text(f" {self.value or '–':>2} ", "bold reverse" if self.value else "dim reverse")
        body = Text()
        body.append(visible(c.title), "bold")
        body.append(f"\nweight {c.weight}", "dim")
        if self.value == "na":
            body.append(" · not applicable: left out of the score")
        elif self.value is not None:
            body.append(f" · {self.value} {visible(self.meanings[int(self.value)])}")
        if self.screen.focused is self:  # (has_focus is set only after on_focus and on_blur run)
            if c.description:
                body.append(f"\n{visible(c.description)}", "italic")
            scale = " · ".join(f"{n} {visible(m)}" for n, m in enumerate(self.meanings))
            body.append(f"\n{scale} · n na", "dim")
        self.query_one(".box", Static).update(box)
        self.query_one(".body", Static).update(body)


class StanceAnswer(Answer):
    """Support, oppose or abstain: s, o or a (or ←/→)."""

    def __init__(self, value: str | None) -> None:
        super().__init__()
        self.value = value

    def choose(self, value: str, *, move_on: bool) -> None:
        self.value = value
        self.refresh(layout=True)
        _sheet_screen(self).answered(self)
        if move_on:  # on to the comment, so that what is typed next is not read as a stance
            _sheet_screen(self).action_move(1)

    def take(self, key: str) -> bool:
        if key.lower() in STANCE_KEYS:
            self.choose(STANCE_KEYS[key.lower()], move_on=True)
        elif key in ("left", "right"):
            step = 1 if key == "right" else -1
            at = STANCES.index(self.value) if self.value else (-1 if step > 0 else 0)
            self.choose(STANCES[(at + step) % len(STANCES)], move_on=False)
        else:
            return False
        return True

    def render(self) -> Text:
        line = Text()
        line.append("Stance ", "bold")
        for stance in STANCES:
            chosen = stance == self.value  # a mark as well as the style, for a terminal without colour
            line.append(f" {'●' if chosen else '○'} {stance} ", "bold reverse" if chosen else "dim")
        if self.value is None:
            line.append("\n  press s, o or a", "dim")
        return line


class CommentAnswer(Input):
    """The comment for the working group (optional)."""

    def on_input_changed(self) -> None:
        _sheet_screen(self).answered(self)


def card(form: SheetForm) -> Text:
    """The bid, for the left of the sheet: its title, then the prompts' card lines."""
    from cli.score_prompts import card_lines

    bid = form.row.bid
    out = Text()
    out.append(f"{visible(bid.title)}\n", "bold")
    for label, value in card_lines(form):
        if label in SHORT_LINES:
            out.append(f"{label}: ", "bold dim")
            out.append(f"{visible(value) or '—'}\n")
        else:
            out.append(f"\n{label}\n", "bold dim")
            out.append(f"{visible(value) or '—'}\n")
    return out


# How many bids of the queue the strip shows at once: at six characters each, with the "Queue"
# label and the "…" on either side, they fit an 80-column terminal.
QUEUE_WINDOW = 11


def queue_strip(form: SheetForm, reference: str) -> Text:
    """'Queue  001✓ 002✓ ▸003 004 …': the member's queue, saved ones ticked; a long queue shows
    the bids around the one on screen, with '…' for the rest."""
    refs = form.queue.references
    at = refs.index(reference) if reference in refs else 0
    start = max(0, min(at - QUEUE_WINDOW // 2, len(refs) - QUEUE_WINDOW))
    shown = refs[start : start + QUEUE_WINDOW]
    strip = Text(no_wrap=True, overflow="ellipsis")
    strip.append("Queue ", "dim")
    if start > 0:
        strip.append(" …", "dim")
    for ref in shown:
        mark = "✓" if ref in form.queue.saved else ""
        here = ref == reference
        strip.append(" ▸" if here else "  ")
        strip.append(f"{ref.rsplit('-', 1)[-1]}{mark}", "bold reverse" if here else "")
    if start + QUEUE_WINDOW < len(refs):
        strip.append("  …", "dim")
    return strip


class SheetScreen(Screen[None]):
    """One bid's sheet: the bid on the left, the criteria, stance and comment on the right."""

    DEFAULT_CSS = """
    #head { height: 2; padding: 0 1; background: $panel; }
    #panes { height: 1fr; }
    #bid { width: 42%; padding: 0 1; border-right: solid $panel-lighten-2; }
    #answers { width: 1fr; }
    #status { height: auto; max-height: 4; padding: 0 1; background: $panel; }
    #keys { height: 1; padding: 0 1; color: $text-muted; }
    CommentAnswer { margin: 1 1 0 1; }
    """

    def __init__(
        self, form: SheetForm, flags: dict[str, str], stance: str | None, comment: str | None
    ) -> None:
        super().__init__()
        self.form = form
        earlier, earlier_stance, earlier_comment = form.earlier_answers()
        self.start = {**earlier, **flags}
        self.start_stance = stance or (earlier_stance.value if earlier_stance else None)
        self.start_comment = earlier_comment if comment is None else comment
        self.message = Text()
        self.confirming: tuple[Any, ...] | None = None

    @property
    def reference(self) -> str:
        return self.form.row.bid.reference

    def compose(self) -> ComposeResult:
        yield Static(id="head")
        with Horizontal(id="panes"):
            with VerticalScroll(id="bid"):
                yield Static(card(self.form))
            with VerticalScroll(id="answers", can_focus=False):
                for criterion in self.form.criteria:
                    yield CriterionAnswer(criterion, self.start.get(criterion.key))
                yield StanceAnswer(self.start_stance)
                yield CommentAnswer(
                    self.start_comment, placeholder="Comment for the working group (optional)"
                )
        yield Static(id="status")
        yield Static(Text(KEYS, no_wrap=True, overflow="ellipsis"), id="keys")

    def on_mount(self) -> None:
        first = next((a for a in self.criteria if a.value is None), None)
        (first or self.criteria[0]).focus()
        self.show()

    @property
    def criteria(self) -> list[CriterionAnswer]:
        return list(self.query(CriterionAnswer))

    @property
    def fields(self) -> list[Widget]:
        return [*self.criteria, self.query_one(StanceAnswer), self.query_one(CommentAnswer)]

    def answers(self) -> tuple[dict[str, str], str | None, str]:
        given = {a.criterion.key: a.value for a in self.criteria if a.value is not None}
        return given, self.query_one(StanceAnswer).value, self.query_one(CommentAnswer).value

    def action_move(self, step: int) -> None:
        fields = self.fields
        focused = self.focused if self.focused in fields else None
        at = fields.index(focused) if focused is not None else -1
        # At once, not at the next idle (Widget.focus): a fast typist's next key goes to the next line.
        self.set_focus(fields[max(0, min(len(fields) - 1, at + step))])

    def answered(self, answer: Widget) -> None:
        self.confirming = None
        self.message = Text()
        self.show()
        if isinstance(answer, CriterionAnswer) and answer.value is not None:
            self.action_move(1)

    def say(self, message: str, style: str = "yellow") -> None:
        self.message = Text(visible(message), style=style)
        self.show()

    def changed(self) -> bool:
        given, stance, comment = self.answers()
        return (given, stance, comment) != (self.start, self.start_stance, self.start_comment)

    def show(self) -> None:
        """The head (bid, place in the queue, saved or not) and the status (live score, message)."""
        from grants.scoring import percent_text

        form = self.form
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(f"Score {self.reference}", "bold")
        head.append(f" · {form.queue.place(self.reference)} · ")
        if self.changed():
            head.append("unsaved changes", "bold yellow")
        elif form.previous is not None:
            head.append(f"saved (version {form.previous.version})", "green")
        else:
            head.append("not saved yet", "yellow")
        lines = Text("\n", no_wrap=True, overflow="ellipsis").join([head, queue_strip(form, self.reference)])
        lines.no_wrap, lines.overflow = (
            True,
            "ellipsis",
        )  # (join keeps neither) a long line is cut, not wrapped
        self.query_one("#head", Static).update(lines)
        given, stance, _ = self.answers()
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append(f"Weighted score {percent_text(form.percent_so_far(given))}", "bold")
        status.append(f" · {len(given)} of {len(form.criteria)} scored · stance {stance or '—'}")
        self.query_one("#status", Static).update(Text("\n").join([status, self.message]))

    def save(self) -> None:
        """Check the sheet is whole, ask once more when the stance and the scores disagree, then
        hand it to the app to save."""
        from grants.scoring import parse_stance, stance_at_odds

        given, stance, comment = self.answers()
        missing = [a for a in self.criteria if a.value is None]
        if missing:
            self.say(f"Not saved: score {', '.join(a.criterion.key for a in missing)} (0–5, or n for na).")
            missing[0].focus()
            return
        if stance is None:
            self.say("Not saved: choose a stance (press s, o or a: support, oppose or abstain).")
            self.query_one(StanceAnswer).focus()
            return
        odd = stance_at_odds(self.form.percent_so_far(given), parse_stance(stance))
        if odd and self.confirming != (given, stance):
            self.confirming = (given, stance)
            self.say(f"{odd[0].upper()}{odd[1:]}: Ctrl+S again saves it so; or change it.")
            return
        cast("ScoreSheetApp", self.app).save_sheet(self, given, stance, comment)


class RefusedScreen(Screen[None]):
    """A bid the member may not score (a conflict of interest, scoring closed), said before they
    start: nothing to answer, only Esc."""

    def __init__(self, reference: str, message: str) -> None:
        super().__init__()
        self.reference = reference
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble(
                (f"You cannot score {self.reference}\n\n", "bold"),
                visible(self.message),
                ("\n\nNothing was saved for it. Esc leaves.", "dim"),
            ),
            id="refused",
        )


class ScoreSheetApp(App[Sitting]):
    """The sheet, one bid at a time; with `sitting`, the next bid waiting opens after each save."""

    ENABLE_COMMAND_PALETTE = False
    # Every key of the sheet is the app's, looked up as the app reads it (a priority binding), so
    # that keys typed quickly each reach the line that has the focus by then; a key the focused
    # line does not take (a letter typed in the comment, ↑↓ on the bid) goes on to it as usual.
    BINDINGS = [
        Binding("escape,ctrl+c", "leave", "Leave", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("pageup", "scroll_bid(-1)", show=False, priority=True),
        Binding("pagedown", "scroll_bid(1)", show=False, priority=True),
        *(Binding(key, f"answer('{key}')", show=False, priority=True) for key in ANSWER_KEYS),
    ]

    def __init__(
        self,
        desk: Desk,
        form: SheetForm,
        flags: dict[str, str],
        stance: str | None,
        comment: str | None,
        *,
        sitting: bool,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.first = form
        self.answers = (flags, stance, comment)
        self.sitting = sitting
        self.record = Sitting()

    def on_mount(self) -> None:
        self.push_screen(SheetScreen(self.first, *self.answers))

    def action_leave(self) -> None:
        screen = self.screen
        if isinstance(screen, SheetScreen | RefusedScreen):
            self.record.left = screen.reference
        self.exit(self.record)

    def action_answer(self, key: str) -> None:
        from textual.actions import SkipAction

        screen = self.screen
        if not isinstance(screen, SheetScreen) or screen.focused not in screen.fields:
            raise SkipAction()
        focused = screen.focused
        if isinstance(focused, Answer) and focused.take(key):
            return
        moves = (
            {"up": -1, "down": 1} if isinstance(focused, CommentAnswer) else {"up": -1, "down": 1, "enter": 1}
        )
        if key not in moves:
            raise SkipAction()
        screen.action_move(moves[key])

    def action_scroll_bid(self, step: int) -> None:
        """The bid's text scrolls a page from wherever the focus is."""
        if isinstance(self.screen, SheetScreen):
            pane = self.screen.query_one("#bid", VerticalScroll)
            if step > 0:
                pane.scroll_page_down()
            else:
                pane.scroll_page_up()

    def action_save(self) -> None:
        if isinstance(self.screen, SheetScreen):
            self.screen.save()

    def save_sheet(self, screen: SheetScreen, given: dict[str, str], stance: str, comment: str) -> None:
        """Save through the service, in one transaction; a refusal is shown and nothing is saved."""
        try:
            result = self.desk.save(screen.reference, given, stance, comment)
        except GrantsError as error:
            screen.say(f"Not saved: {error}", "bold red")
            return
        self.record.saved.append((result, stance))
        if not self.sitting:
            self.exit(self.record)
            return
        self.open_next()

    def open_next(self) -> None:
        reference = None
        try:
            reference = self.desk.next_waiting()
            form = self.desk.load(reference) if reference else None
        except GrantsError as error:
            self.switch_screen(RefusedScreen(reference or "the next bid", str(error)))
            return
        if form is None:
            self.exit(self.record)
            return
        self.switch_screen(SheetScreen(form, *self.answers))


def report(sitting: Sitting, *, queue_done: bool, broken: bool = False) -> None:
    """After the screen closes: each sheet saved, as the prompts say it; what was left unsaved.
    Leaving with nothing saved is exit 1, as declining at the prompts is; so is a sheet that
    stopped on an error (Textual has shown it), after saying what was saved before it."""
    from cli.common import console, note
    from grants.scoring import percent_text

    for result, stance in sitting.saved:
        verb = "Re-scored" if result.replaced else "Scored"
        console.print(f"{verb} {result.bid.reference}: {percent_text(result.percent)} ({stance}).")
    if sitting.left:
        note(f"Left {sitting.left}: nothing was saved for it.")
    elif queue_done:
        console.print("No bid is waiting for your sheet.")
    if broken or (sitting.left and not sitting.saved):
        raise typer.Exit(1)


def score_on_sheet(
    ctx: typer.Context,
    form: SheetForm,
    flags: dict[str, str],
    stance: str | None,
    comment: str | None,
    *,
    sitting: bool,
) -> None:
    """Run the sheet for a bid the member may score (checked already), or a sitting from it."""
    from cli.common import options

    app = ScoreSheetApp(Desk(options(ctx)), form, flags, stance, comment, sitting=sitting)
    result = app.run()
    if result is None:  # stopped by an error, not by a save or Esc: the sheet on screen was not saved
        report(Sitting(app.record.saved, left="the sheet on the screen"), queue_done=False, broken=True)
    else:
        report(result, queue_done=sitting)

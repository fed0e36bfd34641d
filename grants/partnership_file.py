"""The partnership file: one TOML file holding what a partnership's terms of reference and funding
agreement fix. Read with tomllib and checked whole (every problem, each with its key and line);
written with tomli-w, so that `config show --toml` → `init --from` → `config show --toml` gives the
same file. `EXAMPLE` is the commented example that `init --help` and the README show."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

from grants.errors import BadInput, NotFound, shown
from grants.models import ReferenceKind
from grants.wording import counted

PRESETS = ("kent",)
MAX_SCORE = 5
KEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
CRITERION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,49}$")
SHARE = re.compile(r"^([0-9]+)/([1-9][0-9]*)$")
ROLES = ("officer", "member", "partner", "chair", "pcc", "treasurer")  # identity.ASSIGNABLE_ROLES

# The file's arrays of priorities, and the kind of reference data each holds.
PRIORITY_TABLES: dict[str, ReferenceKind] = {
    "pcc_priorities": ReferenceKind.pcc_priority,
    "partnership_priorities": ReferenceKind.csa_priority,
    "cross_cutting_themes": ReferenceKind.cross_cutting_theme,
}


@dataclass(frozen=True)
class Rules:
    """The terms-of-reference rules, per partnership."""

    tactical_share: Fraction
    quorum: int
    consensus_threshold: int
    moderation_spread: int


@dataclass(frozen=True)
class OrganisationSpec:
    key: str
    name: str
    responsible_authority: bool
    org_id: str | None = None


@dataclass(frozen=True)
class MemberSpec:
    handle: str
    name: str
    organisation: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    title: str
    weight: int
    description: str = ""
    descriptors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemSpec:
    key: str
    title: str


@dataclass(frozen=True)
class PartnershipSpec:
    """A partnership file, checked."""

    name: str
    slug: str
    funder_name: str
    funder_org_id: str | None
    grant_id_prefix: str
    rules: Rules
    organisations: tuple[OrganisationSpec, ...]
    members: tuple[MemberSpec, ...]
    criteria: tuple[CriterionSpec, ...]
    priorities: dict[ReferenceKind, tuple[ItemSpec, ...]]


# --- where each key stands -------------------------------------------------------------------

_STRING = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_KEY_LINE = re.compile(r'^("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_.-]+)\s*=\s*(.*)$')


def _unquote(part: str) -> str:
    part = part.strip()
    return part[1:-1] if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'" else part


def key_lines(text: str) -> dict[tuple[Any, ...], int]:
    """Line numbers of the file's tables and keys: ('funder', 'name') → 7, ('organisations', 1) → 12
    (the second [[organisations]]), ('organisations', 1, 'key') → 13. tomllib gives none."""
    found: dict[tuple[Any, ...], int] = {}
    counters: dict[tuple[str, ...], int] = {}
    table: tuple[Any, ...] = ()
    open_string: str | None = None
    depth = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if open_string:
            if line.count(open_string) % 2:
                open_string = None
            continue
        if depth > 0:
            bare = _STRING.sub("", line.split("#", 1)[0] if '"' not in line and "'" not in line else line)
            depth += bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            name = tuple(_unquote(p) for p in line[2:].split("]]", 1)[0].split("."))
            index = counters.get(name, -1) + 1
            counters[name] = index
            table = (*name, index)
            found.setdefault(table, number)
            continue
        if line.startswith("["):
            table = tuple(_unquote(p) for p in line[1:].split("]", 1)[0].split("."))
            found.setdefault(table, number)
            continue
        match = _KEY_LINE.match(line)
        if not match:
            continue
        key = tuple(_unquote(p) for p in match.group(1).split("."))
        found.setdefault((*table, *key), number)
        value = match.group(2)
        for delimiter in ('"""', "'''"):
            if value.startswith(delimiter) and value.count(delimiter) == 1:
                open_string = delimiter
        if not open_string:
            bare = _STRING.sub("", value)
            bare = bare.split("#", 1)[0]
            depth = max(0, bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}"))
    return found


# --- reading ---------------------------------------------------------------------------------


def _path_text(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text or "(top level)"


class _Reader:
    """Collects every problem of a file, each with its key and line."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = key_lines(text)
        self.source = source
        self.problems: list[tuple[int, str]] = []

    def line(self, path: tuple[Any, ...]) -> int:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
            if (*path[:end], 0) in self.lines:  # an array of tables: where it starts
                return self.lines[(*path[:end], 0)]
        return 1

    def problem(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append((self.line(path), f"line {self.line(path)}: {_path_text(path)}: {message}"))

    def table(
        self, data: Any, path: tuple[Any, ...], fields: dict[str, tuple[str, bool]]
    ) -> dict[str, Any] | None:
        """Check a table's keys (unknown, missing) and the type of each value; the good values."""
        if not isinstance(data, dict):
            self.problem(path, f"should be a table, not {_type_name(data)}")
            return None
        good: dict[str, Any] = {}
        for key, value in data.items():
            if key not in fields:
                self.problem((*path, key), f"unknown key {key!r}; the keys here are: {', '.join(fields)}")
                continue
            kind, _ = fields[key]
            if _type_ok(kind, value):
                good[key] = value
            else:
                self.problem((*path, key), f"should be {_KIND_TEXT[kind]}, not {_type_name(value)}")
        for key, (_, required) in fields.items():
            if required and key not in data:
                self.problem(path, f"{key!r} is missing; add {key} = …")
        return good

    def array(self, data: Any, path: tuple[Any, ...]) -> list[Any]:
        if not isinstance(data, list):
            self.problem(path, f"should be an array of tables ([[{path[-1]}]]), not {_type_name(data)}")
            return []
        return data


_KIND_TEXT = {
    "str": "text in quotes",
    "int": "a whole number",
    "bool": "true or false",
    "table": "a table",
    "array": "an array of tables",
    "strings": 'a list of texts, e.g. ["member"]',
}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "strings":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return True  # tables and arrays are checked where they are read


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


_TOP = {
    "name": ("str", True),
    "slug": ("str", True),
    "funder": ("table", True),
    "rules": ("table", True),
    "organisations": ("array", True),
    "members": ("array", False),
    "criteria": ("array", True),
    **{name: ("array", False) for name in PRIORITY_TABLES},
}
_FUNDER = {"name": ("str", True), "org_id": ("str", False), "grant_id_prefix": ("str", True)}
_RULES = {
    "tactical_share": ("str", True),
    "quorum": ("int", True),
    "consensus_threshold": ("int", True),
    "moderation_spread": ("int", True),
}
_ORGANISATION = {
    "key": ("str", True),
    "name": ("str", True),
    "responsible_authority": ("bool", True),
    "org_id": ("str", False),
}
_MEMBER = {
    "handle": ("str", True),
    "name": ("str", True),
    "organisation": ("str", True),
    "roles": ("strings", True),
}
_CRITERION = {
    "key": ("str", True),
    "title": ("str", True),
    "weight": ("int", True),
    "description": ("str", False),
    "descriptors": ("strings", False),
}
_ITEM = {"key": ("str", True), "title": ("str", True)}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(reader: _Reader, value: Any, path: tuple[Any, ...], limit: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if required and not text:
        reader.problem(path, "is empty")
    elif len(text) > limit:
        reader.problem(path, f"is {len(text)} characters long; the limit is {limit}")
    elif _CONTROL.search(text):
        reader.problem(path, "contains control characters")
    return text


def _pattern(reader: _Reader, value: Any, path: tuple[Any, ...], pattern: re.Pattern[str], hint: str) -> str:
    if isinstance(value, str) and not pattern.match(value):
        reader.problem(path, f"{shown(value)} is not usable: {hint}")
    return value if isinstance(value, str) else ""


def parse_share(text: str) -> Fraction | None:
    """`1/3` → Fraction(1, 3): the share is written as a fraction, as terms of reference put it."""
    match = SHARE.match(text.strip())
    if not match:
        return None
    share = Fraction(int(match.group(1)), int(match.group(2)))
    return share if 0 <= share < 1 else None


def _read_funder(reader: _Reader, top: dict[str, Any]) -> tuple[str, str | None, str]:
    """The funder's name, org-id and 360Giving grant id prefix."""
    funder = (reader.table(top["funder"], ("funder",), _FUNDER) if "funder" in top else None) or {}
    funder_name = _text(reader, funder.get("name"), ("funder", "name"), 200)
    org_id = _text(reader, funder.get("org_id"), ("funder", "org_id"), 80) if "org_id" in funder else None
    prefix = _pattern(
        reader,
        funder.get("grant_id_prefix"),
        ("funder", "grant_id_prefix"),
        PREFIX,
        "use letters, digits and '-' (up to 50), without 360G-, e.g. kentpcc",
    )
    if prefix.upper().startswith("360G-"):
        reader.problem(("funder", "grant_id_prefix"), "leave out 360G-: grants adds it to every id")
    return funder_name, org_id, prefix


def _read_rules(reader: _Reader, top: dict[str, Any]) -> tuple[Fraction | None, int, int, int]:
    """The terms-of-reference rules: tactical share, quorum, consensus threshold, moderation spread."""
    rules_data = (reader.table(top["rules"], ("rules",), _RULES) if "rules" in top else None) or {}
    share = None
    if "tactical_share" in rules_data:
        share = parse_share(rules_data["tactical_share"])
        if share is None:
            reader.problem(
                ("rules", "tactical_share"),
                f'{shown(rules_data["tactical_share"])} is not a share; write a fraction below 1, e.g. "1/3"',
            )

    def bounded(key: str, low: int, high: int, unit: str) -> int:
        value = rules_data.get(key)
        if isinstance(value, int) and not low <= value <= high:
            reader.problem(("rules", key), f"{value} is out of range; give {unit} from {low} to {high}")
        return value if isinstance(value, int) else 0

    quorum = bounded("quorum", 1, 100, "a number of responsible authorities")
    consensus = bounded("consensus_threshold", 0, 100, "a percentage")
    spread = bounded("moderation_spread", 0, 100, "a number of points")
    return share, quorum, consensus, spread


def _read_organisations(reader: _Reader, top: dict[str, Any], quorum: int) -> list[OrganisationSpec]:
    """The partner organisations, each key once, with enough responsible authorities for the quorum."""
    organisations: list[OrganisationSpec] = []
    for i, entry in enumerate(reader.array(top.get("organisations", []), ("organisations",))):
        path: tuple[Any, ...] = ("organisations", i)
        row = reader.table(entry, path, _ORGANISATION)
        if row is None:
            continue
        key = _pattern(reader, row.get("key"), (*path, "key"), KEY, "use lower-case letters, digits and '-'")
        if key and any(o.key == key for o in organisations):
            reader.problem((*path, "key"), f"organisation {key!r} is listed twice; give each key once")
        org = OrganisationSpec(
            key,
            _text(reader, row.get("name"), (*path, "name"), 200),
            bool(row.get("responsible_authority", False)),
            _text(reader, row["org_id"], (*path, "org_id"), 80) if "org_id" in row else None,
        )
        organisations.append(org)
    if "organisations" in top and not organisations and not reader.problems:
        reader.problem(("organisations",), "lists no organisation; add at least one [[organisations]]")
    authorities = sum(o.responsible_authority for o in organisations)
    if quorum and organisations and quorum > authorities:
        reader.problem(
            ("rules", "quorum"),
            f"a quorum of {quorum} responsible authorities cannot be met: the file has {authorities}",
        )
    return organisations


def _read_member(
    reader: _Reader,
    row: dict[str, Any],
    path: tuple[Any, ...],
    organisations: list[OrganisationSpec],
    members: list[MemberSpec],
) -> MemberSpec:
    """One member: a new handle, an organisation of the file, and roles that organisation allows."""
    keys = {o.key for o in organisations}
    handle = _pattern(
        reader,
        row.get("handle"),
        (*path, "handle"),
        HANDLE,
        "use 1–40 lower-case letters, digits, '.', '-' or '_'",
    )
    if handle and any(m.handle == handle for m in members):
        reader.problem((*path, "handle"), f"member {handle!r} is listed twice; give each handle once")
    org_key = row.get("organisation")
    if isinstance(org_key, str) and org_key not in keys:
        reader.problem(
            (*path, "organisation"),
            f"there is no organisation {shown(org_key)} in this file; known: {', '.join(sorted(keys)) or 'none'}",
        )
    roles = row.get("roles", [])
    org_spec = next((o for o in organisations if o.key == org_key), None)
    if "member" in roles and org_spec is not None and not org_spec.responsible_authority:
        reader.problem(
            (*path, "roles"),
            f"{org_spec.name} is not a responsible authority, so {row.get('handle')} cannot be a "
            'scoring working-group member; give roles = ["partner"] (may lead and edit bids, never scores)',
        )
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        reader.problem(
            (*path, "roles"),
            f"unknown role {', '.join(map(repr, unknown))}; roles are: {', '.join(ROLES)}",
        )
    elif "roles" in row and not roles:
        reader.problem((*path, "roles"), f"give at least one role: {', '.join(ROLES)}")
    return MemberSpec(
        handle,
        _text(reader, row.get("name"), (*path, "name"), 200),
        org_key if isinstance(org_key, str) else "",
        tuple(r for r in ROLES if r in roles),
    )


def _read_members(
    reader: _Reader, top: dict[str, Any], organisations: list[OrganisationSpec]
) -> list[MemberSpec]:
    members: list[MemberSpec] = []
    for i, entry in enumerate(reader.array(top.get("members", []), ("members",))):
        path = ("members", i)
        row = reader.table(entry, path, _MEMBER)
        if row is not None:
            members.append(_read_member(reader, row, path, organisations, members))
    return members


def _read_criterion(
    reader: _Reader, row: dict[str, Any], path: tuple[Any, ...], criteria: list[CriterionSpec]
) -> CriterionSpec:
    """One scoring criterion: a new key, a weight from 1 to 100, and six descriptors or none."""
    key = _pattern(
        reader, row.get("key"), (*path, "key"), CRITERION_KEY, "use lower-case letters, digits and '_'"
    )
    if key and any(c.key == key for c in criteria):
        reader.problem((*path, "key"), f"criterion {key!r} is listed twice; give each key once")
    weight = row.get("weight", 0)
    if "weight" in row and not 1 <= weight <= 100:
        reader.problem((*path, "weight"), f"{weight} is out of range; give a whole number from 1 to 100")
    descriptors = tuple(_text(reader, d, (*path, "descriptors"), 300) for d in row.get("descriptors", []))
    if descriptors and len(descriptors) != MAX_SCORE + 1:
        reader.problem(
            (*path, "descriptors"),
            f"has {len(descriptors)} texts; give six, saying what a score of 0, 1, 2, 3, 4 and 5 means",
        )
    return CriterionSpec(
        key,
        _text(reader, row.get("title"), (*path, "title"), 200),
        weight if isinstance(weight, int) else 0,
        _text(reader, row.get("description", ""), (*path, "description"), 1000, required=False),
        descriptors,
    )


def _read_criteria(reader: _Reader, top: dict[str, Any]) -> list[CriterionSpec]:
    """The criteria, whose weights sum to 100."""
    criteria: list[CriterionSpec] = []
    for i, entry in enumerate(reader.array(top.get("criteria", []), ("criteria",))):
        path = ("criteria", i)
        row = reader.table(entry, path, _CRITERION)
        if row is not None:
            criteria.append(_read_criterion(reader, row, path, criteria))
    if "criteria" in top and not criteria and not reader.problems:
        reader.problem(("criteria",), "lists no criterion; add at least one [[criteria]]")
    total = sum(c.weight for c in criteria)
    if criteria and total != 100 and all(1 <= c.weight <= 100 for c in criteria):
        reader.problem(
            ("criteria",),
            f"the weights sum to {total} ({' + '.join(str(c.weight) for c in criteria)}); they must sum to 100",
        )
    return criteria


def _read_priorities(reader: _Reader, top: dict[str, Any]) -> dict[ReferenceKind, tuple[ItemSpec, ...]]:
    """The PCC priorities, partnership priorities and themes: each a list of keys and titles."""
    priorities: dict[ReferenceKind, tuple[ItemSpec, ...]] = {}
    for table, kind in PRIORITY_TABLES.items():
        items: list[ItemSpec] = []
        for i, entry in enumerate(reader.array(top.get(table, []), (table,))):
            path = (table, i)
            row = reader.table(entry, path, _ITEM)
            if row is None:
                continue
            key = _pattern(
                reader, row.get("key"), (*path, "key"), KEY, "use lower-case letters, digits and '-'"
            )
            if key and any(item.key == key for item in items):
                reader.problem((*path, "key"), f"{key!r} is listed twice in {table}; give each key once")
            items.append(ItemSpec(key, _text(reader, row.get("title"), (*path, "title"), 300)))
        priorities[kind] = tuple(items)
    return priorities


def _refuse_problems(reader: _Reader, source: str) -> None:
    """BadInput listing every problem found, in the order of the file's lines."""
    if not reader.problems:
        return
    reader.problems.sort(key=lambda problem: problem[0])
    count = len(reader.problems)
    listed = "\n".join(f"  {text}" for _, text in reader.problems)
    raise BadInput(
        f"{source} has {counted(count, 'problem')}; nothing was created. "
        f"Fix {'them' if count > 1 else 'it'} and run the command again:\n{listed}"
    )


def parse(text: str, source: str = "the partnership file") -> PartnershipSpec:
    """Check a partnership file whole; BadInput listing every problem with its line, or the spec."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{source} is not valid TOML: {error}; fix it and try again") from error
    reader = _Reader(text, source)
    top = reader.table(data, (), _TOP) or {}
    name = _text(reader, top.get("name"), ("name",), 200)
    slug = _pattern(
        reader, top.get("slug"), ("slug",), KEY, "use lower-case letters, digits and '-', e.g. kcsp"
    )
    funder_name, org_id, prefix = _read_funder(reader, top)
    share, quorum, consensus, spread = _read_rules(reader, top)
    organisations = _read_organisations(reader, top, quorum)
    members = _read_members(reader, top, organisations)
    criteria = _read_criteria(reader, top)
    priorities = _read_priorities(reader, top)
    _refuse_problems(reader, source)
    assert share is not None  # a missing or unreadable share is one of the problems refused above
    return PartnershipSpec(
        name=name,
        slug=slug,
        funder_name=funder_name,
        funder_org_id=org_id,
        grant_id_prefix=prefix,
        rules=Rules(share, quorum, consensus, spread),
        organisations=tuple(organisations),
        members=tuple(members),
        criteria=tuple(criteria),
        priorities=priorities,
    )


def read(path: str) -> PartnershipSpec:
    """Read and check a partnership file."""
    file = Path(path)
    if not file.is_file():
        raise NotFound(f"there is no partnership file {shown(path, 80)}; give the path of a .toml file")
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(f"{shown(path, 80)} is not UTF-8 text; save it as UTF-8 and try again") from error
    return parse(text, shown(path, 80))


def preset_text(name: str) -> str:
    if name not in PRESETS:
        raise BadInput(f"there is no preset {shown(name)}; presets are: {', '.join(PRESETS)}")
    return resources.files("grants").joinpath("data", "presets", f"{name}.toml").read_text(encoding="utf-8")


def preset(name: str) -> PartnershipSpec:
    return parse(preset_text(name), f"preset {name}")


def read_chosen(path: str | None, preset_name: str | None) -> PartnershipSpec | None:
    """The partnership file or the preset `init` was given (one at most), read and checked."""
    if path and preset_name:
        raise BadInput("give --from FILE or --preset NAME, not both")
    if path:
        return read(path)
    return preset(preset_name) if preset_name else None


def example_text() -> str:
    """The commented example partnership file (init --help, the README)."""
    return resources.files("grants").joinpath("data", "presets", "example.toml").read_text(encoding="utf-8")


# --- writing ---------------------------------------------------------------------------------


def share_text(share: Fraction) -> str:
    return f"{share.numerator}/{share.denominator}"


def to_data(spec: PartnershipSpec) -> dict[str, Any]:
    """The file's content as TOML data, in the file's order; optional values only when set."""

    def optional(**values: Any) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v not in (None, "", [], ())}

    data: dict[str, Any] = {
        "name": spec.name,
        "slug": spec.slug,
        "funder": {
            "name": spec.funder_name,
            **optional(org_id=spec.funder_org_id),
            "grant_id_prefix": spec.grant_id_prefix,
        },
        "rules": {
            "tactical_share": share_text(spec.rules.tactical_share),
            "quorum": spec.rules.quorum,
            "consensus_threshold": spec.rules.consensus_threshold,
            "moderation_spread": spec.rules.moderation_spread,
        },
        "organisations": [
            {
                "key": o.key,
                "name": o.name,
                "responsible_authority": o.responsible_authority,
                **optional(org_id=o.org_id),
            }
            for o in spec.organisations
        ],
    }
    if spec.members:
        data["members"] = [
            {"handle": m.handle, "name": m.name, "organisation": m.organisation, "roles": list(m.roles)}
            for m in spec.members
        ]
    data["criteria"] = [
        {
            "key": c.key,
            "title": c.title,
            "weight": c.weight,
            **optional(description=c.description, descriptors=list(c.descriptors)),
        }
        for c in spec.criteria
    ]
    for table, kind in PRIORITY_TABLES.items():
        items = spec.priorities.get(kind, ())
        if items:
            data[table] = [{"key": item.key, "title": item.title} for item in items]
    return data


def dumps(spec: PartnershipSpec) -> str:
    """The file as TOML: every value written by tomli-w, laid out as a person would write it (the
    settings first, then one [[table]] per organisation, member, criterion and priority)."""
    import tomli_w

    def lines(table: dict[str, Any]) -> list[str]:
        return [tomli_w.dumps({key: value}).rstrip("\n") for key, value in table.items()]

    data = to_data(spec)
    chunks = [
        f"# The partnership file of {spec.slug}, as `grants config show --toml` writes it.\n"
        "# `grants init --from FILE` creates a partnership from it.",
        "\n".join(lines({"name": data["name"], "slug": data["slug"]})),
    ]
    for key, value in data.items():
        if isinstance(value, dict):
            chunks.append("\n".join([f"[{key}]", *lines(value)]))
        elif isinstance(value, list):
            chunks.extend("\n".join([f"[[{key}]]", *lines(entry)]) for entry in value)
    return "\n\n".join(chunks) + "\n"

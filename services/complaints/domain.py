"""The complaints and disputes procedure (covenant §4.2.1): states, who may move a case, time limits, and who
sees what of a case. Pure: no nameko, no storage.

A case is kept as its changes, in order (nothing is ever changed or deleted): the first holds what was
filed, each later one a step, a message or an attachment. `current` folds them into the case as it stands.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from marshmallow import ValidationError, fields, validate, validates_schema

from common import files, problems, vocabulary
from common.errors import flatten
from common.schema import Strict

PROCEDURE_FILE = Path(__file__).resolve().parent / "procedure.yaml"
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_ATTACHMENTS_TOTAL_BYTES = 20 * 1024 * 1024  # filed at once
# What may identify the complainant: sealed at rest. Its name and contact are shown to the commission only
# (and to the secretariat when the complainant agreed); what happened, where and when (a place or a day can
# point at the one who was there), and the party it is about (a workshop, a person), to whoever may read
# the case's substance.
PERSONAL = ("name", "contact", "what_happened", "where", "when", "party")
# A follow-up code people can read, copy and type: Crockford's base 32 (no I, L, O or U: nothing to take
# for another letter or a digit), 20 characters (100 bits) in groups of 4, read in any case, with or
# without dashes and spaces, an O read as 0 and an I or L as 1.
FOLLOW_UP_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FOLLOW_UP_LENGTH, FOLLOW_UP_GROUP = 20, 4
FOLLOW_UP_WINDOW = timedelta(hours=1)


class ProcedureError(Exception):
    """A procedure file the service cannot run with."""


@dataclass(frozen=True)
class Step:
    state: str
    time_limit_days: int | None
    next: tuple[str, ...]
    by: tuple[str, ...]


@dataclass(frozen=True)
class Procedure:
    version: int
    initial: str
    warn_days_before: int
    steps: dict[str, Step] = field(default_factory=dict)

    def step(self, state: str) -> Step:
        return self.steps[state]

    def deadline(self, state: str, since: datetime) -> date | None:
        days = self.steps[state].time_limit_days
        return None if days is None else (since + timedelta(days=days)).date()

    def to_dict(self) -> dict:
        return {"version": self.version, "initial": self.initial, "warn_days_before": self.warn_days_before,
                "states": [{"state": each.state, "time_limit_days": each.time_limit_days, "next": list(each.next),
                            "by": list(each.by)} for each in self.steps.values()]}


class _Step(Strict):
    time_limit_days = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1))
    next = fields.List(fields.String(validate=validate.OneOf(vocabulary.CASE_STATES.codes)), required=True)
    by = fields.List(fields.String(validate=validate.OneOf(vocabulary.COMMISSION_SEATS.codes)), required=True)


class _ProcedureFile(Strict):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    warn_days_before = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    initial = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_STATES.codes))
    states = fields.Dict(keys=fields.String(validate=validate.OneOf(vocabulary.CASE_STATES.codes)),
                         values=fields.Nested(_Step), required=True)

    @validates_schema
    def every_state_once(self, data, **kwargs):
        named = set(data.get("states", {}))
        if named != set(vocabulary.CASE_STATES.codes):
            raise ValidationError(f"Must list every state: {', '.join(vocabulary.CASE_STATES.codes)}.", "states")


def load_procedure(path: Path = PROCEDURE_FILE) -> Procedure:
    """The procedure file, validated; ProcedureError names the fault."""
    try:
        data = _ProcedureFile().load(yaml.safe_load(Path(path).read_text()))
    except (yaml.YAMLError, OSError) as exc:
        raise ProcedureError(f"{Path(path).name}: {exc}") from exc
    except ValidationError as exc:
        faults = "; ".join(f"{place}: {' '.join(texts)}" for place, texts in flatten(exc.messages).items())
        raise ProcedureError(f"{Path(path).name}: {faults}") from exc
    steps = {state: Step(state, each["time_limit_days"], tuple(each["next"]), tuple(each["by"]))
             for state, each in data["states"].items()}
    return Procedure(data["version"], data["initial"], data["warn_days_before"], steps)


# --- a case as it stands ---------------------------------------------------------------------------------

def current(changes: list[dict]) -> dict:
    """The case as its changes (oldest first) leave it."""
    case = dict(changes[0]["filed"])
    case.update(state=changes[0]["to_state"], state_since=changes[0]["at"], deadline=changes[0].get("deadline"),
                admissible=None, company_asked=False, decision=None, seq=changes[-1]["seq"],
                state_seq=changes[0]["seq"])
    for change in changes[1:]:
        if change["type"] == "moved":
            case.update(state=change["to_state"], state_since=change["at"], deadline=change.get("deadline"),
                        state_seq=change["seq"])
            for name in ("admissible", "decision"):
                if change.get(name) is not None:
                    case[name] = change[name]
        elif change["type"] == "company_asked":
            case["company_asked"] = True
    return case


def may_move(procedure: Procedure, state: str, to: str, seat: str | None) -> problems.Problem | None:
    """Why the move is not allowed, or None when it is: `move_not_allowed` for a state the procedure does not
    go to next (a bad request), `seat_not_allowed` for a step another seat takes (not this member's)."""
    step = procedure.step(state)
    if to not in step.next:
        return problems.MOVE_NOT_ALLOWED(state=state, allowed=list(step.next))
    if seat not in step.by:
        return problems.SEAT_NOT_ALLOWED(seats=list(step.by), state=state)
    return None


def covenant_year_of(day: date) -> int:
    """The covenant year a day falls in (year 1: 1 Oct 2019 - 30 Sep 2020)."""
    return day.year - 2018 if day >= date(day.year, 10, 1) else day.year - 2019


def case_number(year: int, sequence: int) -> str:
    """K-2021-0007: the seventh case filed in 2021."""
    return f"K-{year}-{sequence:04d}"


def case_number_as_written(text: str) -> str:
    """A case number as a person may type it (k-2021-0007, with spaces around) in the form it has."""
    return text.strip().upper()


def new_follow_up_code(choose) -> str:
    """A new follow-up code, in groups (7K3M-Q9XA-...); `choose(alphabet)` picks one character at random
    (secrets.choice)."""
    code = "".join(choose(FOLLOW_UP_ALPHABET) for _ in range(FOLLOW_UP_LENGTH))
    return "-".join(code[place:place + FOLLOW_UP_GROUP] for place in range(0, FOLLOW_UP_LENGTH, FOLLOW_UP_GROUP))


def follow_up_forms(typed: str) -> list[str]:
    """What a typed follow-up code may be, to compare with the hash kept: as typed (a code handed out
    before codes came in groups: 22 characters of mixed case, compared exactly) and in its canonical form
    (upper case, no dashes or spaces, O as 0, I and L as 1), whose hash is kept of every newer code."""
    typed = typed.strip()
    canonical = "".join(typed.split()).replace("-", "").upper().translate(str.maketrans("OIL", "011"))
    return [typed] if canonical == typed else [typed, canonical]


def follow_up_canonical(code: str) -> str:
    """The form of a newer code whose hash is kept."""
    return follow_up_forms(code)[-1]


def attachment_faults(contents: list[bytes], already: int = 0) -> list[problems.Problem]:
    """What is wrong with files to add to a case that holds `already` attachments: too many, too large, or
    neither a photo nor a PDF (each file named by its place when there are several)."""
    faults = []
    if already + len(contents) > MAX_ATTACHMENTS:
        faults.append(problems.TOO_MANY_FILES(max=MAX_ATTACHMENTS))
    if sum(len(content) for content in contents) > MAX_ATTACHMENTS_TOTAL_BYTES:
        faults.append(problems.FILES_TOO_LARGE(max_mb=MAX_ATTACHMENTS_TOTAL_BYTES // 2 ** 20))
    for place, content in enumerate(contents, 1):
        refused = files.fault(content, MAX_ATTACHMENT_BYTES, place if len(contents) > 1 else None)
        if refused:
            faults.append(refused)
    return faults


FILING_WINDOW = timedelta(days=1)
# A key of the day that marks addresses is kept while a mark made with it can count: the longest window (a
# filing's, counted by the hour) after its day ends. Then it is deleted, and its marks can be tried by no one.
MARK_KEYS_KEPT = FILING_WINDOW + timedelta(hours=1)


def due_for_warning(case: dict, procedure: Procedure, today: date) -> bool:
    """Whether the commission should now be told that the case's time limit is about to pass."""
    deadline = case.get("deadline")
    if deadline is None or case["state"] == "closed":
        return False
    deadline = date.fromisoformat(deadline) if isinstance(deadline, str) else deadline
    return today >= deadline - timedelta(days=procedure.warn_days_before)

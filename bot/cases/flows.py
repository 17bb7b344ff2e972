"""The handling flows as data: templates/guides/flows/*.toml, one file per scenario, and
the 店铺体检's questions. Loaded and checked once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from bot import TEMPLATES
from bot.identity.text import fold

FLOWS = TEMPLATES / "guides" / "flows"


AUDIT = TEMPLATES / "guides" / "audit.toml"


AUDIT_CODE = "audit"


END = "end"
# Said inside a flow or after `/处理 #编号`: the merchant drops the case.
DROP_WORDS = {"取消", "删除", "不处理了", "cancel"}


@dataclass(frozen=True)
class Answer:
    words: tuple[str, ...]
    next: str
    label: str
    # False: the flow must not end by suggesting to report the buyer (no proof).
    report: bool = True


@dataclass(frozen=True)
class Step:
    id: str
    text: str
    why: str = ""
    evidence: tuple[str, ...] = ()
    question: str | None = None
    answers: tuple[Answer, ...] = ()
    next: str | None = None
    wait_days: int | None = None
    reminder: str | None = None


@dataclass(frozen=True)
class Scenario:
    code: str
    number: int
    name: str
    aliases: tuple[str, ...]
    summary: str
    report_category: str
    joint: bool
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"{self.code}: no step {step_id}")

    def after(self, step: Step) -> str:
        if step.next:
            return step.next
        index = self.steps.index(step)
        return self.steps[index + 1].id if index + 1 < len(self.steps) else END


@lru_cache(maxsize=1)
def scenarios() -> tuple[Scenario, ...]:
    found = []
    for path in sorted(FLOWS.glob("*.toml")):
        with path.open("rb") as file:
            data = tomllib.load(file)
        steps = tuple(
            Step(
                id=s["id"],
                text=s["text"],
                why=s.get("why", ""),
                evidence=tuple(s.get("evidence", ())),
                question=s.get("question"),
                answers=tuple(
                    Answer(tuple(fold(w) for w in a["words"]), a["next"], a["label"], a.get("report", True))
                    for a in s.get("answers", ())
                ),
                next=s.get("next"),
                wait_days=s.get("wait_days"),
                reminder=s.get("reminder"),
            )
            for s in data["step"]
        )
        found.append(
            Scenario(
                data["code"],
                data["number"],
                data["name"],
                tuple(data.get("aliases", ())),
                data.get("summary", ""),
                data["report_category"],
                bool(data.get("joint")),
                steps,
            )
        )
    found.sort(key=lambda s: s.number)
    _validate(found)
    return tuple(found)


def _validate(found: list[Scenario]) -> None:
    """A flow file with a dangling `next` must fail at start-up, not in a merchant's chat."""
    codes = {s.code for s in found}
    for scenario in found:
        ids = {step.id for step in scenario.steps}
        for step in scenario.steps:
            targets = [a.next for a in step.answers] + ([step.next] if step.next else [])
            for target in targets:
                if target.startswith("@"):
                    if target[1:] not in codes:
                        raise ValueError(f"{scenario.code}.{step.id}: unknown scenario {target}")
                elif target != END and target not in ids:
                    raise ValueError(f"{scenario.code}.{step.id}: unknown step {target}")
            if step.question and not step.answers:
                raise ValueError(f"{scenario.code}.{step.id}: a question needs answers")


def scenario(code: str) -> Scenario:
    for s in scenarios():
        if s.code == code:
            return s
    raise KeyError(code)


def find_scenario(word: str) -> Scenario | None:
    word = fold(word)
    for s in scenarios():
        if word in (str(s.number), s.code, fold(s.name), *(fold(a) for a in s.aliases)):
            return s
    return None


@dataclass(frozen=True)
class AuditItem:
    id: str
    question: str
    fix: str
    why: str
    weight: int


@lru_cache(maxsize=1)
def audit_items() -> tuple[AuditItem, ...]:
    with AUDIT.open("rb") as file:
        return tuple(AuditItem(**item) for item in tomllib.load(file)["item"])


def audit_score(answers: dict[str, object]) -> int:
    items = audit_items()
    total = sum(item.weight for item in items)
    return round(100 * sum(item.weight for item in items if answers.get(item.id)) / total)

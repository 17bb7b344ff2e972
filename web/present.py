"""The core's answers as JSON and as table rows: the same words as the chat replies (the
reasons and next steps are rendered by the chat's own templates, line by line), and
masked phones and addresses only."""

from __future__ import annotations

from typing import Any

from bot.blacklist.blacklist import CheckResult, Filing, Retraction
from bot.cases.joint import CaseSummary, CaseView
from bot.commands.requests import LookupAllowance
from bot.errors import BadInput, Conflict, LengthRequired, Limited, NotAllowed, NotFound, Refused, TooLarge
from bot.messaging.render import explain, label, render
from bot.storage.models.reports import Report
from bot.storage.models.screening import ScreeningJob

STATUS = {
    BadInput: 400,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    LengthRequired: 411,
    TooLarge: 413,
    Limited: 429,
}


def refusal_status(refusal: Refused) -> int:
    for kind, status in STATUS.items():
        if isinstance(refusal, kind):
            return status
    return 400


def refusal_body(refusal: Refused, **extra: Any) -> dict[str, Any]:
    return {"error": refusal.code, "message": explain(refusal, usage=""), **extra}


def _lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        line = line.strip().removeprefix("· ")
        if line[:3].rstrip(".").isdigit() and ". " in line[:5]:
            line = line.split(". ", 1)[1]
        if line:
            lines.append(line)
    return lines


class VerdictWords:
    """Reasons and advice as lines, each rendered once per distinct verdict: in a batch of
    a thousand buyers most have no record and read the same, and the next steps depend
    only on the platform and which steps apply (a thousand listed buyers have a
    thousand sets of reasons, but a handful of sets of steps)."""

    def __init__(self) -> None:
        self._reasons: dict[tuple[Any, ...], list[str]] = {}
        self._advice: dict[tuple[Any, ...], list[str]] = {}

    def __call__(self, result: CheckResult) -> tuple[list[str], list[str]]:
        v = result.verdict
        key = (
            result.names_linked,
            v.level,
            v.score,
            v.shops,
            v.linked_shops,
            v.verified_shops,
            v.roots_independent,
            v.appeal_open,
            tuple(v.categories),
            v.last_reported_days,
            # The reasons name (at most five) linked accounts only to a shop that may see
            # them; to the others they give the count, which is then all the key needs.
            tuple((a.platform_label, a.buyer_id, a.linked_by) for a in v.linked_accounts[:5])
            if result.names_linked
            else None,
            len(v.linked_accounts),
            tuple(f.code for f in v.flags),
            v.blacklist_score,
        )
        reasons = self._reasons.get(key)
        if reasons is None:
            reasons = self._reasons[key] = _lines(render("web/verdict_reasons.j2", result=result))
        steps = (result.platform, tuple(v.advice))
        advice = self._advice.get(steps)
        if advice is None:
            advice = self._advice[steps] = _lines(render("web/verdict_advice.j2", result=result))
        return reasons, advice


def check_result(result: CheckResult, words: VerdictWords) -> dict[str, Any]:
    v = result.verdict
    reasons, advice = words(result)
    linked: list[dict[str, str]] = []
    if result.names_linked:
        linked = [{"platform": a.platform_label, "buyer_id": a.buyer_id, "by": a.linked_by} for a in v.linked_accounts]
    return {
        "platform": result.platform.value if result.platform else None,
        # Asked by an alert's number: masked, as the alert and the chat show it; "" for a
        # phone or an address checked alone, whose masks are under "clues".
        "buyer_id": result.shown_buyer_id,
        "clues": [{"kind": clue.kind, "mask": clue.mask} for clue in result.clues],
        "level": v.level.value,
        # The score of the reports that count; the others' are never the headline number.
        "score": v.score,
        "evidence_score": v.evidence_score,
        "roots_independent": v.roots_independent,
        "shops": {"total": v.shops, "verified": v.verified_shops, "unverified": v.unverified_shops},
        "categories": [{"category": c.value, "label": c.label, "count": n} for c, n in v.categories],
        "reasons": reasons,
        "advice": advice,
        "linked": linked,
        "linked_count": len(v.linked_accounts),
        "appeal_open": v.appeal_open,
    }


def lookups(allowance: LookupAllowance) -> dict[str, Any]:
    """The shop's phone and address lookups of the day, as the chat reply states them."""
    return {
        "limit": allowance.limit,
        "remaining": allowance.remaining,
        "resets_at": allowance.resets_at.isoformat(),
        "reset_seconds": allowance.seconds_to_reset,
    }


def lookup_headers(allowance: LookupAllowance, refused: bool) -> dict[str, str]:
    """The same in headers: X-RateLimit-Reset and Retry-After are the seconds to the end
    of the allowance's day (Beijing midnight), when lookups are possible again."""
    headers = {
        "X-RateLimit-Limit": str(allowance.limit),
        "X-RateLimit-Remaining": str(allowance.remaining),
        "X-RateLimit-Reset": str(allowance.seconds_to_reset),
    }
    if refused or allowance.remaining == 0:
        headers["Retry-After"] = str(allowance.seconds_to_reset)
    return headers


def report(report: Report, platform: str | None = None, buyer_key: str | None = None) -> dict[str, Any]:
    """A report as JSON; the buyer is the report's own (loaded with it) unless given."""
    return {
        "id": report.id,
        "platform": platform or report.buyer.platform,
        "buyer_id": buyer_key or report.buyer.buyer_key,
        "category": report.category,
        "order_no": report.order_no,
        "amount_fen": report.amount_fen,
        "description": report.description,
        "phone": report.phone_mask,
        "address": report.address_mask,
        "state": report.state.value,
        "created_at": report.created_at.isoformat(),
    }


def filing(filed: Filing) -> dict[str, Any]:
    return {
        "report": report(filed.report, filed.platform.value, filed.buyer_id),
        "outcome": filed.outcome,
        "level_before": filed.level_before.value,
        "level_after": filed.verdict.level.value,
        "score_after": filed.verdict.score,
    }


def retraction(done: Retraction) -> dict[str, Any]:
    return {
        "report": report(done.report, done.platform.value, done.buyer_id),
        "level_before": done.level_before.value,
        "level_after": done.verdict.level.value,
        "score_after": done.verdict.score,
    }


def screening(job: ScreeningJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "file_name": job.file_name,
        "platform": job.platform,
        "state": job.state.value,
        "stage": label(job.stage, "ScreeningStage") if job.stage else None,
        "done": job.done,
        "total": job.total,
        "outcome": job.outcome,
        "error": job.error_code,
        "message": (job.error_context or {}).get("message") if job.error_context else None,
        "created_at": job.created_at.isoformat(),
    }


def case(found: CaseView | CaseSummary) -> dict[str, Any]:
    if isinstance(found, CaseSummary):
        return {
            "id": found.case.id,
            "joined": False,
            "platform": found.platform.value,
            "buyer_id": found.buyer_masked,
            "status": found.case.status.value,
            "shops_joined": found.joined,
            "shops_invited": found.invited,
            "may_join": found.may_join,
        }
    return {
        "id": found.case.id,
        "joined": True,
        "platform": found.platform.value,
        "buyer_id": found.buyer_id,
        "status": found.case.status.value,
        "shops_invited": found.invited,
        "proposal": (
            {"status": found.proposal.status.value, "by": found.proposal.by, "until": found.proposal.until.isoformat()}
            if found.proposal
            else None
        ),
        "shops": [
            {
                "name": p.shop_name,
                "orders": [
                    {"order_no": r.order_no, "amount_fen": r.amount_fen, "category": r.category} for r in p.orders
                ],
            }
            for p in found.participants
        ],
        "evidence": [
            {
                "shop": name,
                "description": e.description,
                "kind": "picture" if e.file_name else "text",
                "sha256": e.sha256,
                "created_at": e.created_at.isoformat(),
            }
            for name, e in found.evidence
        ],
    }

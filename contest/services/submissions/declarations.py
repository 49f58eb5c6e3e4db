"""Declarations (声明): the statements a creator accepts to submit an entry — 原创承诺 (originality), 肖像权与音乐版权
(portrait and music rights) and the AIGC 声明 (whether and how generative AI was used, with the tools named).
Flushes, never commits.

Each contest has the three texts: an organizer's edited text (:class:`ContestDeclaration`, version 2, 3, …) or
the default (version 1, in the site's default language so that its words and hash do not depend on who reads
it). Submitting stores, per declaration, the version, SHA-256 and words accepted and the time
(:class:`DeclarationAcceptance`), plus the AIGC answer.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from contest.extensions import db
from contest.models import (
    AigcUse,
    AuditAction,
    Contest,
    ContestDeclaration,
    DeclarationAcceptance,
    DeclarationKey,
    Entry,
    User,
    utcnow,
)
from contest.services.audit.record import record
from contest.services.submissions.errors import SubmissionError

#: Longest declaration text (characters) and list of AIGC tools (characters).
MAX_TEXT_CHARS = 5000
MAX_TOOLS_CHARS = 200

DECLARATION_TITLES = {
    DeclarationKey.ORIGINALITY: _l("Originality pledge"),
    DeclarationKey.RIGHTS: _l("Portrait and music rights"),
    DeclarationKey.AIGC: _l("AIGC declaration"),
}
AIGC_USE_LABELS = {
    AigcUse.NONE: _l("No generative AI used"),
    AigcUse.PARTLY: _l("Partly made with generative AI"),
    AigcUse.MAINLY: _l("Mainly made with generative AI"),
}
_DEFAULT_TEXTS = {
    DeclarationKey.ORIGINALITY: _l(
        "I declare that this entry is my own original work, made for this contest, and does not copy or "
        "plagiarise the work of others. If it is found not to be original, the organizers may disqualify it "
        "and withdraw any award."),
    DeclarationKey.RIGHTS: _l(
        "I declare that every person who can be recognised in this entry agreed to appear in it (portrait "
        "rights), and that I hold the rights or licences to all music, footage and images it uses. I bear "
        "the responsibility for any dispute over these rights."),
    DeclarationKey.AIGC: _l(
        "I declare truthfully whether and how generative AI (AIGC: text-to-video, image generation, voice "
        "synthesis, AI music and the like) was used to make this entry, and name the tools used. An entry "
        "whose declaration is found to be false may be disqualified."),
}


@dataclass(frozen=True)
class Declaration:
    """One statement of a contest as shown and accepted: ``version`` 1 is the default text."""

    key: DeclarationKey
    text: str
    version: int

    @property
    def title(self) -> str:
        return str(DECLARATION_TITLES[self.key])

    @property
    def text_hash(self) -> str:
        """SHA-256 (hex) of the UTF-8 text."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DeclarationAnswers:
    """A creator's answers on the submit form: the keys ticked, the AIGC answer (an :class:`AigcUse` value or
    None when not chosen) and the tools named."""

    accepted: frozenset[str] = field(default_factory=frozenset)
    aigc_use: str | None = None
    aigc_tools: str = ""


def default_text(key: DeclarationKey) -> str:
    """The default text of ``key`` in the site's default language (``BABEL_DEFAULT_LOCALE``)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return str(_DEFAULT_TEXTS[key])


def contest_declarations(*, contest: Contest) -> list[Declaration]:
    """The contest's three declarations in :class:`DeclarationKey` order (edited text or the default)."""
    edited = {row.key: row for row in db.session.scalars(
        select(ContestDeclaration).where(ContestDeclaration.contest_id == contest.id))}
    return [Declaration(key, edited[key].text, edited[key].version) if key in edited
            else Declaration(key, default_text(key), 1) for key in DeclarationKey]


def update_declarations(*, contest: Contest, texts: dict[str, str], by: User) -> list[DeclarationKey]:
    """Set the texts of the contest's declarations (``{key: text}``; keys left out keep their text); a text
    that changed gets the next version. Returns the keys changed.

    Raises :class:`SubmissionError` for an empty text or one over :data:`MAX_TEXT_CHARS` characters.
    """
    current = {d.key: d for d in contest_declarations(contest=contest)}
    reasons, changed = [], []
    for key in DeclarationKey:
        text = (texts.get(key.value) or "").strip() if key.value in texts else current[key].text
        if not text:
            reasons.append(_("The text of “%(title)s” cannot be empty.", title=DECLARATION_TITLES[key]))
        elif len(text) > MAX_TEXT_CHARS:
            reasons.append(_("The text of “%(title)s” may have at most %(max)d characters.",
                             title=DECLARATION_TITLES[key], max=MAX_TEXT_CHARS))
        elif text != current[key].text:
            changed.append((key, text))
    if reasons:
        raise SubmissionError(reasons)
    for key, text in changed:
        row = db.session.scalar(select(ContestDeclaration).where(
            ContestDeclaration.contest_id == contest.id, ContestDeclaration.key == key))
        version = 2 if row is None else row.version + 1
        if row is None:
            row = ContestDeclaration(contest_id=contest.id, key=key)
        row.text, row.version, row.updated_at, row.updated_by_id = text, version, utcnow(), by.id
        db.session.add(row)
    db.session.flush()
    if changed:
        record(AuditAction.DECLARATIONS_CHANGED, contest_id=contest.id,
               before={key.value: current[key].text for key, _text in changed},
               after={key.value: text for key, text in changed})
    return [key for key, _text in changed]


def accept_declarations(*, entry: Entry, answers: DeclarationAnswers,
                        at: datetime) -> list[DeclarationAcceptance]:
    """Record that the creator of ``entry`` accepted every declaration of its contest at ``at``, with the AIGC
    answer; replaces what an earlier submit recorded.

    Raises :class:`SubmissionError` with one reason per missing answer: a declaration not ticked, no AIGC
    answer, no tool named when AI was used, tools over :data:`MAX_TOOLS_CHARS` characters.
    """
    declarations = contest_declarations(contest=entry.contest)
    reasons = [_("Tick “%(title)s” to accept it.", title=d.title)
               for d in declarations if d.key.value not in answers.accepted]
    use = answers.aigc_use if answers.aigc_use in {u.value for u in AigcUse} else None
    tools = " ".join((answers.aigc_tools or "").split())
    if use is None:
        reasons.append(_("Say whether generative AI was used to make this entry."))
    elif use != AigcUse.NONE and not tools:
        reasons.append(_("Name the AI tool(s) used, e.g. 即梦, 可灵, Midjourney."))
    if len(tools) > MAX_TOOLS_CHARS:
        reasons.append(_("The AI tools may take at most %(max)d characters.", max=MAX_TOOLS_CHARS))
    if reasons:
        raise SubmissionError(reasons)
    db.session.execute(delete(DeclarationAcceptance).where(DeclarationAcceptance.entry_id == entry.id))
    rows = [DeclarationAcceptance(entry_id=entry.id, key=d.key, version=d.version, text_hash=d.text_hash,
                                  text=d.text, accepted_at=at) for d in declarations]
    aigc = next(row for row in rows if row.key == DeclarationKey.AIGC)
    aigc.aigc_use, aigc.aigc_tools = AigcUse(use), (tools if use != AigcUse.NONE else "")
    db.session.add_all(rows)
    db.session.flush()
    return rows


def acceptances_of(*, entry: Entry) -> list[DeclarationAcceptance]:
    """What the entry's creator accepted on the last submit, in :class:`DeclarationKey` order ([] if
    never)."""
    order = list(DeclarationKey)
    rows = db.session.scalars(select(DeclarationAcceptance).where(DeclarationAcceptance.entry_id == entry.id))
    return sorted(rows, key=lambda row: order.index(row.key))


def aigc_label(use: AigcUse | None, tools: str | None) -> str:
    """The AIGC answer for people: "未使用…", or the label with the tools ("部分使用…：即梦"); "" if none."""
    if use is None:
        return ""
    label = str(AIGC_USE_LABELS[use])
    return _("%(label)s: %(tools)s", label=label, tools=tools) if tools else label


def aigc_answers(*, entry_ids: list[int]) -> dict[int, str]:
    """``{entry_id: aigc_label}`` of the given entries from one query (entries never submitted are absent)."""
    if not entry_ids:
        return {}
    rows = db.session.execute(
        select(DeclarationAcceptance.entry_id, DeclarationAcceptance.aigc_use,
               DeclarationAcceptance.aigc_tools)
        .where(DeclarationAcceptance.key == DeclarationKey.AIGC,
               DeclarationAcceptance.entry_id.in_(entry_ids)))
    return {entry_id: aigc_label(use, tools) for entry_id, use, tools in rows}

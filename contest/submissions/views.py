"""Creator pages (/my): my entries, new entry, entry page, edit, video upload, submit, withdraw, the poster's
moment, status."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from contest.auth import rate_limits
from contest.auth.access import require_login
from contest.extensions import csrf, db
from contest.infra import tasks
from contest.main.form_actions import run_form_action
from contest.models import Contest, Entry, utcnow
from contest.services.contests import roles
from contest.services.contests.queries import open_contests
from contest.services.judging import voiding
from contest.services.media import actions as video_actions
from contest.services.submissions import entries as submissions
from contest.services.submissions import window
from contest.services.submissions.access import get_entry_or_404
from contest.services.submissions.declarations import contest_declarations
from contest.services.submissions.deletion import delete_draft
from contest.services.submissions.errors import SubmissionError
from contest.services.submissions.window import beijing_time, require_open
from contest.services.uploads import admission
from contest.services.uploads.limits import size_limit_message
from contest.services.uploads.space import refused_when_full
from contest.submissions.forms import ActionForm, EntryForm, ReasonForm, SubmitForm, UploadForm
from contest.security import large_body

bp = Blueprint("submissions", __name__)
require_login(bp)

#: Room for the multipart envelope and the CSRF field on top of the contest's file limit, bytes.
FORM_OVERHEAD_BYTES = 64 * 1024


@bp.route("/")
def index():
    me = current_user._get_current_object()
    contests = open_contests()
    counts = {c.id: submissions.count_active_entries(contest=c, creator=me) for c in contests}
    return render_template("submissions/index.html", entries=submissions.entries_of(creator=me),
                           contests=contests, counts=counts)


@bp.route("/contests/<int:contest_id>/entries/new", methods=["GET", "POST"])
def new_entry(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    form, errors, window_errors = EntryForm(contest=contest), [], _window_errors(contest)
    refusal = roles.entry_refusal(current_user, contest)
    if refusal:
        window_errors.append(refusal)
    if form.validate_on_submit():
        try:
            entry = submissions.create_entry(
                contest=contest, creator=current_user._get_current_object(),
                category=_category(contest, form.category.data), title=form.title.data,
                description=form.description.data)
        except SubmissionError as exc:
            db.session.rollback()
            errors = exc.reasons
        else:
            db.session.commit()
            flash(_("Entry %(number)s created. Now upload its video.", number=entry.number), "success")
            return redirect(url_for(".entry", entry_id=entry.id))
    return render_template("submissions/new.html", contest=contest, form=form, errors=errors,
                           window_errors=window_errors)


@bp.route("/entries/<int:entry_id>")
def entry(entry_id: int):
    return _render_entry(_my_entry(entry_id), UploadForm())


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
def edit(entry_id: int):
    entry = _my_entry(entry_id)
    form = EntryForm(contest=entry.contest, data={
        "category": entry.category_id, "title": entry.title, "description": entry.description})
    errors = []
    if form.validate_on_submit():
        try:
            submissions.update_entry(entry=entry, title=form.title.data, description=form.description.data,
                                     category=_category(entry.contest, form.category.data))
        except SubmissionError as exc:
            db.session.rollback()
            errors = exc.reasons
        else:
            db.session.commit()
            flash(_("Your changes have been saved."), "success")
            return redirect(url_for(".entry", entry_id=entry.id))
    return render_template("submissions/edit.html", entry=entry, form=form, errors=errors,
                           window_errors=_window_errors(entry.contest, entry.creator_id))


@bp.route("/entries/<int:entry_id>/video", methods=["POST"])
@large_body
@csrf.exempt  # checked in _read_upload_body, once the per-contest size limit is in place
@rate_limits.uploads
def upload(entry_id: int):
    started_at = utcnow()  # before the body is read: begun before the deadline, it may finish in the grace
    entry = _my_entry(entry_id)
    _read_upload_body(entry.contest)
    form = UploadForm()
    if form.validate():
        try:
            video = admission.attach_video(entry=entry, stream=form.video.data.stream,
                                           filename=form.video.data.filename, started_at=started_at)
        except SubmissionError as exc:
            form.video.errors.extend(exc.reasons)
        else:
            db.session.commit()
            tasks.enqueue("process_video", video.id)
            flash(_("Video received. It is being prepared for playback; this can take a few minutes."),
                  "success")
            return _redirect(url_for(".entry", entry_id=entry.id))
    if _wants_json():
        return jsonify(errors=[str(e) for e in form.video.errors]), 422
    return _render_entry(entry, form)


@bp.route("/entries/<int:entry_id>/submit", methods=["GET", "POST"])
def submit(entry_id: int):
    """Submit, accepting the contest's declarations (the answers are kept on the page when refused)."""
    entry, form = _my_entry(entry_id), SubmitForm()
    done, errors = run_form_action(
        form, lambda: submissions.submit_entry(entry=entry, answers=form.answers()),
        success=_("Entry %(number)s has been submitted. You can still change it until %(at)s (Beijing time).",
                  number=entry.number, at=beijing_time(window.deadline_for(entry.contest, entry.creator_id))),
        next_url=lambda: url_for(".entry", entry_id=entry.id))
    started_at = entry.video.upload_started_at if entry.video is not None else None
    return done or render_template("submissions/submit.html", entry=entry, form=form, errors=errors,
                                   declarations=contest_declarations(contest=entry.contest),
                                   window_errors=_window_errors(entry.contest, entry.creator_id, started_at))


@bp.route("/entries/<int:entry_id>/withdraw", methods=["GET", "POST"])
def withdraw(entry_id: int):
    """Withdraw for good, with a reason the creator gives (kept on the page when refused)."""
    entry, form = _my_entry(entry_id), ReasonForm()
    done, errors = run_form_action(
        form, lambda: submissions.withdraw_entry(entry=entry, reason=form.reason.data),
        success=_("Entry %(number)s has been withdrawn.", number=entry.number),
        next_url=lambda: url_for(".entry", entry_id=entry.id))
    return done or render_template("submissions/withdraw.html", entry=entry, form=form, errors=errors,
                                   window_errors=_window_errors(entry.contest, entry.creator_id))


@bp.route("/entries/<int:entry_id>/delete", methods=["POST"])
def delete(entry_id: int):
    """Delete a draft for good (its number is not reused)."""
    return _act(_my_entry(entry_id), delete_draft,
                lambda number: _("Draft %(number)s has been deleted.", number=number),
                done_url=url_for(".index"))


@bp.route("/entries/<int:entry_id>/poster", methods=["POST"])
def poster(entry_id: int):
    """Take the poster from the moment the creator chose (form field ``seconds``); made by a task."""
    entry = _my_entry(entry_id)

    def choose(*, entry: Entry) -> float:
        return video_actions.choose_poster_time(entry=entry, seconds=request.form.get("seconds", ""))

    def queued(seconds: float) -> str:
        tasks.enqueue("make_poster_at", entry.video.id, seconds)
        return _("The poster will be taken from the frame at %(s)s seconds; it appears in a moment.",
                 s=f"{seconds:g}")

    return _act(entry, choose, queued)


@bp.route("/entries/<int:entry_id>/status")
def status(entry_id: int):
    """JSON polled by the entry page while the video is processed: the states, ``progress`` (whole percent
    of the processing done, None without a video) and the re-rendered panel."""
    entry = _my_entry(entry_id)
    video = entry.video
    return jsonify(
        entry_state=entry.state.value,
        video_state=video.state.value if video else None,
        progress=round(video.progress * 100) if video else None,
        html=render_template("submissions/_status.html", entry=entry, action_form=ActionForm(),
                             **_window_context(entry)),
    )


# --- helpers -----------------------------------------------------------------------------------------------

def _my_entry(entry_id: int) -> Entry:
    """One of the current creator's entries, else 404 (other creators' ids are not disclosed)."""
    entry = get_entry_or_404(entry_id)
    if entry.creator_id != current_user.id:
        abort(404)
    return entry


def _category(contest: Contest, category_id: int):
    return next((c for c in contest.categories if c.id == category_id), None)


def _window_context(entry: Entry) -> dict:
    """What the entry page and its status panel show of the creator's window: ``window_errors`` (why the
    forms are not offered), ``window_open``, ``submit_in_grace`` (the window is closed but this video's upload
    began before the deadline, so it may still be submitted until ``grace_until``) and the organizers'
    ``extension``."""
    contest, video, now = entry.contest, entry.video, utcnow()
    extension = window.extension_for(contest, entry.creator_id)
    deadline = window.deadline_with(contest, extension)
    errors = _reasons(lambda: window.check_open(contest, deadline=deadline, at=now))
    started_at = video.upload_started_at if video is not None else None
    in_grace = bool(errors) and not _reasons(
        lambda: window.check_open(contest, deadline=deadline, at=now, started_at=started_at))
    return {"window_errors": errors, "window_open": not errors, "submit_in_grace": in_grace,
            "grace_until": beijing_time(window.grace_ends(deadline)), "extension": extension}


def _reasons(check) -> list[str]:
    """The reasons of the :class:`SubmissionError` that ``check()`` raises, or []."""
    try:
        check()
    except SubmissionError as exc:
        return exc.reasons
    return []


def _window_errors(contest: Contest, creator_id: int | None = None, started_at=None) -> list[str]:
    """Why the creator's forms are not offered (the window is closed), or [] while it is open."""
    return _reasons(lambda: require_open(contest, creator_id=creator_id or current_user.id,
                                         started_at=started_at))


def _render_entry(entry: Entry, upload_form: UploadForm):
    """The entry page; ``locked_message`` (no upload form) when judges have reviewed the entry and no
    organizer allowed a new video, ``permit`` when one did."""
    permit = voiding.open_permit(entry)
    locked = permit is None and voiding.has_saved_review(entry)
    return render_template("submissions/entry.html", entry=entry, contest=entry.contest,
                           upload_form=upload_form, action_form=ActionForm(), upload=_upload_settings(),
                           locked_message=voiding.locked_message() if locked else None, permit=permit,
                           **_window_context(entry))


def _upload_settings() -> dict:
    """How the entry page's script uploads: ``mode`` "s3" (browser straight to the bucket, presigned
    multipart) when STORAGE_BACKEND is "s3", else "tus" (resumable, /uploads/tus); ``chunk_bytes``: bytes
    per tus PATCH."""
    config = current_app.config
    return {"mode": "s3" if config["STORAGE_BACKEND"] == "s3" else "tus",
            "chunk_bytes": config["TUS_CHUNK_BYTES"]}


def _read_upload_body(contest: Contest) -> None:
    """Parse the multipart body (Werkzeug spools the file to disk) under this contest's size limit, then check
    CSRF. Over the limit: 413 whose description names the limit (shown by the friendly error page)."""
    request.max_content_length = contest.max_file_bytes + FORM_OVERHEAD_BYTES
    try:
        with refused_when_full():  # no room to spool the body: 507 page
            request.files  # noqa: B018  (parses the body now, under the limit)
    except RequestEntityTooLarge:
        raise RequestEntityTooLarge(description=size_limit_message(contest)) from None
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


def _act(entry: Entry, action, success, done_url: str | None = None):
    """Run an action from a button (poster moment, delete): ``action(entry=entry)``, commit, flash
    ``success`` — a message, or a function of the action's result called after the commit that returns it —
    then go to ``done_url`` (default: the entry page); or flash the :class:`SubmissionError` reasons and go
    back to the entry page."""
    try:
        result = action(entry=entry)
    except SubmissionError as exc:
        db.session.rollback()
        for reason in exc.reasons:
            flash(reason, "danger")
    else:
        db.session.commit()
        flash(success(result) if callable(success) else success, "success")
        if done_url:
            return redirect(done_url)
    return redirect(url_for(".entry", entry_id=entry.id))


def _wants_json() -> bool:
    """The upload script asks for JSON (``Accept: application/json``); browsers without it get HTML."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _redirect(url: str):
    return jsonify(redirect=url) if _wants_json() else redirect(url)

"""contest.services.contests.technical_rules and its use by create_contest / update_contest: technical requirements are
parsed, checked all at once and stored on the contest."""
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from contest.models import Contest, Orientation
from contest.services.contests.technical_rules import TechnicalRules, parse_resolution, problems
from contest.services.contests.setup import ContestError, create_contest, update_contest
from tests.services.contests.test_setup import contest_kwargs


@pytest.fixture(autouse=True)

def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


REAL = TechnicalRules(containers=("mp4",), video_codecs=("h264",), min_short_px=1080, min_long_px=1920,
                      min_fps=25.0, max_fps=60.0, audio_required=True)


@pytest.mark.parametrize("text, sides", [
    ("1080×1920", (1080, 1920)), ("1920x1080", (1080, 1920)), ("1080 X 1920", (1080, 1920)),
    ("1080*1920", (1080, 1920)), ("１０８０×１９２０", (1080, 1920)), ("1080p", (1080, None)),
    ("720", (720, None)), ("  ", (None, None)), (None, (None, None))])
def test_parse_resolution_gives_short_and_long_side(text, sides):
    assert parse_resolution(text) == sides


@pytest.mark.parametrize("text", ["1080×", "big", "1080×1920×3", "-1080", "1.5k"])
def test_parse_resolution_refuses_other_text(text):
    with pytest.raises(ValueError):
        parse_resolution(text)


def test_sensible_rules_have_no_problems():
    assert problems(REAL) == [] and problems(TechnicalRules()) == []


def test_every_problem_is_listed_with_its_field():
    rules = TechnicalRules(containers=("mp4", "rmvb"), video_codecs=("h266",), min_short_px=1080,
                           min_long_px=1920, max_short_px=720, max_long_px=1280, min_fps=60.0, max_fps=25.0)
    assert problems(rules) == [
        ("allowed_containers", "Unknown file format: rmvb."),
        ("allowed_video_codecs", "Unknown video codec: h266."),
        ("max_resolution", "The highest resolution must be at least the lowest (1080×1920)."),
        ("max_fps", "The highest frame rate must be at least the lowest (60 fps)."),
    ]


@pytest.mark.parametrize("rules, field, message", [
    (TechnicalRules(min_short_px=0), "min_resolution",
     "Each side of the resolution must be between 1 and 16384 pixels."),
    (TechnicalRules(max_short_px=1080, max_long_px=20000), "max_resolution",
     "Each side of the resolution must be between 1 and 16384 pixels."),
    (TechnicalRules(min_long_px=1920), "min_resolution",
     "Give both sides of the resolution, e.g. 1080×1920."),
    (TechnicalRules(min_short_px=1920, min_long_px=1080), "min_resolution",
     "The short side (1920) cannot be longer than the long side (1080)."),
    (TechnicalRules(min_fps=0.0), "min_fps", "The frame rate must be above 0 and at most 1000 fps."),
    (TechnicalRules(max_fps=-5.0), "max_fps", "The frame rate must be above 0 and at most 1000 fps."),
])
def test_single_problems(rules, field, message):
    assert problems(rules) == [(field, message)]


def test_create_contest_stores_the_technical_rules(db):
    contest = create_contest(**contest_kwargs(technical=REAL))
    db.session.commit()
    db.session.expire_all()
    assert (contest.allowed_containers, contest.allowed_video_codecs) == ("mp4", "h264")
    assert (contest.min_short_px, contest.min_long_px, contest.max_short_px, contest.max_long_px) == (
        1080, 1920, None, None)
    assert (contest.min_fps, contest.max_fps, contest.audio_required) == (25.0, 60.0, True)
    assert set_up_rules(contest) == REAL
    assert contest.min_resolution == "1080×1920" and contest.container_names == ["MP4 / MOV"]


def test_create_contest_without_technical_rules_sets_no_limits(db):
    contest = create_contest(**contest_kwargs())
    db.session.commit()
    db.session.expire_all()
    assert set_up_rules(contest) == TechnicalRules()
    assert contest.allowed_containers == "" and contest.min_resolution == ""
    assert contest.audio_required is False


def test_bad_rules_are_reported_with_the_other_errors_and_nothing_is_written(db):
    bad = TechnicalRules(min_fps=60.0, max_fps=25.0, min_short_px=1080, min_long_px=1920, max_short_px=720)
    with pytest.raises(ContestError) as caught:
        create_contest(**contest_kwargs(title=" ", technical=bad))
    assert [field for field, _ in caught.value.errors] == ["title", "max_resolution", "max_fps"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Contest.id))) == 0


def test_update_changes_rules_and_none_leaves_them_alone(db):
    contest = create_contest(**contest_kwargs(technical=REAL))
    db.session.commit()
    fields = contest_kwargs(orientation=Orientation.SQUARE)
    fields.pop("categories"), fields.pop("criteria")
    update_contest(contest=contest, **fields)
    db.session.commit()
    assert set_up_rules(contest) == REAL and contest.orientation == Orientation.SQUARE

    update_contest(contest=contest, **fields, technical=TechnicalRules(containers=("webm", "mp4"),
                                                                       max_short_px=2160, max_long_px=3840))
    db.session.commit()
    db.session.expire_all()
    assert contest.allowed_containers == "mp4,webm"  # stored once each, in the order of the table
    assert (contest.min_short_px, contest.max_short_px, contest.max_long_px) == (None, 2160, 3840)
    assert contest.min_fps is None and contest.audio_required is False
    assert contest.max_resolution == "2160×3840"


def test_refused_update_keeps_the_old_rules(db):
    contest = create_contest(**contest_kwargs(technical=REAL))
    db.session.commit()
    fields = contest_kwargs()
    fields.pop("categories"), fields.pop("criteria")
    with pytest.raises(ContestError):
        update_contest(contest=contest, **fields, technical=TechnicalRules(min_fps=-1.0))
    db.session.rollback()
    assert set_up_rules(contest) == REAL


def test_landscape_contest_writes_its_resolution_landscape(db):
    contest = create_contest(**contest_kwargs(orientation=Orientation.LANDSCAPE, technical=TechnicalRules(
        min_short_px=1080, min_long_px=1920, max_short_px=2160)))
    assert contest.min_resolution == "1920×1080" and contest.max_resolution == "2160p"


def set_up_rules(contest) -> TechnicalRules:
    """The contest's rules beyond size, duration and orientation (those are plain fields of the set-up)."""
    return replace(TechnicalRules.of(contest), max_file_bytes=None, min_duration_s=None, max_duration_s=None,
                   orientation=Orientation.ANY)

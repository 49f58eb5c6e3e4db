"""Numbers, sizes, durations and dates for people (contest/formatting.py), and pages that show them."""
from datetime import date, datetime, timezone

from contest.formatting import format_datetime_local, format_filesize
from contest.models import Video, VideoState
from tests.people import Role


def test_a_small_file_is_told_in_kilobytes_not_as_zero_megabytes(app):
    with app.test_request_context():
        assert format_filesize(43 * 1024) == "43 KB"
        assert format_filesize(1_887_437) == "1.8 MB"
        assert format_filesize(500) == "500 字节"


def test_a_calendar_day_is_shown_as_it_is_and_a_moment_in_beijing_time(app):
    with app.test_request_context():
        assert format_datetime_local(date(2026, 3, 1), "yyyy-MM-dd") == "2026-03-01"
        # 23:30 UTC is 07:30 the next morning in Beijing
        assert format_datetime_local(datetime(2026, 2, 28, 23, 30, tzinfo=timezone.utc)) == "2026-03-01 07:30"
        assert format_datetime_local(None) == "—"


def test_the_organizer_sees_a_43_kb_preview_copy_as_43_kb(db, client, login, make_user, make_contest, make_entry):
    contest = make_contest(max_file_bytes=500 * 1024 ** 2, min_duration_s=1.0, max_duration_s=90.0)
    entry = make_entry(contest=contest, creator=make_user(Role.CREATOR))
    db.session.add(Video(entry=entry, original_name="a.mp4", original_key="originals/a.mp4", bytes=1_887_437,
                         state=VideoState.PROCESSING, progress=0.43, preview_bytes=43 * 1024,
                         poster_time_s=75.5, duration_s=3725.0))
    db.session.commit()
    login(make_user(Role.ORGANIZER))

    page = client.get(f"/organizer/entries/{entry.id}").get_data(as_text=True)
    assert "43 KB" in page and "0.0 MB" not in page
    assert "1 小时 02 分 05 秒" in page  # the duration, 3,725 s
    assert "1 分 15.5 秒" in page  # the poster's moment
    assert "43%" in page  # processing progress
    dashboard = client.get(f"/organizer/contests/{contest.id}").get_data(as_text=True)
    assert "500 MB" in dashboard and "1 秒 至 1 分 30 秒" in dashboard


def test_the_creator_sees_the_size_duration_and_limits_through_the_filters(db, client, login, make_user,
                                                                          make_contest, make_entry):
    contest = make_contest(max_file_bytes=200 * 1024 ** 2)
    entry = make_entry(contest=contest, creator=login(make_user(Role.CREATOR)))
    db.session.add(Video(entry=entry, original_name="a.mp4", original_key="originals/a.mp4", bytes=43 * 1024,
                         state=VideoState.PROCESSING, progress=0.5, duration_s=12.5))
    db.session.commit()

    page = " ".join(client.get(f"/my/entries/{entry.id}").get_data(as_text=True).split())
    assert "文件: a.mp4 · 43 KB · 12.5 秒" in page
    assert "处理中：已完成 50%" in page
    assert "文件大小：不超过 200 MB" in page
    assert "本赛事仅接受不超过 200 MB 的文件" in page

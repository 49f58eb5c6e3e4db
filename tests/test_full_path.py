"""The whole path once, through the web pages, on real video files from ../shared/media:
creators upload → probe → poster → rendition (checked with ffprobe) → submit; the organizer assigns two judges;
both score; the ranking is right; the CSV and XLSX hold the right numbers."""
import csv
import re
import io
import json
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from contest.models import Entry, EntryState, Review, VideoState
from contest.services.media.renditions import top_level_boxes
from contest.infra.storage import get_storage
from tests.conftest import SUBMIT_FORM, fetch_media, media
from tests.people import Role

pytestmark = pytest.mark.slow

# judge → entry title → points per criterion (rubric 主题契合 40 % / 创意 30 % / 制作水平 30 %, all out of 10)
SCORES = {
    "judge-a": {"西湖晨曲": (8, 7, 9), "竖屏夜跑": (9, 9, 8)},
    "judge-b": {"西湖晨曲": (6, 8, 7.5), "竖屏夜跑": (7, 6, 8)},
}
# weighted total = Σ points/10 × weight:  西湖晨曲 32+21+27 = 80.0 and 24+24+22.5 = 70.5 → mean 75.25;
#                                          竖屏夜跑 36+27+24 = 87.0 and 28+18+24 = 70.0 → mean 78.5
EXPECTED = {"竖屏夜跑": (1, Decimal("78.500")), "西湖晨曲": (2, Decimal("75.250"))}


def ffprobe(path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                          str(path)], capture_output=True, check=True, timeout=60)
    return json.loads(out.stdout)


def upload_entry(client, login, creator, contest, *, title, sample):
    login(creator)
    response = client.post(f"/my/contests/{contest.id}/entries/new",
                           data={"category": contest.categories[0].id, "title": title, "description": "原创"})
    assert response.status_code == 302
    entry_id = int(response.location.rstrip("/").split("/")[-1])
    with media(sample).open("rb") as fh:
        response = client.post(f"/my/entries/{entry_id}/video", data={"video": (fh, sample)},
                               content_type="multipart/form-data")
    assert response.status_code == 302, re.findall(r"feedback[^>]*>([^<]*)|alert[^>]*>([^<]*)", response.data.decode())
    assert client.post(f"/my/entries/{entry_id}/submit", data=SUBMIT_FORM).status_code == 302
    return entry_id


def assert_web_rendition(app, entry: Entry, *, width: int, height: int) -> None:
    video = entry.video
    assert video.state == VideoState.READY, video.error
    with app.app_context(), get_storage().local_path(video.rendition_key) as path:
        facts = ffprobe(path)
        boxes = top_level_boxes(path)
    streams = {s["codec_type"]: s for s in facts["streams"]}
    assert set(streams) == {"video", "audio"}
    v, a = streams["video"], streams["audio"]
    assert (v["codec_name"], v["profile"], v["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (v["width"], v["height"]) == (width, height)
    assert v["width"] % 2 == 0 and v["height"] % 2 == 0
    assert not any("rotation" in sd for sd in v.get("side_data_list", []))
    assert a["codec_name"] == "aac" and int(a["sample_rate"]) == 48000 and a["channels"] == 2
    assert boxes.index("moov") < boxes.index("mdat")  # faststart
    with app.app_context(), get_storage().local_path(video.poster_key) as poster:
        assert poster.read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG


def test_upload_judge_rank_export(app, db, client, login, make_user, make_contest):
    contest = make_contest(code="XH2026", min_duration_s=0, max_duration_s=60)
    ids = {
        "西湖晨曲": upload_entry(client, login, make_user(), contest, title="西湖晨曲",
                             sample="plain_h264_aac_1280x720_25fps.mp4"),
        # An iPhone HEVC 10-bit HLG clip stored landscape with a -90° display matrix.
        "竖屏夜跑": upload_entry(client, login, make_user(), contest, title="竖屏夜跑",
                             sample="iphone15promax_hevc10_hlg_rot-90_mebx.mov"),
    }
    entries = {title: db.session.get(Entry, i) for title, i in ids.items()}
    assert all(e.state == EntryState.SUBMITTED for e in entries.values())
    assert_web_rendition(app, entries["西湖晨曲"], width=1280, height=720)
    assert_web_rendition(app, entries["竖屏夜跑"], width=1080, height=1920)

    # The creator can play the rendition (HTTP Range) and sees the poster.
    response = fetch_media(client, f"/watch/{ids['竖屏夜跑']}/video", Range="bytes=0-99")
    assert response.status == 206 and len(response.data) == 100

    organizer = make_user(Role.ORGANIZER)
    judges = {name: make_user(Role.JUDGE, username=name) for name in SCORES}
    login(organizer)
    response = client.post(f"/organizer/contests/{contest.id}/assignments",
                           data={"mode": "all", "judges": [j.id for j in judges.values()]})
    assert response.status_code == 302

    criteria = contest.criteria
    for name, by_title in SCORES.items():
        login(judges[name])
        for title, points in by_title.items():
            form = {f"criterion_{c.id}": str(p) for c, p in zip(criteria, points)}
            form.update(comment="好作品", submit_final="1")
            response = client.post(f"/judge/entries/{ids[title]}", data=form)
            assert response.status_code == 302, response.data[:2000]
    assert db.session.scalar(select(Review.id).where(Review.total.is_(None))) is None

    login(organizer)
    client.set_cookie("lang", "en")
    csv_bytes = client.get(f"/organizer/contests/{contest.id}/results.csv").data
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    by_title = {row[header.index("Title")]: row for row in body}
    for title, (rank, total) in EXPECTED.items():
        row = by_title[title]
        assert int(row[0]) == rank
        assert Decimal(row[header.index("Total (out of 100)")]) == total
    # criterion means: 西湖晨曲 主题契合 (8+6)/2 = 7, 制作水平 (9+7.5)/2 = 8.25
    assert Decimal(by_title["西湖晨曲"][header.index("主题契合")]) == Decimal("7")
    assert Decimal(by_title["西湖晨曲"][header.index("制作水平")]) == Decimal("8.25")

    xlsx = client.get(f"/organizer/contests/{contest.id}/results.xlsx")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    results, by_judge = book.worksheets
    values = list(results.iter_rows(values_only=True))
    xheader = values[0]
    xrows = {row[xheader.index("Title")]: row for row in values[1:]}
    for title, (rank, total) in EXPECTED.items():
        assert xrows[title][0] == rank
        assert Decimal(str(xrows[title][xheader.index("Total (out of 100)")])) == total
    judge_rows = list(by_judge.iter_rows(values_only=True))[1:]
    assert len(judge_rows) == 4  # two judges × two entries

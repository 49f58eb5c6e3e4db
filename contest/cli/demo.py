"""``flask demo``: a demo contest that shows every part of the app within a minute.

Everything goes through the same services the web pages use (accounts, contests, submissions with the real
upload check and media pipeline, assignments, judging, plays); only the video clips are synthetic — short
ffmpeg test patterns with a tone, generated in a temporary directory.
"""
import random
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import click
import ffmpeg
from flask import current_app
from sqlalchemy import select

from contest.extensions import db
from contest.models import AigcUse, Contest, ContestRoleName, DeclarationKey, Orientation, utcnow
from contest.services.accounts.users import create_user
from contest.services.contests import roles
from contest.services.contests import setup as contests
from contest.services.contests.technical_rules import TechnicalRules
from contest.services.judging import assignments
from contest.services.judging import reviews as judging
from contest.services.media.jobs import process_video
from contest.services.metrics import plays
from contest.services.submissions import entries as submissions
from contest.services.submissions.declarations import DeclarationAnswers
from contest.services.uploads import admission

PASSWORD = "demo-pass-2026"
#: Every demo entry accepts the declarations and made no use of generative AI.
DEMO_ANSWERS = DeclarationAnswers(accepted=frozenset(k.value for k in DeclarationKey), aigc_use=AigcUse.NONE)
CODE = "XH2026"

#: (creator index, category index, title, description, lavfi source, portrait?)
ENTRIES = [
    (0, 0, "西湖晨曲", "清晨的湖畔，晨练的人们与第一缕阳光。", "testsrc2", False),
    (0, 1, "老街的烟火气", "在河坊街吃遍一条街的 Vlog。", "smptehdbars", True),
    (1, 0, "外卖小哥的一天", "记录城市里奔跑的人。", "mandelbrot", False),
    (1, 2, "垃圾分类我先行", "社区志愿者的公益短片。", "rgbtestsrc", False),
    (2, 1, "我家的非遗手艺", "外婆的竹编，三代人的坚持。", "testsrc", True),
    (2, 0, "云栖竹径", "一镜到底穿过竹林。", "smptebars", False),
    (3, 2, "文明出行 从我做起", "斑马线前的礼让。", "cellauto", False),
    (3, 1, "夜跑钱塘江", "江边夜景与跑者。", "life", True),
]


def make_clip(path: Path, source: str, *, portrait: bool, seconds: int = 4) -> None:
    """Write a short H.264/AAC test clip (1280x720 or 720x1280, 25 fps, a 440 Hz tone) to ``path``."""
    size = "720x1280" if portrait else "1280x720"
    video = ffmpeg.input(f"{source}=size={size}:rate=25", f="lavfi", t=seconds)
    audio = ffmpeg.input(f"sine=frequency=440:duration={seconds}", f="lavfi")
    (ffmpeg.output(video, audio, str(path), vcodec="libx264", preset="ultrafast", pix_fmt="yuv420p",
                   acodec="aac", t=seconds, movflags="+faststart")
     .global_args("-nostdin", "-loglevel", "error").overwrite_output()
     .run(cmd=current_app.config["FFMPEG_BINARY"]))


def build_demo() -> Contest:
    """Create users, the XH2026 contest, 8 processed and submitted entries, assignments, reviews, plays."""
    now = utcnow()
    create_user(username="organizer", password=PASSWORD, is_admin=True, display_name="区网信办")
    judges = [create_user(username=f"judge{i}", password=PASSWORD, display_name=name)
              for i, name in enumerate(["王老师", "李导演", "陈主编"], start=1)]
    creators = [create_user(username=f"creator{i}", password=PASSWORD, display_name=name)
                for i, name in enumerate(["小杭", "阿明", "竹编传人", "江边跑者"], start=1)]
    contest = contests.create_contest(
        code=CODE, title="2026 西湖区“美好生活”短视频大赛", theme="美好生活 · 奋斗新时代",
        rules="作品须为原创，时长 3 秒至 3 分钟，横屏竖屏均可，分辨率不低于 720p，帧率 24–60 帧/秒，须有声音；"
              "MP4 / MOV 格式，H.264 或 H.265 编码，单个文件不超过 200 MB，每人最多 3 件。",
        opens_at=now - timedelta(days=10), closes_at=now + timedelta(days=20),
        categories=["微视频组", "Vlog组", "公益组"],
        criteria=[
            contests.CriterionSpec(name="主题契合", max_points=10, weight=30, description="紧扣“美好生活”主题"),
            contests.CriterionSpec(name="创意构思", max_points=10, weight=25, description="视角新颖，叙事完整"),
            contests.CriterionSpec(name="制作水平", max_points=10, weight=25, description="画面、声音、剪辑"),
            contests.CriterionSpec(name="传播价值", max_points=10, weight=20, description="正能量，易于传播"),
        ],
        max_file_bytes=200 * 1024 * 1024, min_duration_s=3, max_duration_s=180,
        orientation=Orientation.ANY, max_entries_per_creator=3,
        technical=TechnicalRules(containers=("mp4",), video_codecs=("h264", "hevc"), min_short_px=720,
                                 min_fps=24, max_fps=60, audio_required=True),
    )
    db.session.commit()
    _add_entries(contest, creators, now)
    for judge in judges:
        roles.grant_role(contest=contest, user=judge, role=ContestRoleName.JUDGE, by=None)
    assignments.assign_per_entry(contest=contest, judges=judges, per_entry=2)
    db.session.commit()
    _add_reviews(contest, judges)
    return contest


def _add_entries(contest: Contest, creators, now) -> None:
    with tempfile.TemporaryDirectory(prefix="contest-demo-") as tmp:
        for n, (who, cat, title, description, source, portrait) in enumerate(ENTRIES):
            entry = submissions.create_entry(contest=contest, creator=creators[who],
                                             category=contest.categories[cat], title=title,
                                             description=description)
            clip = Path(tmp) / f"clip{n}.mp4"
            make_clip(clip, source, portrait=portrait)
            with clip.open("rb") as stream:
                video = admission.attach_video(entry=entry, stream=stream, filename=f"{title}.mp4")
            db.session.commit()
            process_video(video.id)
            db.session.refresh(entry)
            if n < 7:  # one entry stays a draft
                submissions.submit_entry(entry=entry, answers=DEMO_ANSWERS,
                                         at=now - timedelta(days=7 - n, hours=n))
                for viewer in range(3 + 5 * n):  # distinct audience members: each play counts
                    plays.record_play(entry=entry, viewer_key=f"demo:{viewer}")
            db.session.commit()


def _add_reviews(contest: Contest, judges) -> None:
    rng = random.Random(2026)
    for judge in judges:
        for k, assignment in enumerate(judging.judge_queue(judge=judge)):
            if k % 3 == 2:
                continue  # leave work in every judge's queue
            scores = {c.id: Decimal(rng.randint(12, 20)) / 2 for c in contest.criteria}
            judging.save_review(assignment=assignment, scores=scores, comment="画面干净，主题鲜明。", submit=True)
            db.session.commit()


def register(app) -> None:
    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when a contest already exists.")
    def demo_command(if_empty: bool):
        """Fill a demo contest (users, entries with real processed clips, judging)."""
        if db.session.scalar(select(Contest.id).limit(1)) is not None:
            if if_empty:
                click.echo("demo: a contest exists already; nothing to do")
                return
            raise click.ClickException("the database already holds contests; use an empty database")
        click.echo("demo: generating clips and processing them (about half a minute) …")
        contest = build_demo()
        click.echo(f"demo: contest {contest.code} ready with {len(ENTRIES)} entries")

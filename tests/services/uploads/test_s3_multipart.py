"""contest.services.uploads.s3_multipart against moto's S3 server: the part split, completion that reads nothing of
the object and shares the replace path of every upload, part checks; the worker's check of an original not
checked yet; ``flask storage cors`` and what moto answers a browser's preflight."""
import hashlib
import io
import urllib.error
import urllib.request

import pytest

from contest.extensions import db
from contest.models import EntryState, Orientation, Video, VideoState, utcnow
from contest.services.uploads import s3_multipart as direct_uploads
from contest.infra import tasks
from contest.services.uploads.s3_multipart import DirectUploadError, part_count, part_size
from contest.infra.storage import get_storage, new_key
from contest.infra.storage.s3 import S3Storage
from contest.cli.storage import CORS_RULE_ID
from tests.conftest import media, raw_client, stored_keys
from tests.people import Role

pytestmark = pytest.mark.s3
MIB = 1024 * 1024
SITE = "https://contest.example.org"


@pytest.fixture
def app_overrides(s3_settings):
    return {"STORAGE_BACKEND": "s3", **s3_settings, "RENDITION_SHORT_SIDE": 360, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def creator(make_user):
    return make_user(Role.CREATOR)


@pytest.fixture
def entry(make_contest, make_entry, creator):
    return make_entry(contest=make_contest(), creator=creator)


def request(url: str, method: str, body: bytes | None = None, **headers) -> tuple[int, dict]:
    headers.setdefault("Content-Type", "application/octet-stream")  # a browser sends a Blob as octets
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method,
                                                           headers=headers)) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def send_parts(creator, entry, data: bytes, numbers=None) -> tuple[str, list[dict]]:
    """Start an upload of ``data`` and PUT its parts ``numbers`` (default: all); returns the token and the
    parts as the browser would report them."""
    ticket, token = direct_uploads.start(user=creator, entry_id=entry.id, filename="作品.mp4", size=len(data),
                                         content_type="video/mp4")
    size, parts = ticket.part_size, []
    for number in numbers or range(1, part_count(len(data)) + 1):
        url = direct_uploads.sign_part(user=creator, token=token, part_number=number)
        status, headers = request(url, "PUT", data[(number - 1) * size:number * size])
        assert status == 200
        parts.append({"PartNumber": number, "ETag": headers["ETag"]})
    return token, parts


def test_parts_are_split_like_uppys_default():
    assert (part_size(1), part_count(1)) == (5 * MIB, 1)
    assert (part_count(5 * MIB), part_count(5 * MIB + 1), part_count(4 * 1024 * MIB)) == (1, 2, 820)
    assert part_size(100 * 1024 * MIB) == 10_737_419  # ceil(100 GiB / 10000)
    assert part_count(100 * 1024 * MIB) == 10_000


def test_completion_reads_nothing_and_replaces_the_video_like_any_upload(app, creator, entry, monkeypatch):
    storage = get_storage()
    old = {kind: storage.save(new_key(kind), io.BytesIO(b"old")).key for kind in ("originals", "posters")}
    entry.video = Video(original_name="old.mp4", original_key=old["originals"], poster_key=old["posters"],
                        bytes=3, sha256="0" * 64, state=VideoState.READY)
    entry.state, entry.submitted_at = EntryState.SUBMITTED, utcnow()
    db.session.commit()
    data = bytes(range(256)) * (6 * MIB // 256)
    token, parts = send_parts(creator, entry, data)
    monkeypatch.setattr(S3Storage, "_sha256", lambda *a: pytest.fail("the request read the object back"))
    monkeypatch.setattr(S3Storage, "local_path", lambda *a: pytest.fail("the request downloaded the object"))

    video = direct_uploads.complete(user=creator, token=token, parts=parts)

    assert (video.state, video.sha256, video.bytes, video.original_name) == (VideoState.PENDING, None,
                                                                           len(data), "作品.mp4")
    assert (video.container, video.duration_s, video.width) == (None, None, None)
    assert entry.video is video and entry.state == EntryState.DRAFT and entry.submitted_at is None
    assert sorted(stored_keys(app)) == sorted([*old.values(), video.original_key])  # old files until commit
    db.session.commit()
    assert db.session.scalars(db.select(Video)).all() == [video]  # the old row is gone
    assert stored_keys(app) == [video.original_key]
    body = raw_client(app.config).get_object(Bucket=storage.bucket, Key="contest/" + video.original_key)
    assert body["ContentType"] == "video/mp4" and body["Body"].read() == data


def test_a_completion_rolled_back_leaves_no_original(app, creator, entry):
    token, parts = send_parts(creator, entry, b"x" * 100)
    direct_uploads.complete(user=creator, token=token, parts=parts)

    db.session.rollback()

    assert stored_keys(app) == [] and db.session.scalar(db.select(db.func.count(Video.id))) == 0


def test_parts_must_be_what_the_bucket_holds_and_add_up_to_the_file(app, creator, entry):
    data = bytes(11 * MIB)
    token, parts = send_parts(creator, entry, data, numbers=[1, 2])

    with pytest.raises(DirectUploadError) as wrong_etag:
        direct_uploads.complete(user=creator, token=token, parts=[parts[0], {"PartNumber": 2, "ETag": '"x"'}])
    with pytest.raises(DirectUploadError) as missing:
        direct_uploads.complete(user=creator, token=token, parts=parts)

    assert (wrong_etag.value.status, wrong_etag.value.reasons) == (422, ["文件的第 2 个分片尚未收到，请重新上传后再完成。"])
    assert (missing.value.status, missing.value.reasons) == (
        422, ["文件共 11,534,336 字节，目前只收到 10,485,760 字节，请上传缺少的分片后再完成。"])
    assert [p["PartNumber"] for p in direct_uploads.list_parts(user=creator, token=token)] == [1, 2]
    url = direct_uploads.sign_part(user=creator, token=token, part_number=3)
    parts.append({"PartNumber": 3, "ETag": request(url, "PUT", data[10 * MIB:])[1]["ETag"]})
    video = direct_uploads.complete(user=creator, token=token, parts=parts)
    db.session.commit()

    assert video.bytes == len(data)
    assert direct_uploads.complete(user=creator, token=token, parts=parts) is video  # a repeated request
    with pytest.raises(DirectUploadError) as gone:
        direct_uploads.list_parts(user=creator, token=token)
    assert gone.value.status == 404


def test_the_worker_checks_an_unchecked_original_against_the_rules(app, creator, make_contest, make_entry):
    entry = make_entry(contest=make_contest(orientation=Orientation.PORTRAIT), creator=creator)
    token, parts = send_parts(creator, entry, media("plain_h264_aac_1280x720_25fps.mp4").read_bytes())
    video = direct_uploads.complete(user=creator, token=token, parts=parts)
    db.session.commit()

    tasks.enqueue("process_video", video.id)

    db.session.expire_all()
    assert video.state == VideoState.FAILED and video.attempts == 1
    assert video.error == ("The contest accepts only portrait videos (taller than wide); this one is shown "
                           "1280×720 (landscape).")
    assert video.sha256 is None and entry.video is video
    assert stored_keys(app) == []


@pytest.mark.slow
def test_the_worker_hashes_an_accepted_original_and_records_its_facts(app, creator, entry):
    sample = media("webm_vp9_opus_320x180.webm").read_bytes()
    token, parts = send_parts(creator, entry, sample)
    video = direct_uploads.complete(user=creator, token=token, parts=parts)
    db.session.commit()

    tasks.enqueue("process_video", video.id)

    db.session.expire_all()
    assert video.state == VideoState.READY, video.error
    assert (video.sha256, video.bytes) == (hashlib.sha256(sample).hexdigest(), len(sample))
    assert (video.container, video.video_codec, video.audio_codec) == ("matroska,webm", "vp9", "opus")
    assert (video.width, video.height, video.fps, video.duration_s) == (320, 180, 24.0, 5.02)
    assert stored_keys(app) == sorted([video.original_key, video.poster_key, video.rendition_key,
                                       video.preview_key])


# --- flask storage cors -------------------------------------------------------------------------------------

def test_cors_command_sets_its_rule_and_keeps_the_buckets_other_rules(app, runner):
    client, bucket = raw_client(app.config), app.config["S3_BUCKET"]
    other = {"ID": "other-site", "AllowedOrigins": ["https://other.example.org"], "AllowedMethods": ["GET"]}
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [other]})

    for origin in ("https://old.example.org", SITE + "/"):  # running it again replaces its own rule
        result = runner.invoke(args=["storage", "cors", "--origin", origin, "--max-age", "600"])
        assert result.exit_code == 0, result.output

    assert result.output.strip() == (f"bucket {bucket}: CORS rule {CORS_RULE_ID} allows PUT, GET, HEAD from "
                                     f"{SITE}, exposes ETag")
    rules = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert [r["ID"] for r in rules] == ["other-site", CORS_RULE_ID]
    assert rules[1] == {"ID": CORS_RULE_ID, "AllowedOrigins": [SITE], "AllowedHeaders": ["*"],
                        "AllowedMethods": ["PUT", "GET", "HEAD"], "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 600}


def test_after_the_cors_command_the_site_may_put_parts_and_read_their_etag(app, runner, creator, entry):
    _ticket, token = direct_uploads.start(user=creator, entry_id=entry.id, filename="a.mp4", size=100,
                                          content_type="video/mp4")
    url = direct_uploads.sign_part(user=creator, token=token, part_number=1)
    # Without a rule moto's server allows any origin, but, like S3, does not expose ETag to the page's script.
    status, put = request(url, "PUT", b"y" * 100, Origin=SITE)
    assert status == 200 and "Access-Control-Expose-Headers" not in put
    # moto checks a preflight against every rule of the bucket and refuses it when any rule does not name the
    # origin (S3 uses the first rule that matches): so only this rule here.
    assert runner.invoke(args=["storage", "cors", "--origin", SITE]).exit_code == 0
    preflight = {"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"}
    status, allowed = request(url, "OPTIONS", Origin=SITE, **preflight)
    assert status == 200 and allowed["Access-Control-Allow-Origin"] == SITE
    assert "PUT" in allowed["Access-Control-Allow-Methods"]
    assert allowed["Access-Control-Expose-Headers"] == "ETag"
    assert request(url, "OPTIONS", Origin="https://evil.example.com", **preflight)[0] == 403
    status, put = request(url, "PUT", b"y" * 100, Origin=SITE)
    assert status == 200 and put["ETag"] and put["Access-Control-Expose-Headers"] == "ETag"


def test_cors_command_refuses_what_is_not_an_origin(runner):
    result = runner.invoke(args=["storage", "cors", "--origin", "contest.example.org/upload"])

    assert result.exit_code == 2 and "is not an origin" in result.output


def test_cors_command_needs_the_s3_backend(tmp_path):
    from contest import create_app

    app = create_app("testing", DATABASE_URL="sqlite://", UPLOAD_ROOT=str(tmp_path))
    result = app.test_cli_runner().invoke(args=["storage", "cors", "--origin", SITE])

    assert result.exit_code == 1 and 'STORAGE_BACKEND = "s3"' in result.output


def test_an_upload_begun_before_the_deadline_may_complete_in_the_grace(app, creator, entry):
    token, parts = send_parts(creator, entry, b"x" * 100)
    entry.contest.closes_at = utcnow()  # the deadline passes while the parts arrive
    db.session.commit()
    video = direct_uploads.complete(user=creator, token=token, parts=parts)  # began when the token was issued
    assert video.upload_started_at < entry.contest.closes_at
    with pytest.raises(DirectUploadError) as error:  # a new upload cannot begin any more
        send_parts(creator, entry, b"y" * 100)
    assert error.value.status == 422

"""Password hashing (argon2id parameters, upgrade of old hashes) and the password policy."""
import pytest
from argon2 import PasswordHasher
from argon2.low_level import Type
from flask_babel import force_locale

from contest.cli.demo import PASSWORD as DEMO_PASSWORD
from contest.services.accounts.passwords import (
    PasswordPolicyError,
    common_passwords,
    hash_password,
    password_problems,
    verify_password,
)
from contest.services.accounts.users import authenticate, create_user
from tests.conftest import PASSWORD
from tests.people import Role

#: argon2-cffi's default (what every hash was made with before): 64 MiB, 3 passes, 4 lanes.
OLD_DEFAULT = PasswordHasher()


@pytest.fixture(autouse=True)
def english(app):
    """Messages are asserted in English (outside a request the default language is Chinese)."""
    with force_locale("en"):
        yield


@pytest.fixture
def app_overrides():
    """The real (production) argon2 parameters: the suite's cheap ones would hide what is tested here."""
    return {"ARGON2_MEMORY_KIB": 19456, "ARGON2_TIME_COST": 2, "ARGON2_PARALLELISM": 1}


def test_hashes_are_argon2id_with_the_configured_parameters(app):
    stored = hash_password("a long enough phrase")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(password_hash=stored, password="a long enough phrase")
    assert not verify_password(password_hash=stored, password="a long enough phrasE")
    assert not verify_password(password_hash="not a hash", password="a long enough phrase")


def test_an_old_default_hash_is_upgraded_on_the_next_log_in(app, db, make_user):
    user = make_user(Role.JUDGE)
    user.password_hash = OLD_DEFAULT.hash(PASSWORD)
    db.session.commit()
    assert "$m=65536,t=3,p=4$" in user.password_hash

    assert authenticate(username=user.username, password=PASSWORD) == user
    db.session.commit()
    db.session.expire_all()
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert authenticate(username=user.username, password=PASSWORD) == user


def test_a_wrong_password_leaves_an_old_hash_alone(app, db, make_user):
    user = make_user(Role.JUDGE)
    old = user.password_hash = OLD_DEFAULT.hash(PASSWORD)
    db.session.commit()
    assert authenticate(username=user.username, password="wrong password") is None
    db.session.expire_all()
    assert user.password_hash == old


def test_unicode_passwords_are_nfkc_normalised(app):
    stored = hash_password("ｐａｓｓ　短视频大赛２０２６")  # full-width letters, digits and space
    assert verify_password(password_hash=stored, password="pass 短视频大赛2026")


def test_a_hash_of_the_text_as_typed_still_verifies_and_is_replaced(app, db, make_user):
    user = make_user(Role.CREATOR)
    typed = "ｆｕｌｌ－ｗｉｄｔｈ ｐｈｒａｓｅ"
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID).hash(typed)
    db.session.commit()
    assert authenticate(username=user.username, password=typed) == user
    db.session.commit()
    assert verify_password(password_hash=user.password_hash, password="full-width phrase")
    assert PasswordHasher().verify(user.password_hash, "full-width phrase")


@pytest.mark.parametrize("password, message", [
    ("password", "too common"),
    ("PassWord", "too common"),
    ("12345678", "too common"),
    ("woaini1314", "too common"),
    ("qwertyuiop", "too common"),
    ("short", "at least 8 characters"),
    ("七个汉字的密码", "at least 8 characters"),
    ("x" * 129, "at most 128 characters"),
])
def test_weak_passwords_are_refused(app, password, message):
    assert any(message in problem for problem in password_problems(password))


@pytest.mark.parametrize("password", [
    DEMO_PASSWORD, PASSWORD, "我家门前的小河2026", "x" * 128, "八个汉字组成密码", "Tr0ub4dor&3-horse"])
def test_good_passwords_pass_with_no_composition_rules(app, password):
    assert password_problems(password, names=["organizer", "区网信办"]) == []


def test_the_common_list_is_shipped_and_lower_case(app):
    common = common_passwords()
    assert len(common) > 8000
    assert {"password", "iloveyou", "qq123456", "woaini1314"} <= common
    assert all(p == p.lower() and len(p) >= 8 for p in common)


def test_the_username_name_and_contest_are_refused(app, db, make_contest):
    make_contest(code="XH2026", title="西湖区美好生活短视频大赛")
    with pytest.raises(PasswordPolicyError, match="must not be your username"):
        create_user(username="xiaoming88", password="Xiaoming88!")
    with pytest.raises(PasswordPolicyError, match="must not be your username"):
        create_user(username="li", display_name="李小龙大侠客好汉", password="李小龙大侠客好汉")
    with pytest.raises(PasswordPolicyError, match="must not be your username"):
        create_user(username="wang", password="西湖区美好生活短视频大赛")
    with pytest.raises(PasswordPolicyError, match="must not be your username"):
        create_user(username="zhao", password="XH2026!!")


def test_the_policy_message_is_chinese_by_default(app):
    with force_locale("zh"):
        assert password_problems("password") == ["密码太常见，容易被猜到，请换一个。"]
        assert password_problems("short") == ["密码至少 8 个字符。"]

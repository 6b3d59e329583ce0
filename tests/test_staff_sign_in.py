"""Staff sign-in in the booking domain: one answer for every refusal (no name can be told to exist), a growing wait
after wrong passwords instead of a lock, and an address that signed in before is not kept out by others."""
from datetime import timedelta

import pytest

from booking import BookingStore, SignInRefused, StaffAccounts
from booking.accounts import MAX_FAILURES
from tests.chat_fixtures import NOW

PASSWORD = "春天的浦东新区有很多树"
OFFICE, ATTACKER = "ip:198.51.100.20", "ip:203.0.113.66"


@pytest.fixture
def accounts(tmp_path):
    store = BookingStore(tmp_path / "bookings.sqlite")
    accounts = StaffAccounts(store)
    _, key = accounts.add("王丽", "", "cli:test", NOW)
    accounts.set_password(key, PASSWORD, NOW)
    yield accounts
    store.close()


def refusal(accounts, name, password, now, address=ATTACKER) -> str:
    with pytest.raises(SignInRefused) as refused:
        accounts.sign_in(name, password, now, address)
    return str(refused.value)


def test_a_known_and_an_unknown_name_get_the_same_answer_however_often(accounts):
    known = [refusal(accounts, "王丽", "wrong-password", NOW) for _ in range(MAX_FAILURES + 3)]
    unknown = [refusal(accounts, "没有这个人", "wrong-password", NOW) for _ in range(MAX_FAILURES + 3)]
    assert set(known) == set(unknown) and len(set(known)) == 1
    assert "锁定" not in known[0]


def test_wrong_passwords_make_each_try_wait_longer_instead_of_a_lock(accounts):
    for _ in range(MAX_FAILURES):
        refusal(accounts, "王丽", "wrong-password", NOW)
    at = lambda seconds: NOW + timedelta(seconds=seconds)
    refusal(accounts, "王丽", PASSWORD, at(10))  # too soon: the right password waits too (30 s)
    refusal(accounts, "王丽", "wrong-password", at(31))  # allowed again, wrong again: the wait doubles (60 s)
    refusal(accounts, "王丽", PASSWORD, at(80))
    assert accounts.sign_in("王丽", PASSWORD, at(92), ATTACKER).name == "王丽"
    assert accounts.sign_in("王丽", PASSWORD, at(93), "ip:another").failed == 0  # and the count starts again


def test_an_address_that_signed_in_before_is_not_kept_out_by_others_failures(accounts):
    accounts.sign_in("王丽", PASSWORD, NOW, OFFICE)
    later = NOW + timedelta(hours=1)
    for minute in range(0, 60, 15):  # 5 wrong tries every 15 minutes, as in the probe
        for _ in range(MAX_FAILURES):
            refusal(accounts, "王丽", "guess", later + timedelta(minutes=minute))
    refusal(accounts, "王丽", PASSWORD, later + timedelta(minutes=46))  # another address waits its turn
    assert accounts.sign_in("王丽", PASSWORD, later + timedelta(minutes=46), OFFICE).name == "王丽"

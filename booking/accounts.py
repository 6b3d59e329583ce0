"""Office staff accounts for the web desk: one-time set-up links, scrypt passwords, a growing wait after wrong
passwords, sessions.

    accounts = StaffAccounts(store)
    account, link_token = accounts.add("王丽", "wangli@example.cn", by="cli:root", now=now)   # valid 24 h
    accounts.set_password(link_token, "a long passphrase", now)
    account = accounts.sign_in("王丽", "a long passphrase", now, "ip:…")  # SignInRefused: wrong, or wait
    token, csrf = accounts.open_session(account, now)                # the cookie holds token; only its hash is kept
    account, csrf = accounts.session(token, now)                     # None when unknown or idle too long

Every change is written to the audit table under the acting person's name.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from datetime import datetime, timedelta

from .clock import aware, from_db, to_db
from .errors import BookingError, NotFound, ValidationError
from .models import StaffAccount
from .store import BookingStore
from .validation import clean, email_address, person_name

logger = logging.getLogger(__name__)

SETUP_VALID = timedelta(hours=24)
MAX_FAILURES = 5                      # wrong passwords in a row before each further try has to wait
FIRST_WAIT = timedelta(seconds=30)    # the wait after MAX_FAILURES; it doubles with each further failure
LONGEST_WAIT = timedelta(minutes=15)
KNOWN_ADDRESSES = 10                  # addresses remembered per account (they skip the wait others caused)
REFUSED = ("姓名或密码不对。连续输错几次后，需要等一会儿才能再试（每次多等一些）；"
           "忘记密码请找管理员重设。")  # one answer for every refusal: it never tells whether a name exists
IDLE_LIMIT = timedelta(minutes=30)    # a staff session ends after this long without a request
MIN_PASSWORD, MAX_PASSWORD = 10, 128
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}  # 16 MiB of memory per guess


class SignInRefused(BookingError):
    """Wrong name or password, or a try too soon after several wrong ones: always the same message (REFUSED)."""


def hash_password(password: str) -> str:
    """scrypt with a random salt, as `scrypt$n$r$p$salt$hash` (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **_SCRYPT)
    b64 = lambda raw: base64.b64encode(raw).decode()
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt)}${b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """True when the password matches the stored scrypt hash (constant-time comparison)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        again = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                               dklen=32, maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(again, base64.b64decode(digest))


_DUMMY = hash_password(secrets.token_urlsafe(16))  # an unknown name costs as much time as a known one


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret() -> str:
    """A random session token or set-up key (256 bits; longer than the public chat's session ids)."""
    return secrets.token_urlsafe(32)


def check_new_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(f"密码需 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符，可以是一句好记的话。", "password")
    if len(set(password)) < 4:
        raise ValidationError("密码太简单了，请换一个（至少用 4 种不同的字符）。", "password")
    return password


class StaffAccounts:
    """Staff accounts and their web sessions in the bookings database (audit table shared with decisions)."""

    def __init__(self, store: BookingStore, idle: timedelta = IDLE_LIMIT):
        self.store, self.idle = store, idle

    # ---- administration (python bot.py admin staff-…) ---------------------------------------------------
    def add(self, name: str, email: str, by: str, now: datetime) -> tuple[StaffAccount, str]:
        """A new account without a password; returns it and the set-up key for its one-time link (24 h)."""
        now, name, email = aware(now), person_name(name), email_address(email) if email else ""
        key = new_secret()
        with self.store.write() as tx:
            if tx.staff_row(name=name) is not None:
                raise BookingError(f"已有名为「{name}」的工作人员账号；如需重设密码，请用 staff-reset。")
            staff_id = tx.insert_staff({"name": name, "email": email, "setup_hash": token_hash(key),
                                        "setup_expires": to_db(now + SETUP_VALID), "created_at": to_db(now),
                                        "created_by": by})
            tx.audit(to_db(now), by, "staff_add", f"staff:{name}", {"email": bool(email)})
            return StaffAccount.from_row(tx.staff_row(staff_id=staff_id)), key

    def reset(self, name: str, by: str, now: datetime) -> str:
        """Clear the password, end the person's sessions and unlock; returns a new set-up key (24 h)."""
        now, key = aware(now), new_secret()
        with self.store.write() as tx:
            row = self._row(tx, name)
            tx.update_staff(row["id"], {"password_hash": "", "setup_hash": token_hash(key), "failed": 0,
                                        "setup_expires": to_db(now + SETUP_VALID), "locked_until": None})
            tx.end_staff_sessions(staff_id=row["id"])
            tx.audit(to_db(now), by, "staff_reset", f"staff:{row['name']}")
        return key

    def remove(self, name: str, by: str, now: datetime) -> None:
        """Delete the account and end its sessions (its past actions stay in the audit table)."""
        now = aware(now)
        with self.store.write() as tx:
            row = self._row(tx, name)
            tx.delete_staff(row["id"])
            tx.audit(to_db(now), by, "staff_remove", f"staff:{row['name']}")

    def all(self) -> list[StaffAccount]:
        with self.store.read() as tx:
            return [StaffAccount.from_row(r) for r in tx.staff_rows()]

    def emails(self) -> list[str]:
        """Addresses of staff who gave one: new bookings and schools' answers are mailed there."""
        return [a.email for a in self.all() if a.email]

    # ---- set-up link ------------------------------------------------------------------------------------
    def by_setup_key(self, key: str, now: datetime) -> StaffAccount:
        """The account a set-up link is for, while the link is valid."""
        with self.store.read() as tx:
            row = tx.staff_row(setup_hash=token_hash(key or ""))
        if row is None or (from_db(row["setup_expires"]) or aware(now)) <= aware(now):
            raise NotFound("这个设置密码的链接无效或已过期（有效期 24 小时）。请联系管理员重新生成。")
        return StaffAccount.from_row(row)

    def set_password(self, key: str, password: str, now: datetime) -> StaffAccount:
        """Set the password through a valid set-up link; the link then stops working."""
        account = self.by_setup_key(key, now)
        hashed = hash_password(check_new_password(password))
        with self.store.write() as tx:
            row = tx.staff_row(setup_hash=token_hash(key))
            if row is None or row["id"] != account.id:
                raise NotFound("这个设置密码的链接已经用过了。")
            tx.update_staff(row["id"], {"password_hash": hashed, "setup_hash": None, "setup_expires": None,
                                        "failed": 0, "locked_until": None})
            tx.end_staff_sessions(staff_id=row["id"])
            tx.audit(to_db(aware(now)), account.actor, "staff_password_set", account.actor)
            return StaffAccount.from_row(tx.staff_row(staff_id=row["id"]))

    # ---- sign-in ------------------------------------------------------------------------------------------
    def sign_in(self, name: str, password: str, now: datetime, address: str = "") -> StaffAccount:
        """The account when name and password match; otherwise SignInRefused, worded the same for every name.

        After MAX_FAILURES wrong passwords in a row each try must wait (30 s, doubling, at most 15 min) — from
        everywhere except an `address` this account signed in from before, so others' failures cannot keep its
        owner out. The password hash is checked on every try (known name or not, waiting or not): the time taken
        tells nothing either."""
        now, name = aware(now), clean(name)[:30]
        with self.store.read() as tx:
            row = tx.staff_row(name=name)
        stored = row["password_hash"] if row and row["password_hash"] else _DUMMY
        matches = check_password(str(password or "")[:MAX_PASSWORD], stored) and row is not None \
            and bool(row["password_hash"])
        with self.store.write() as tx:
            row = tx.staff_row(name=name)
            if row is None:
                tx.audit(to_db(now), "web", "sign_in_failed", "staff:?", {})
                account = None
            else:
                account = self._attempt(tx, row, matches, now, address)
        if account is None:
            raise SignInRefused(REFUSED)
        return account

    @staticmethod
    def _attempt(tx, row: dict, matches: bool, now: datetime, address: str) -> StaffAccount | None:
        """Record one try at a known account; the account when it succeeds."""
        actor, stamp = f"staff:{row['name']}", to_db(now)
        known = json.loads(row.get("known_addresses") or "[]")
        place = hashlib.sha256(f"{row['id']}:{address}".encode()).hexdigest()[:32] if address else ""
        waiting = (until := from_db(row["locked_until"])) is not None and until > now
        if waiting and not (place and place in known):
            tx.audit(stamp, actor, "sign_in_too_soon", actor, {})
            return None
        if not matches:
            failed = row["failed"] + 1
            wait = min(LONGEST_WAIT, FIRST_WAIT * 2 ** (failed - MAX_FAILURES)) if failed >= MAX_FAILURES else None
            tx.update_staff(row["id"], {"failed": failed, "locked_until": to_db(now + wait) if wait else None})
            tx.audit(stamp, actor, "sign_in_failed", actor, {"failed": failed})
            return None
        if place:
            known = [place] + [p for p in known if p != place][:KNOWN_ADDRESSES - 1]
        tx.update_staff(row["id"], {"failed": 0, "locked_until": None, "last_sign_in": stamp,
                                    "known_addresses": json.dumps(known)})
        tx.audit(stamp, actor, "sign_in", actor, {})
        return StaffAccount.from_row(tx.staff_row(staff_id=row["id"]))

    def open_session(self, account: StaffAccount, now: datetime) -> tuple[str, str]:
        """A new session (token for the cookie, CSRF token for forms); only the token's hash is stored."""
        token, csrf, stamp = new_secret(), new_secret(), to_db(aware(now))
        with self.store.write() as tx:
            tx.end_staff_sessions(idle_before=to_db(aware(now) - self.idle))
            tx.insert_staff_session({"token_hash": token_hash(token), "staff_id": account.id, "csrf": csrf,
                                     "created_at": stamp, "last_seen": stamp})
        return token, csrf

    def session(self, token: str | None, now: datetime) -> tuple[StaffAccount, str] | None:
        """(account, CSRF token) of a live session, which counts as activity; None when unknown or idle."""
        if not token:
            return None
        now, hashed = aware(now), token_hash(token)
        with self.store.write() as tx:
            row = tx.staff_session(hashed)
            if row is None:
                return None
            if from_db(row["last_seen"]) + self.idle <= now:
                tx.end_staff_sessions(token_hash=hashed)
                return None
            tx.touch_staff_session(hashed, to_db(now))
            staff = tx.staff_row(staff_id=row["staff_id"])
            return (StaffAccount.from_row(staff), row["csrf"]) if staff else None

    def end_session(self, token: str | None, now: datetime) -> None:
        """Sign out."""
        if not token:
            return
        with self.store.write() as tx:
            row = tx.staff_session(token_hash(token))
            if row is None:
                return
            tx.end_staff_sessions(token_hash=row["token_hash"])
            staff = tx.staff_row(staff_id=row["staff_id"])
            if staff:
                tx.audit(to_db(aware(now)), f"staff:{staff['name']}", "sign_out", f"staff:{staff['name']}", {})

    @staticmethod
    def _row(tx, name: str) -> dict:
        row = tx.staff_row(name=clean(name))
        if row is None:
            raise NotFound(f"没有名为「{clean(name)}」的工作人员账号（python bot.py admin staff-list 可查看）。")
        return row

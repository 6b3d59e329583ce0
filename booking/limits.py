"""Limits against seat hoarding, from configuration (README "Configuration"; runtime.settings.SETTINGS)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runtime.settings import environment, integer_setting


@dataclass(frozen=True)
class SignupLimits:
    max_attendees: int = 5     # people in one lecture sign-up (the database allows at most 10)
    per_phone: int = 2         # active sign-ups for one lecture session with the same contact phone
    per_name: int = 2          # active sign-ups for one lecture session with the same name
    burst_per_hour: int = 5    # sign-ups and school bookings one user (a browser session) may submit per hour
    burst_per_address: int = 60  # the same from one client address, across its sessions (a school's Wi-Fi)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "SignupLimits":
        """Read and check SIGNUP_* settings; SettingsError (Chinese) names a bad one."""
        env = environment(environ)
        return cls(max_attendees=integer_setting(env, "SIGNUP_MAX_ATTENDEES", cls.max_attendees, 1, 10),
                   per_phone=integer_setting(env, "SIGNUP_MAX_PER_PHONE", cls.per_phone, 1, 100),
                   per_name=integer_setting(env, "SIGNUP_MAX_PER_NAME", cls.per_name, 1, 100),
                   burst_per_hour=integer_setting(env, "SIGNUP_BURST_PER_HOUR", cls.burst_per_hour, 0, 10_000),
                   burst_per_address=integer_setting(env, "SIGNUP_BURST_PER_ADDRESS", cls.burst_per_address, 0,
                                                     100_000))

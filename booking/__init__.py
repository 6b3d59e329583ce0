"""Booking domain for lecture sign-ups and school bookings; knows nothing of Telegram."""
from .accounts import SignInRefused, StaffAccounts
from .catalog import Catalog
from .desk import BookingDesk
from .errors import AlreadyDecided, BookingError, NotFound, ValidationError
from .export import registrations_csv, school_bookings_csv
from .ics import booking_ics, session_ics
from .lectures import ConsentOutcome, Lectures
from .limits import SignupLimits
from .models import AuditEntry, BookingRequest, Registration, SchoolBooking, Session, StaffAccount
from .privacy import Privacy, Purged
from .schools import Schools
from .store import BookingStore
from .validation import validate_field, validate_request

__all__ = [
    "AlreadyDecided", "AuditEntry", "BookingDesk", "BookingError", "BookingRequest", "BookingStore",
    "Catalog", "ConsentOutcome", "Lectures", "NotFound", "Privacy", "Purged", "Registration", "SchoolBooking",
    "Schools", "Session", "SignInRefused", "SignupLimits", "StaffAccount", "StaffAccounts", "ValidationError",
    "booking_ics", "registrations_csv", "school_bookings_csv",
    "session_ics", "validate_field", "validate_request",
]

"""The catalogue of refusal and input-error codes: every `InputError`, `Refusal` and `PermissionDenied` the
services raise carries one of these codes and its parameters, so a screen can say it in the user's language
(the English template below is the gettext msgid) and a program can act on the code.

A code is stable once shipped (other programs and translations rely on it); add new ones, never rename.
Templates name their parameters in braces; `field` is always available (the field's key, e.g. `ntpn`).
`tests/unit/test_error_codes.py` fails if a service raises one of these errors without a catalogued code."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # -- input: one field of a form, file, JSON document or serial frame (workstation/inputs.py) ----------
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    CONTROL_CHARACTERS = "CONTROL_CHARACTERS"
    FORMAT_CHARACTERS = "FORMAT_CHARACTERS"  # invisible: zero-width, bidi overrides, BOM inside text
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_DEEP = "TOO_DEEP"  # JSON nested deeper than any document format needs
    NOT_A_NUMBER = "NOT_A_NUMBER"
    FLOAT_REFUSED = "FLOAT_REFUSED"
    NEGATIVE = "NEGATIVE"
    NOT_POSITIVE = "NOT_POSITIVE"
    TOO_MANY_DECIMALS = "TOO_MANY_DECIMALS"
    TOO_LARGE = "TOO_LARGE"
    NOT_WHOLE_NUMBER = "NOT_WHOLE_NUMBER"
    NOT_RUPIAH = "NOT_RUPIAH"
    DATE_FORMAT = "DATE_FORMAT"
    NOT_A_DATE = "NOT_A_DATE"
    NOT_A_DATETIME = "NOT_A_DATETIME"
    DATE_FORMAT_DMY = "DATE_FORMAT_DMY"  # a day typed as DD-MM-YYYY (the report and audit screens)
    CURRENCY_CODE = "CURRENCY_CODE"
    HS_CODE = "HS_CODE"
    NPWP = "NPWP"
    CONTAINER_NUMBER = "CONTAINER_NUMBER"
    TRUCK_PLATE = "TRUCK_PLATE"
    SEAL_NUMBER = "SEAL_NUMBER"
    NTPN = "NTPN"
    BILLING_CODE = "BILLING_CODE"
    NOT_ONE_OF = "NOT_ONE_OF"
    PATTERN = "PATTERN"
    DUPLICATE_VALUE = "DUPLICATE_VALUE"
    VERSION_REQUIRED = "VERSION_REQUIRED"
    INVALID_JSON = "INVALID_JSON"
    INVALID_DOCUMENT = "INVALID_DOCUMENT"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    FILE_UNREADABLE = "FILE_UNREADABLE"
    NOT_UTF8 = "NOT_UTF8"
    INVALID_CSV = "INVALID_CSV"
    INVALID_SCAN = "INVALID_SCAN"
    INVALID_CONFIG = "INVALID_CONFIG"
    INVALID_VALUE = "INVALID_VALUE"  # a field-specific rule; the message says which
    RATE_WEEKS = "RATE_WEEKS"  # Ministry rates: overlapping or missing weeks of a currency (all named)
    RATE_WEEK = "RATE_WEEK"  # a decree period that is not Wednesday to Tuesday

    # -- access and accounts ---------------------------------------------------------------------------
    ROLE_REQUIRED = "ROLE_REQUIRED"
    SEPARATION_OF_DUTIES = "SEPARATION_OF_DUTIES"
    DUAL_AUTHORIZATION = "DUAL_AUTHORIZATION"
    SAME_USER = "SAME_USER"
    SELF_GRANT = "SELF_GRANT"
    SELF_UNLOCK = "SELF_UNLOCK"
    CONFIRM_FAILED = "CONFIRM_FAILED"
    BAD_CREDENTIALS = "BAD_CREDENTIALS"
    LOCKED = "LOCKED"
    INACTIVE = "INACTIVE"
    SESSION_ENDED = "SESSION_ENDED"
    ALREADY_ENDED = "ALREADY_ENDED"
    ALREADY_SET_UP = "ALREADY_SET_UP"
    UNKNOWN_USER = "UNKNOWN_USER"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    LOGIN_FORMAT = "LOGIN_FORMAT"
    UNKNOWN_ROLE = "UNKNOWN_ROLE"
    NIP = "NIP"
    OFFICE_NOT_CONFIGURED = "OFFICE_NOT_CONFIGURED"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"
    ROLE_REVOKED = "ROLE_REVOKED"
    SELF_DEACTIVATE = "SELF_DEACTIVATE"
    ALREADY_INACTIVE = "ALREADY_INACTIVE"
    SSH_KEY_FORMAT = "SSH_KEY_FORMAT"  # not an OpenSSH public key line of a supported type
    SSH_KEY_IN_USE = "SSH_KEY_IN_USE"  # the key is already registered (to this or another user)
    UNKNOWN_SSH_KEY = "UNKNOWN_SSH_KEY"
    SSH_KEY_REVOKED = "SSH_KEY_REVOKED"
    AUDIT_KEY_MISSING = "AUDIT_KEY_MISSING"

    # -- any case ----------------------------------------------------------------------------------------
    UNKNOWN_CASE = "UNKNOWN_CASE"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    INVALID_STATE = "INVALID_STATE"
    DUPLICATE = "DUPLICATE"
    ALREADY_DONE = "ALREADY_DONE"
    NOT_ASSIGNED = "NOT_ASSIGNED"
    NO_RULESET = "NO_RULESET"
    RULESET_INVALID = "RULESET_INVALID"
    NO_RATE = "NO_RATE"

    # -- field-unit sync ------------------------------------------------------------------------------------
    SYNC_NOT_ENROLLED = "SYNC_NOT_ENROLLED"
    SYNC_ALREADY_ENROLLED = "SYNC_ALREADY_ENROLLED"
    SYNC_NOT_CENTRAL = "SYNC_NOT_CENTRAL"
    SYNC_UNKNOWN_UNIT = "SYNC_UNKNOWN_UNIT"
    SYNC_UNIT_EXISTS = "SYNC_UNIT_EXISTS"
    SYNC_BAD_TOKEN = "SYNC_BAD_TOKEN"
    SYNC_REVOKED = "SYNC_REVOKED"
    SYNC_BAD_SIGNATURE = "SYNC_BAD_SIGNATURE"
    SYNC_STALE_REQUEST = "SYNC_STALE_REQUEST"
    SYNC_WRONG_ORIGIN = "SYNC_WRONG_ORIGIN"
    SYNC_EPOCH = "SYNC_EPOCH"
    SYNC_CHAIN_BROKEN = "SYNC_CHAIN_BROKEN"
    SYNC_BAD_CHANGE = "SYNC_BAD_CHANGE"
    SYNC_BUNDLE_REPLAYED = "SYNC_BUNDLE_REPLAYED"
    SYNC_BUNDLE_TAMPERED = "SYNC_BUNDLE_TAMPERED"
    SYNC_UNREACHABLE = "SYNC_UNREACHABLE"
    SYNC_SERVER_REFUSED = "SYNC_SERVER_REFUSED"
    SYNC_REFERENCE_AT_CENTRAL = "SYNC_REFERENCE_AT_CENTRAL"

    # -- the approvals inbox -------------------------------------------------------------------------------
    UNKNOWN_APPROVAL = "UNKNOWN_APPROVAL"
    SELF_APPROVAL = "SELF_APPROVAL"
    SYNC_NO_SERVER = "SYNC_NO_SERVER"
    SYNC_UNKNOWN_CONFLICT = "SYNC_UNKNOWN_CONFLICT"

    # -- documents, printing, audit ---------------------------------------------------------------------
    UNKNOWN_DOCUMENT = "UNKNOWN_DOCUMENT"
    ALREADY_VOID = "ALREADY_VOID"
    NUMBER_FORMAT = "NUMBER_FORMAT"
    PRINT_QUEUED = "PRINT_QUEUED"
    PRINT_FAILED = "PRINT_FAILED"
    NO_PRINTER = "NO_PRINTER"  # no output given and none configured
    NOT_A_RECEIPT = "NOT_A_RECEIPT"  # the document has no receipt part for the receipt printer
    UNDRAWABLE_TEXT = "UNDRAWABLE_TEXT"  # no font on this machine draws these characters (printing/fonts.py)
    RECEIPT_UNPRINTABLE = "RECEIPT_UNPRINTABLE"  # outside the receipt printer's code pages (printing/receipt.py)
    KEY_MISSING = "KEY_MISSING"
    KEY_MISMATCH = "KEY_MISMATCH"
    KEY_INVALID = "KEY_INVALID"  # a key file that is unreadable, too open, or not the expected kind of key
    UNKNOWN = "UNKNOWN"
    DEVICE_UNAVAILABLE = "DEVICE_UNAVAILABLE"

    # -- e-CD counter ------------------------------------------------------------------------------------
    UNKNOWN_ECD = "UNKNOWN_ECD"
    ECD_ID_CONFLICT = "ECD_ID_CONFLICT"
    ALREADY_STORED = "ALREADY_STORED"
    OUTSIDE_SUBMISSION_WINDOW = "OUTSIDE_SUBMISSION_WINDOW"
    ORAL_NOT_ALLOWED = "ORAL_NOT_ALLOWED"
    CASH_BELOW_THRESHOLD = "CASH_BELOW_THRESHOLD"
    NO_NON_PERSONAL_GOODS = "NO_NON_PERSONAL_GOODS"
    NO_EXCISE_EXCESS = "NO_EXCISE_EXCESS"
    RELEASE_BLOCKED = "RELEASE_BLOCKED"

    # -- PIB red lane ------------------------------------------------------------------------------------
    ALREADY_BLOCKED = "ALREADY_BLOCKED"
    NOT_BLOCKED = "NOT_BLOCKED"
    BILLING_SEQUENCE = "BILLING_SEQUENCE"
    NO_BILLING = "NO_BILLING"
    PAYMENT_MISMATCH = "PAYMENT_MISMATCH"
    BAP_REQUIRED = "BAP_REQUIRED"
    SAMPLING_REQUIRED = "SAMPLING_REQUIRED"
    NO_SAMPLE = "NO_SAMPLE"
    NO_INSTRUCTION = "NO_INSTRUCTION"
    OPEN_REQUESTS = "OPEN_REQUESTS"
    UNKNOWN_REQUEST = "UNKNOWN_REQUEST"
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    NO_RELEASE = "NO_RELEASE"
    MANIFEST_CONFLICT = "MANIFEST_CONFLICT"  # a BC 1.1 line already stored with other content
    PAID_IN_FUTURE = "PAID_IN_FUTURE"
    PAID_BEFORE_BILLING = "PAID_BEFORE_BILLING"
    BEFORE_REGISTRATION = "BEFORE_REGISTRATION"
    UNKNOWN_ITEM = "UNKNOWN_ITEM"  # the PIB has no item with this seq
    ITEM_TWICE = "ITEM_TWICE"
    PERMIT_NEEDS_ITEM = "PERMIT_NEEDS_ITEM"
    NOT_ON_MANIFEST = "NOT_ON_MANIFEST"  # a container the PIB's BC 1.1 line does not carry
    CONTAINER_NOT_REPORTED = "CONTAINER_NOT_REPORTED"
    NOTHING_TO_INSPECT = "NOTHING_TO_INSPECT"
    HS_NOT_IN_TARIFF = "HS_NOT_IN_TARIFF"
    RESULT_NOT_EXPECTED = "RESULT_NOT_EXPECTED"  # only a lab test has a result
    NOT_SIGNED = "NOT_SIGNED"  # minutes (BAP fisik, BA contoh) need both signatures
    LHP_REASON_REQUIRED = "LHP_REASON_REQUIRED"  # SPPB on a mismatch LHP, or LHP goods left out: a written reason
    UNDECLARED_INCOMPLETE = "UNDECLARED_INCOMPLETE"  # an undeclared LHP item determined without HS code or CIF

    # -- PLP ---------------------------------------------------------------------------------------------
    UNKNOWN_TPS = "UNKNOWN_TPS"
    ALREADY_MOVING = "ALREADY_MOVING"
    LINE_NOT_APPROVED = "LINE_NOT_APPROVED"
    LINE_NOT_OUT = "LINE_NOT_OUT"
    UNKNOWN_LINE = "UNKNOWN_LINE"
    NO_CAPACITY = "NO_CAPACITY"  # an occupancy for a yard or shed the TPS does not have
    OTHER_OFFICE = "OTHER_OFFICE"  # a request addressed to another customs office

    # -- risk management -----------------------------------------------------------------------------
    NOT_RED_LANE = "NOT_RED_LANE"  # an inspection outcome for a case that was never in the red lane
    UNKNOWN_PROFILE = "UNKNOWN_PROFILE"

    # -- accounts: a password reset by an administrator (issue #15 item 3) ------------------------------
    PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"  # only change_password and logout until it is changed
    PASSWORD_UNCHANGED = "PASSWORD_UNCHANGED"  # the new password is the one it replaces
    PASSWORDS_DIFFER = "PASSWORDS_DIFFER"  # the new password and its repetition differ


# English templates (gettext msgids). Parameters in braces; a code without a template here is shown with the
# message its raiser wrote. Every input code has one, so a form can always say what is wrong in either language.
TEMPLATES: dict[ErrorCode, str] = {
    ErrorCode.REQUIRED: "required",
    ErrorCode.TOO_LONG: "at most {limit} characters",
    ErrorCode.CONTROL_CHARACTERS: "control characters are not allowed",
    ErrorCode.FORMAT_CHARACTERS: "invisible formatting characters are not allowed",
    ErrorCode.FILE_TOO_LARGE: "larger than {limit}",
    ErrorCode.TOO_DEEP: "nested deeper than {limit} levels",
    ErrorCode.NOT_A_NUMBER: "must be a number like 1200 or 1200.50",
    ErrorCode.FLOAT_REFUSED: "must be a decimal number written as text (not a float)",
    ErrorCode.NEGATIVE: "must not be negative",
    ErrorCode.NOT_POSITIVE: "must be greater than zero",
    ErrorCode.TOO_MANY_DECIMALS: "at most {limit} decimal places",
    ErrorCode.TOO_LARGE: "at most {limit}",
    ErrorCode.NOT_WHOLE_NUMBER: "must be a whole number, digits only",
    ErrorCode.NOT_RUPIAH: "must be whole rupiah, digits only",
    ErrorCode.DATE_FORMAT: "date must be YYYY-MM-DD",
    ErrorCode.NOT_A_DATE: "not a calendar date",
    ErrorCode.NOT_A_DATETIME: "date and time must be YYYY-MM-DD HH:MM",
    ErrorCode.DATE_FORMAT_DMY: "date must be DD-MM-YYYY",
    ErrorCode.CURRENCY_CODE: "three capital letters (ISO 4217), e.g. USD",
    ErrorCode.HS_CODE: "HS code of {lengths} digits",
    ErrorCode.NPWP: "NPWP must have 15 or 16 digits",
    ErrorCode.CONTAINER_NUMBER: "{value} is not a valid ISO 6346 container number",
    ErrorCode.TRUCK_PLATE: "truck plate like 'B 1234 XYZ'",
    ErrorCode.SEAL_NUMBER: "seal number {value}: 3-20 letters, digits or '-'",
    ErrorCode.NTPN: "NTPN must be 16 letters or digits",
    ErrorCode.BILLING_CODE: "billing code must be 15 digits",
    ErrorCode.NOT_ONE_OF: "must be one of {options}",
    ErrorCode.PATTERN: "must look like {example}",
    ErrorCode.DUPLICATE_VALUE: "{value} is given twice",
    ErrorCode.VERSION_REQUIRED: "the case version the screen showed is required",
    ErrorCode.INVALID_JSON: "not valid JSON: {reason}",
    ErrorCode.INVALID_DOCUMENT: "{reason}",
    ErrorCode.UNKNOWN_FIELD: "unknown field",
    ErrorCode.FILE_UNREADABLE: "cannot read: {reason}",
    ErrorCode.NOT_UTF8: "not UTF-8 text",
    ErrorCode.INVALID_CSV: "{reason}",
    ErrorCode.RATE_WEEKS: "{reason}",
    ErrorCode.RATE_WEEK: "a decree week runs Wednesday to Tuesday: {start} to {end} is not one",
    ErrorCode.INVALID_SCAN: "{reason}",
    ErrorCode.ROLE_REQUIRED: "{login} needs the {roles} role",
    ErrorCode.WEAK_PASSWORD: "at least {limit} characters",
    ErrorCode.LOGIN_FORMAT: "3-32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter",
    ErrorCode.UNKNOWN_ROLE: "unknown role {value} (one of {options})",
    ErrorCode.NIP: "NIP is 18 digits",
    ErrorCode.SAME_USER: "not on your own account or session: another user must do it",
    ErrorCode.ALREADY_DONE: "already done",
    ErrorCode.OFFICE_NOT_CONFIGURED: "the office is not configured yet: enter it on the first-run screen or under Administration",
    ErrorCode.UNKNOWN_USER: "no user {value}",
    ErrorCode.SSH_KEY_FORMAT: "not an OpenSSH public key: {reason}",
    ErrorCode.SSH_KEY_IN_USE: "key {fingerprint} is already registered",
    ErrorCode.UNKNOWN_SSH_KEY: "no SSH key {value}",
    ErrorCode.SSH_KEY_REVOKED: "key {value} was already removed",
    ErrorCode.UNKNOWN_SESSION: "no such session",
    ErrorCode.SEPARATION_OF_DUTIES: "the same person may not do both steps",
    ErrorCode.UNKNOWN_CASE: "no such case",
    ErrorCode.NOT_RED_LANE: "{reference} was not in the red lane: no inspection outcome to record",
    ErrorCode.UNKNOWN_PROFILE: "no risk profile {value}",
    ErrorCode.VERSION_CONFLICT: "{reference} was changed by {who} since you opened it; reload and redo",
    ErrorCode.INVALID_STATE: "cannot {action} a case in state {state}",
    # PIB red lane
    ErrorCode.ALREADY_BLOCKED: "importer {value} is already blocked",
    ErrorCode.NOT_BLOCKED: "importer {value} is not blocked",
    ErrorCode.NO_BILLING: "no unpaid billing on this PIB",
    ErrorCode.BAP_REQUIRED: "record the BAP fisik first",
    ErrorCode.NO_SAMPLE: "no sample of item {seq} was taken (BA pengambilan contoh)",
    ErrorCode.NO_INSTRUCTION: "no Instruksi Pemeriksaan on this case",
    ErrorCode.OPEN_REQUESTS: "open requests ({kinds}) await their answer",
    ErrorCode.ALREADY_ANSWERED: "this request was already answered",
    ErrorCode.NO_RELEASE: "{value}: no SPPB releases this container",
    ErrorCode.PAID_IN_FUTURE: "payment date is in the future",
    ErrorCode.PAID_BEFORE_BILLING: "payment date is before the billing was issued",
    ErrorCode.BEFORE_REGISTRATION: "before the PIB's registration",
    ErrorCode.UNKNOWN_ITEM: "the PIB has no item {seq}",
    ErrorCode.ITEM_TWICE: "item determined twice",
    ErrorCode.PERMIT_NEEDS_ITEM: "a permit names the PIB item it covers",
    ErrorCode.NOT_ON_MANIFEST: "{value} is not on the PIB's BC 1.1 line",
    ErrorCode.CONTAINER_NOT_REPORTED: "container {value} of the IP is not reported",
    ErrorCode.NOTHING_TO_INSPECT: "name the containers or the packages to inspect",
    ErrorCode.HS_NOT_IN_TARIFF: "HS code {value} is not in the tariff table",
    ErrorCode.RESULT_NOT_EXPECTED: "only a lab test has a result",
    ErrorCode.SYNC_NOT_ENROLLED: "this database is not an enrolled field unit; enrol it with --enrol TOKEN",
    ErrorCode.SYNC_ALREADY_ENROLLED: "this database is already enrolled as unit {unit}",
    ErrorCode.SYNC_NOT_CENTRAL: "this database is not the central one of a sync",
    ErrorCode.SYNC_UNKNOWN_UNIT: "unknown field unit {unit}",
    ErrorCode.SYNC_UNIT_EXISTS: "field unit {unit} is already registered",
    ErrorCode.SYNC_BAD_TOKEN: "the enrolment token for unit {unit} is wrong, used or expired",
    ErrorCode.SYNC_REVOKED: "field unit {unit} is revoked",
    ErrorCode.SYNC_BAD_SIGNATURE: "the signature does not match unit {unit}'s registered key",
    ErrorCode.SYNC_STALE_REQUEST: "the request's time is too far from the server's clock",
    ErrorCode.SYNC_WRONG_ORIGIN: "unit {unit} sent a change of unit {origin}",
    ErrorCode.SYNC_EPOCH: "unit {unit} sent epoch {epoch}; its current epoch is {current} (re-enrolled?)",
    ErrorCode.SYNC_CHAIN_BROKEN: "unit {unit}'s audit chain does not continue what central holds at entry {seq} (restored from a backup? re-enrol the unit)",
    ErrorCode.SYNC_BAD_CHANGE: "change {change} is not valid: {reason}",
    ErrorCode.SYNC_BUNDLE_REPLAYED: "bundle {bundle} was already imported",
    ErrorCode.SYNC_BUNDLE_TAMPERED: "the bundle's signature does not match its content (tampered or not from {unit})",
    ErrorCode.SYNC_UNREACHABLE: "cannot reach the sync server {url}: {reason}",
    ErrorCode.SYNC_SERVER_REFUSED: "the sync server refused: {reason}",
    ErrorCode.UNKNOWN_APPROVAL: "no approval request {value}",
    ErrorCode.SELF_APPROVAL: "a request is decided by another supervisor, never by the one who made it",
    ErrorCode.SYNC_REFERENCE_AT_CENTRAL: "this field unit cannot add {table} rows: reference data is kept at central; add it there and sync",
    ErrorCode.SYNC_NO_SERVER: "this unit has no sync server address yet; run `workstation sync --server URL` once",
    ErrorCode.SYNC_UNKNOWN_CONFLICT: "no such sync conflict {value}",
    ErrorCode.UNDRAWABLE_TEXT: "cannot be printed on official documents: no font for {chars}",
    ErrorCode.RECEIPT_UNPRINTABLE: "the receipt printer cannot print {chars}; print the A4 document instead",
    ErrorCode.PASSWORD_CHANGE_REQUIRED: "an administrator set your password: choose your own before you continue",
    ErrorCode.PASSWORD_UNCHANGED: "the new password must differ from the old one",
    ErrorCode.PASSWORDS_DIFFER: "the two passwords differ",
    # refusals whose raisers say the same thing (a code whose raisers differ keeps their words in English)
    ErrorCode.ALREADY_ENDED: "that session has already ended",
    ErrorCode.ALREADY_INACTIVE: "{login} is already deactivated",
    ErrorCode.ALREADY_MOVING: "the goods have already left the origin TPS; record their arrival instead",
    ErrorCode.ALREADY_STORED: "{value} is already stored in a TPS",
    ErrorCode.ALREADY_VOID: "{number} is already void",
    ErrorCode.AUDIT_KEY_MISSING: "this machine has no office key file",
    ErrorCode.BILLING_SEQUENCE: "the billing codes of this year are used up",
    ErrorCode.CONFIRM_FAILED: "supervisor confirmation failed",
    ErrorCode.DUAL_AUTHORIZATION: "another user, a supervisor, must confirm this",
    ErrorCode.ECD_ID_CONFLICT: "another e-CD is already stored as {value}; nothing changed",
    ErrorCode.INACTIVE: "account {login} is disabled",
    ErrorCode.KEY_MISMATCH: "the key file is not this office's registered key",
    ErrorCode.KEY_MISSING: "this office's signing key or certificate is missing: restore the key file from backup or run `workstation db upgrade`",
    ErrorCode.LINE_NOT_APPROVED: "line {value} is {state}, not approved to leave",
    ErrorCode.LINE_NOT_OUT: "line {value} has not left the origin TPS",
    ErrorCode.LOCKED: "this account is locked; a supervisor must unlock it",
    ErrorCode.MANIFEST_CONFLICT: "BC 1.1 {number} pos {pos} is stored with other content",
    ErrorCode.NOT_ASSIGNED: "only the inspector the IP names may report on it",
    ErrorCode.NOT_A_RECEIPT: "{number} is not a receipt document",
    ErrorCode.NOT_SIGNED: "not signed",
    ErrorCode.NO_CAPACITY: "this TPS has no capacity of that kind",
    ErrorCode.NO_EXCISE_EXCESS: "the current decision has no excise goods above the allowance",
    ErrorCode.NO_NON_PERSONAL_GOODS: "no goods for non-personal use on this e-CD",
    ErrorCode.NO_RATE: "no NDPBM rate for {currency} on {day}",
    ErrorCode.NO_RULESET: "no {kind} rule set in force on {day}",
    ErrorCode.NUMBER_FORMAT: "cannot read the sequence of {value}",
    ErrorCode.ORAL_NOT_ALLOWED: "oral declaration is not allowed for {group} (age {age}) under {ruleset}",
    ErrorCode.OTHER_OFFICE: "the request is for office {value}, not this one",
    ErrorCode.ROLE_REVOKED: "{login} no longer holds the {roles} role; log in again",
    ErrorCode.SAMPLING_REQUIRED: "the IP asked for samples: record the BA pengambilan contoh first",
    ErrorCode.SELF_DEACTIVATE: "nobody deactivates their own account",
    ErrorCode.SELF_GRANT: "nobody changes their own roles (separation of duties)",
    ErrorCode.SELF_UNLOCK: "nobody unlocks their own account",
    ErrorCode.SESSION_ENDED: "this session was ended; log in again",
    ErrorCode.UNDECLARED_INCOMPLETE: "undeclared item {seq} needs an HS code and a CIF value",
    ErrorCode.UNKNOWN_DOCUMENT: "no document {number}",
    ErrorCode.UNKNOWN_ECD: "no stored e-CD {value}; scan the passenger's offline code (ECD1) or import it",
    ErrorCode.UNKNOWN_LINE: "no line {value} on this request",
    ErrorCode.UNKNOWN_REQUEST: "no such request on this PIB",
    ErrorCode.UNKNOWN_TPS: "unknown TPS {value}",
    ErrorCode.DUPLICATE: "{value} already exists",
    ErrorCode.OUTSIDE_SUBMISSION_WINDOW: "submitted outside the e-CD submission window",
    ErrorCode.PAYMENT_MISMATCH: "the payment does not match the billing",
}

# Codes whose raisers' words differ too much for one template (each says what is wrong in its own English),
# or that screens say in their own words (the login screen for BAD_CREDENTIALS). A new code goes in TEMPLATES
# or here (tests/unit/test_error_codes.py). Their raisers' constant messages and `template=`s are msgids too:
# the test checks that Indonesian has each one.
RAISERS_WORDS: frozenset[ErrorCode] = frozenset({
    ErrorCode.ALREADY_SET_UP, ErrorCode.BAD_CREDENTIALS, ErrorCode.CASH_BELOW_THRESHOLD, ErrorCode.DEVICE_UNAVAILABLE,
    ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_VALUE, ErrorCode.KEY_INVALID, ErrorCode.LHP_REASON_REQUIRED,
    ErrorCode.NO_PRINTER, ErrorCode.PRINT_FAILED, ErrorCode.PRINT_QUEUED, ErrorCode.RELEASE_BLOCKED,
    ErrorCode.RULESET_INVALID, ErrorCode.UNKNOWN,
})


def render(code: ErrorCode | str | None, params: dict[str, object] | None, fallback: str) -> str:
    """English text of a code with its parameters; `fallback` when the code has no template or a parameter
    is missing (the raiser's own message)."""
    try:
        template = TEMPLATES.get(ErrorCode(code)) if code else None
    except ValueError:
        template = None
    if template is None:
        return fallback
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError):
        return fallback


# --- the errors themselves --------------------------------------------------------------------------------
# They live beside the catalogue so the domain and rules can raise them without importing anything above the
# domain; `workstation.errors` re-exports them for the rest of the project. Each carries the exit status the
# CLI uses (CONTRACTS.md): 1 = a domain refusal, 2 = bad input or usage.


class WorkstationError(Exception):
    """`code` is from the catalogue above, `params` fill its template (a screen translates the template and
    fills it; `field` is always a parameter). `message` is the English text; when it is omitted the template
    renders it.

    `template` is the raiser's own English template (a gettext msgid) for a code without a catalogue template
    (RAISERS_WORDS): when `message` is omitted it is `template.format(**params)`, and a screen says the
    template in the user's language with the same params."""

    exit_code = 2

    def __init__(self, message: str | None = None, *, field: str | None = None, code: ErrorCode | str | None = None,
                 params: dict[str, Any] | None = None, template: str | None = None):
        self.code = code
        self.field = field
        self.template = template
        self.params: dict[str, Any] = {**(params or {}), **({"field": field} if field else {})}
        if message is None and template is not None:
            try:
                message = template.format(**self.params)
            except (KeyError, IndexError, ValueError):  # a raiser's slip must not hide the error it raises
                message = template
        self.message = message if message is not None else render(code, self.params, str(code or "error"))
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.field:
            return f"{self.field}: {self.message}"
        return self.message


class InputError(WorkstationError):
    """Bad input (file, JSON, form field, serial bytes). Nothing is written."""

    exit_code = 2


class ConfigError(InputError):
    """Invalid configuration value; `field` names the key."""


class DatabaseUnavailable(WorkstationError):
    exit_code = 2


class Refusal(WorkstationError):
    """The request is well-formed but the rules or the state of the case refuse it."""

    exit_code = 1


class PermissionDenied(Refusal):
    """The acting user lacks the role, or separation of duties forbids the action."""


class NotFound(Refusal):
    pass


class ConflictError(Refusal):
    """Optimistic locking: the case changed since it was read. Reload and redo."""


class AuthenticationFailed(Refusal):
    pass


class AccountLocked(AuthenticationFailed):
    pass

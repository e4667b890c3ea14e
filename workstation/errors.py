"""Errors that cross layers. Each carries the exit status the CLI uses (CONTRACTS.md):
1 = a domain refusal, 2 = bad input or usage."""

from __future__ import annotations

from typing import Any

from workstation.domain.errors import ErrorCode, render


class WorkstationError(Exception):
    """`code` is from the catalogue (workstation/domain/errors.py), `params` fill its template (a screen
    translates the template and fills it; `field` is always a parameter). `message` is the English text; when it
    is omitted the template renders it."""

    exit_code = 2

    def __init__(self, message: str | None = None, *, field: str | None = None, code: ErrorCode | str | None = None,
                 params: dict[str, Any] | None = None):
        self.code = code
        self.field = field
        self.params: dict[str, Any] = {**(params or {}), **({"field": field} if field else {})}
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

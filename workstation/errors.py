"""Errors that cross layers. Each carries the exit status the CLI uses (CONTRACTS.md):
1 = a domain refusal, 2 = bad input or usage."""

from __future__ import annotations


class WorkstationError(Exception):
    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

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

"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse

from workstation.config import Settings, load_settings


def settings_from(args: argparse.Namespace, **overrides) -> Settings:
    return load_settings(getattr(args, "config", None), **overrides)


def services_from(args: argparse.Namespace, *, migrate: bool = True):
    from workstation.services import open_services

    return open_services(settings_from(args), migrate=migrate)


# --- reading what a command is given (issue #11 item 8): bounded, decoded, named ---------------------------
def read_document_text(path: str, field: str | None = None) -> str:
    """A JSON document file ('-': stdin) as text: at most inputs.FILE_LIMITS['json'] bytes, UTF-8 with an
    optional BOM (dropped). Raises InputError FILE_UNREADABLE, FILE_TOO_LARGE, NOT_UTF8 naming the file."""
    from workstation import inputs
    from workstation.domain.jsondoc import decode_utf8

    name = field or inputs.short(path)
    return decode_utf8(inputs.read_file(path, name, kind="json"), source=name)


def read_csv_text(path: str, field: str | None = None) -> str:
    """A CSV file as checked text (inputs.read_text_file: bounded, UTF-8, no control characters)."""
    from workstation import inputs

    return inputs.read_text_file(path, field, kind="csv")


def source_label(path: str) -> str:
    """The name a service stores and audits for a file: its base name, at most 64 characters (columns and
    audit entity ids are bounded; a long path must not reach the database)."""
    import os

    from workstation import inputs

    return inputs.short(os.path.basename(path.rstrip("/")) or path, 64) if path != "-" else "stdin"

"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse

from workstation.config import Settings, load_settings


def settings_from(args: argparse.Namespace, **overrides) -> Settings:
    return load_settings(getattr(args, "config", None), **overrides)


def services_from(args: argparse.Namespace, *, migrate: bool = True):
    from workstation.services import open_services

    return open_services(settings_from(args), migrate=migrate)

"""The whole schema: the core models plus every workflow's `db/models_<kind>.py`, imported here so that
Alembic, the tests and the services see one complete metadata. Workflows add a module; nothing to register."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from db.models import Base

_HERE = Path(__file__).parent
WORKFLOW_MODULES = sorted(m.name for m in pkgutil.iter_modules([str(_HERE)]) if m.name.startswith("models_"))
for _name in WORKFLOW_MODULES:
    importlib.import_module(f"db.{_name}")

metadata = Base.metadata

"""Customs officer workstation: the headless core (no Textual import anywhere under this package)."""

__version__ = "0.1.0"

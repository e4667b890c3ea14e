"""Device simulators on pseudo-terminals (`workstation devices simulate KIND`), used by tests and the demo."""

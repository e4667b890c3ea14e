"""A configuration file that is not one (a device, a huge file, a name too long) is refused with one line, at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from workstation.bootconfig import MAX_CONFIG_BYTES, read_config_file
from workstation.errors import ConfigError


def test_a_huge_config_file_is_refused_not_read_whole(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * MAX_CONFIG_BYTES + b"\n")
    with pytest.raises(ConfigError, match="larger than"):
        read_config_file(big)


def test_a_stream_device_does_not_hang():
    with pytest.raises(ConfigError):  # random bytes: too large, or not TOML — never a hang
        read_config_file(Path("/dev/urandom"))


def test_a_directory_or_an_overlong_name_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        read_config_file(tmp_path)
    with pytest.raises(ConfigError) as exc:
        read_config_file(tmp_path / ("x" * 300))
    assert len(exc.value.field or "") <= 120


def test_a_bom_is_accepted(tmp_path):
    f = tmp_path / "c.toml"
    f.write_bytes(b"\xef\xbb\xbflanguage = \"en\"\n")
    assert read_config_file(f) == {"language": "en"}

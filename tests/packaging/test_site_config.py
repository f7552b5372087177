"""`make package CONFIG=site.toml`: the admin's file is checked before the long build, not on each laptop."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packaging.test_deb import load_builder


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_site_file_with_a_mistake_stops_the_build_naming_the_line(tmp_path: Path) -> None:
    builder = load_builder()
    site = write(tmp_path / "site.toml", 'data_dir = "~/Union"\nlisten_port = 478000\n')
    with pytest.raises(builder.BuildError) as refused:
        builder.build(tmp_path / "out", site_config=site)
    assert str(refused.value) == (
        f"--config {site}, line 2: listen_port must be a whole number from 0 to 65535 (0 picks a free port). "
        "Every laptop would ignore this value: mend the file and build again.")
    assert not (tmp_path / "out").exists()  # stopped before PyInstaller


def test_a_site_file_that_is_not_toml_stops_the_build(tmp_path: Path) -> None:
    builder = load_builder()
    site = write(tmp_path / "site.toml", 'peers = ["10.77.0.1:47800",\n')
    with pytest.raises(builder.BuildError, match=r"line 1: .*Every laptop would ignore this file"):
        builder.check_site_config(site)


def test_a_fixed_device_name_in_a_site_file_is_said_to_be_shared_by_every_laptop(tmp_path: Path) -> None:
    builder = load_builder()
    site = write(tmp_path / "site.toml", 'device_name = "union laptop"\n')
    assert builder.check_site_config(site) == [
        f"--config {site}, line 1: device_name 'union laptop' has no {{hostname}} or {{user}}, so every laptop "
        "installed from this package calls itself 'union laptop'; e.g. \"union {hostname}\" tells them apart."]


def test_a_site_file_with_home_and_variables_set_only_on_the_laptops_builds(tmp_path: Path) -> None:
    builder = load_builder()
    site = write(tmp_path / "site.toml", 'data_dir = "$UNION_DATA/organiser"\ndevice_name = "{hostname}"\n'
                 'listen_port = 47800\npeers = ["10.77.0.1:47800"]\n')
    assert builder.check_site_config(site) == []


def test_static_peers_without_a_fixed_port_are_noted(tmp_path: Path) -> None:
    builder = load_builder()
    site = write(tmp_path / "site.toml", 'discovery = false\npeers = ["10.77.0.1:47800", "10.77.0.2:47800"]\n')
    assert builder.check_site_config(site) == [
        f"--config {site}, line 2: peers are listed but listen_port is not set, so each laptop listens on a port "
        "of its own choosing and the ports in peers will not match; set listen_port = 47800."]

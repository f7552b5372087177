"""Admin settings: which layer wins, and what a broken file does."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from organiser.cli.main import run
from organiser.config import (
    SettingError,
    load_settings,
    parse_peer,
    render_device_name,
    user_config_path,
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {"system": tmp_path / "etc" / "config.toml", "user": tmp_path / "home" / "config.toml"}


def environ(files: dict[str, Path], **variables: str) -> dict[str, str]:
    return {"ORGANISER_SYSTEM_CONFIG": str(files["system"]), "ORGANISER_CONFIG": str(files["user"]),
            "HOME": "/nonexistent", **variables}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_without_any_file_the_defaults_apply(files: dict[str, Path]) -> None:
    settings = load_settings(environ(files))
    assert (settings.data_dir, settings.device_name, settings.listen_port, settings.discovery, settings.peers) == (
        None, "{hostname}", None, True, ())
    assert settings.problems == ()
    assert settings.source_of("discovery") == "default"


def test_user_file_wins_over_system_file_environment_over_both_and_flags_over_all(files: dict[str, Path]) -> None:
    write(files["system"], 'data_dir = "/srv/organiser"\nlisten_port = 47800\ndiscovery = false\n'
          'peers = ["10.0.0.5:47800"]\ndevice_name = "{hostname}"\n')
    write(files["user"], 'listen_port = 47900\ndevice_name = "{user} laptop"\n')
    settings = load_settings(environ(files, ORGANISER_DATA_DIR="/tmp/from-env", ORGANISER_DEVICE_NAME="door"))

    assert settings.listen_port == 47900 and settings.source_of("listen_port") == str(files["user"])
    assert settings.discovery is False and settings.source_of("discovery") == str(files["system"])
    assert settings.peers == ("10.0.0.5:47800",)
    assert settings.data_dir == Path("/tmp/from-env")
    assert settings.source_of("data_dir") == "environment (ORGANISER_DATA_DIR)"
    assert settings.device_name == "door"

    flagged = settings.with_flags(data_dir=Path("/tmp/flag"), listen_port=0, discovery=None)
    assert flagged.data_dir == Path("/tmp/flag") and flagged.source_of("data_dir") == "command line"
    assert flagged.listen_port == 0 and flagged.discovery is False


def test_environment_words_for_discovery_and_peers(files: dict[str, Path]) -> None:
    settings = load_settings(environ(files, ORGANISER_DISCOVERY="off", ORGANISER_PEERS="a.local:1, [fe80::1]:2 b:3"))
    assert settings.discovery is False
    assert settings.peers == ("a.local:1", "[fe80::1]:2", "b:3")


def test_a_file_that_is_not_toml_is_named_with_its_line_and_ignored(files: dict[str, Path]) -> None:
    write(files["system"], 'data_dir = "/srv/organiser"\nlisten_port = 47800\npeers = ["a:1",\n')
    write(files["user"], "discovery = false\n")
    settings = load_settings(environ(files))

    assert settings.problems == (f"{files['system']}, line 3: invalid value: peers must be a list of addresses, "
                                 'e.g. ["10.0.0.5:47800", "door-laptop.local:47800"]; ignoring this config file.',)
    assert settings.data_dir is None and settings.listen_port is None  # the broken file counts for nothing
    assert settings.discovery is False  # the other file still does


def test_a_bad_value_is_named_with_its_line_and_only_that_value_is_skipped(files: dict[str, Path]) -> None:
    write(files["user"], '# ports\nlisten_port = 99999\ndevice_name = "{host}"\nlistens = 1\ndiscovery = "no"\n')
    settings = load_settings(environ(files, ORGANISER_LISTEN_PORT="many"))

    assert settings.listen_port is None and settings.device_name == "{hostname}"
    assert settings.discovery is False
    path = files["user"]
    assert settings.problems == (
        f"{path}, line 2: listen_port must be a whole number from 0 to 65535 (0 picks a free port). "
        "Ignoring this value.",
        f"{path}, line 3: device_name uses {{host}}; the known placeholders are {{hostname}} and {{user}}. "
        "Ignoring this value.",
        f"{path}, line 4: 'listens' is not a setting (known: data_dir, device_name, listen_port, discovery, peers, "
            "require_passphrase, lock_after_minutes); "
        "ignoring it.",
        "environment variable ORGANISER_LISTEN_PORT: listen_port must be a whole number from 0 to 65535 "
        "(0 picks a free port). Ignoring it.",
    )


def test_an_unreadable_file_is_reported_and_skipped(files: dict[str, Path]) -> None:
    files["system"].mkdir(parents=True)  # a folder where the file should be
    settings = load_settings(environ(files))
    assert len(settings.problems) == 1
    assert settings.problems[0].startswith(f"{files['system']}: cannot read this config file")


def test_device_name_template_is_filled_for_this_computer() -> None:
    host = socket.gethostname().split(".")[0]
    assert render_device_name("{hostname}") == host
    assert render_device_name("door laptop ({hostname})") == f"door laptop ({host})"
    with pytest.raises(SettingError, match=r"device_name uses \{ip\}"):
        render_device_name("{ip}")


@pytest.mark.parametrize(("text", "expected"), [
    ("10.0.0.5:1", ("10.0.0.5", 1)),
    ("door-laptop.local:47800", ("door-laptop.local", 47800)),
    ("[fe80::1%eth0]:47800", ("fe80::1%eth0", 47800)),
])
def test_peer_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_peer(text) == expected


@pytest.mark.parametrize("text", ["host:99999", "host:port", "host", "a b:1", ""])
def test_bad_peer_addresses_are_refused(text: str) -> None:
    with pytest.raises(SettingError, match="peer address"):
        parse_peer(text)


def test_user_file_lives_in_xdg_config_home() -> None:
    assert user_config_path({"XDG_CONFIG_HOME": "/x/conf", "HOME": "/h"}) == Path("/x/conf/organiser/config.toml")
    assert user_config_path({"HOME": "/h"}) == Path("/h/.config/organiser/config.toml")


def test_cli_uses_the_data_folder_from_the_system_file(files: dict[str, Path], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    write(files["system"], f'data_dir = "{tmp_path / "admin-data"}"\n')
    for key, value in environ(files).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ORGANISER_DATA_DIR", raising=False)

    assert run(["init", "--group", "Tenants Union", "--device-name", "door laptop"]) == 0
    assert (tmp_path / "admin-data" / "groups").is_dir()
    assert run(["--data-dir", str(tmp_path / "flag-data"), "init", "--group", "Other", "--device-name", "x"]) == 0
    assert (tmp_path / "flag-data" / "groups").is_dir()  # the flag wins over the file
    capsys.readouterr()


def test_cli_still_runs_on_defaults_when_the_system_file_is_broken(files: dict[str, Path], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write(files["system"], "data_dir = \n")
    for key, value in environ(files, ORGANISER_DATA_DIR=str(tmp_path / "env-data")).items():
        monkeypatch.setenv(key, value)

    assert run(["init", "--group", "Tenants Union", "--device-name", "door laptop"]) == 0
    out = capsys.readouterr()
    assert (f"organiser: {files['system']}, line 1: invalid value: data_dir must be a folder path in quotes, "
            'e.g. "/srv/organiser"; ignoring this config file.') in out.err
    assert "Created group 'Tenants Union'" in out.out
    assert (tmp_path / "env-data" / "groups").is_dir()


def test_config_command_says_where_each_setting_comes_from(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    write(files["user"], "listen_port = 47900\n")
    for key, value in environ(files, ORGANISER_DISCOVERY="no").items():
        monkeypatch.setenv(key, value)

    assert run(["config"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split() == ["listen_port", "47900", str(files["user"])] for line in lines)
    assert any(line.split() == ["discovery", "off", "environment", "(ORGANISER_DISCOVERY)"] for line in lines)
    assert f"  {files['system']}  (absent)" in lines


def test_sync_node_options_come_from_the_settings(files: dict[str, Path]) -> None:
    write(files["system"], 'listen_port = 47800\ndiscovery = false\npeers = ["10.0.0.5:47800", "[fe80::1]:47801"]\n')
    assert load_settings(environ(files)).node_options() == {
        "listen_port": 47800, "discovery": False, "static_peers": [("10.0.0.5", 47800), ("fe80::1", 47801)]}
    nothing = {"system": files["system"].with_name("none"), "user": files["user"]}
    assert load_settings(environ(nothing)).node_options() == {"listen_port": 0, "discovery": True, "static_peers": []}


def test_a_data_folder_naming_an_unset_variable_is_refused_not_made_in_the_current_folder(
        files: dict[str, Path]) -> None:
    write(files["system"], 'data_dir = "$UNION_DATA/organiser"\n')
    settings = load_settings(environ(files))

    assert settings.data_dir is None  # not a folder called "$UNION_DATA" wherever the program starts
    assert settings.problems == (
        f"{files['system']}, line 1: data_dir names $UNION_DATA, which is not set for this user; "
        'write the folder out, e.g. "/srv/organiser" or "~/Organiser". Ignoring this value.',)


def test_a_relative_data_folder_in_a_config_file_is_refused(files: dict[str, Path]) -> None:
    write(files["system"], 'listen_port = 47800\ndata_dir = "Union"\n')
    settings = load_settings(environ(files))

    assert settings.data_dir is None and settings.listen_port == 47800
    assert settings.problems == (
        f"{files['system']}, line 2: data_dir 'Union' is not a full path, so it would depend on the folder "
        'the program starts in; write e.g. "~/Union" or "/srv/organiser/Union". Ignoring this value.',)


def test_home_and_tilde_in_a_data_folder_are_the_home_of_whoever_runs_it(files: dict[str, Path]) -> None:
    write(files["system"], 'data_dir = "$HOME/Union"\n')
    write(files["user"], "")
    assert load_settings(environ(files, HOME="/home/ana")).data_dir == Path("/home/ana/Union")
    write(files["system"], 'data_dir = "${HOME}/Union"\n')
    assert load_settings(environ(files, HOME="/home/ben")).data_dir == Path("/home/ben/Union")


@pytest.mark.parametrize(("line", "hint"), [
    ("data_dir = ~/Union", 'data_dir must be a folder path in quotes, e.g. "/srv/organiser"'),
    ("device_name = union laptop", 'device_name must be text in quotes, e.g. "{hostname}" or "{user} laptop"'),
    ("discovery = off", "discovery must be true or false"),
])
def test_a_value_toml_cannot_read_is_explained_by_its_setting(files: dict[str, Path], line: str, hint: str) -> None:
    write(files["system"], f"# union laptops\n{line}\n")
    (problem,) = load_settings(environ(files)).problems
    assert problem.startswith(f"{files['system']}, line 2: invalid value: {hint}")
    assert problem.endswith("; ignoring this config file.")


def test_config_command_notes_a_device_name_every_computer_would_share(files: dict[str, Path],
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    write(files["system"], 'device_name = "union laptop"\n')
    for key, value in environ(files).items():
        monkeypatch.setenv(key, value)
    assert run(["config"]) == 0
    out = capsys.readouterr().out
    assert (f"Note: device_name in {files['system']} has no {{hostname}} or {{user}}: every computer given this "
            "file calls its laptop 'union laptop'.") in out


def test_settings_under_a_section_header_are_named_with_the_line_and_what_to_do(files: dict[str, Path]) -> None:
    write(files["system"], '# union laptops\n[organiser]\ndata_dir = "~/Union"\nlisten_port = 47800\n')
    settings = load_settings(environ(files))
    assert settings.problems == (
        f"{files['system']}, line 2: [organiser] starts a section, and Organiser reads settings only above any "
        "section; remove the [organiser] line. Ignoring data_dir, listen_port.",)

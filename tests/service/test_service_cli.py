"""The ``pedall serve`` command line: its options and their bounds (no server started)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pedall.cli.main import main
from pedall.service.settings import ServiceSettings


def test_serve_help_names_its_options() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--query-timeout", "--workers", "--max-body-bytes"):
        assert option in result.output
    assert "127.0.0.1" in result.output


def test_serve_refuses_a_zero_time_limit() -> None:
    result = CliRunner().invoke(main, ["serve", "--query-timeout", "0"])
    assert result.exit_code == 2
    assert "--query-timeout" in result.output


def test_allowed_hosts_reach_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """--allowed-host (repeatable) becomes ServiceSettings.allowed_hosts; uvicorn is not run."""
    import logging

    import uvicorn

    from pedall.service.access_log import ACCESS_LOGGER

    access = logging.getLogger(ACCESS_LOGGER)
    monkeypatch.setattr(access, "handlers", [logging.NullHandler()])  # leave logging alone
    seen: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.append(options))

    def create_app(settings: object) -> object:
        seen.append(settings)
        return object()

    monkeypatch.setattr("pedall.service.app.create_app", create_app)
    result = CliRunner().invoke(
        main, ["serve", "--allowed-host", "pedall.example.org", "--allowed-host", "kg.local"]
    )
    assert result.exit_code == 0, result.output
    settings = next(item for item in seen if isinstance(item, ServiceSettings))
    assert settings.allowed_hosts == ("pedall.example.org", "kg.local")

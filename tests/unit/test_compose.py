"""docker/compose.yml is valid and agrees with the settings (no docker engine here).

`docker compose config` checks it where the compose plugin is installed; everywhere, the
YAML is parsed and its services, images, variables and ports are checked against
`Settings`, so a renamed setting or a worker pointed at the wrong service fails here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from pipeline.settings import Settings
from pipeline.store.sql import async_url

DOCKER = Path(__file__).parents[2] / "docker"
COMPOSE = DOCKER / "compose.yml"
WORKERS = ("worker-1", "worker-2")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _settings_of(env: dict[str, str]) -> Settings:
    """The Settings a container with this environment reads (pydantic validates each)."""
    fields = {k.removeprefix("NEWSWIRE_").lower(): v for k, v in env.items()}
    unknown = set(fields) - set(Settings.model_fields)
    assert not unknown, f"compose sets variables no setting reads: {sorted(unknown)}"
    return Settings(**fields)


def _host_port(mapping: str) -> tuple[str, int, int]:
    """(host, published, target) of a compose port mapping `[HOST:]PUBLISHED:TARGET`."""
    host, published, target = (
        mapping.rsplit(":", 2) if mapping.count(":") == 2 else ("", *mapping.split(":"))
    )
    return host, int(published), int(target)


def test_docker_compose_config_accepts_it_where_available() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("docker has no compose plugin here; the YAML checks below still run")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_services_and_their_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"kafka", "postgres", *WORKERS, "publisher"}
    assert services["kafka"]["image"] == f"apache/kafka:{Settings().kafka_version}"
    assert services["postgres"]["image"].startswith("postgres:15")
    for name in (*WORKERS, "publisher"):
        build = services[name]["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).is_file()
    assert services["publisher"]["restart"] == "no"  # one-shot
    assert "newswire publish" in " ".join(services["publisher"]["command"])


def test_kafka_is_a_single_kraft_node(compose: dict[str, Any]) -> None:
    env = compose["services"]["kafka"]["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]


def test_the_workers_form_one_group_on_kafka_and_postgres(compose: dict[str, Any]) -> None:
    services = compose["services"]
    postgres = services["postgres"]["environment"]
    seen = []
    for name in WORKERS:
        service = services[name]
        settings = _settings_of(service["environment"])
        seen.append(settings)
        assert settings.kafka_bootstrap == "kafka:9092"
        assert {"kafka", "postgres"} <= set(service["depends_on"])
        url = urlsplit(settings.resolved_store_url)
        assert async_url(settings.resolved_store_url).startswith("postgresql+psycopg://")
        assert (url.hostname, url.port, url.username, url.password, url.path) == (
            "postgres",
            5432,
            postgres["POSTGRES_USER"],
            postgres["POSTGRES_PASSWORD"],
            "/" + postgres["POSTGRES_DB"],
        )
        [port] = service["ports"]
        _host, _published, target = _host_port(port)
        assert target == settings.web_port and settings.web_host == "0.0.0.0"
    assert len({(s.app_id, s.topic_prefix) for s in seen}) == 1, "one consumer group"
    assert seen[0].partitions >= len(WORKERS), "a partition for every worker"
    published = [_host_port(services[n]["ports"][0])[1] for n in WORKERS]
    assert len(set(published)) == len(WORKERS), "each worker's web server on its own host port"


def test_the_publisher_writes_where_the_workers_read(compose: dict[str, Any]) -> None:
    services = compose["services"]
    publisher = _settings_of(services["publisher"]["environment"])
    worker = _settings_of(services["worker-1"]["environment"])
    assert (publisher.kafka_bootstrap, publisher.topic_prefix) == (
        worker.kafka_bootstrap,
        worker.topic_prefix,
    )


def test_the_dockerfile_bakes_the_model_in() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert "-c requirements.lock" in dockerfile
    assert "spacy.load(" in dockerfile  # the build fails if the model is not in the image
    assert 'CMD ["newswire", "worker"]' in dockerfile

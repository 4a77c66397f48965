"""Unit tests of the local broker's pure parts: server.properties and the jar checksums."""

from __future__ import annotations

import base64
import hashlib
import re
import socket
from pathlib import Path

import pytest

from pipeline.broker import (
    PINNED_KAFKA_VERSION,
    POM_DIR,
    BrokerError,
    LocalBroker,
    kafka_libs,
    new_cluster_id,
    render_server_properties,
    verify_jars,
)
from pipeline.settings import BrokerSettings


def _settings(tmp_path: Path, version: str = PINNED_KAFKA_VERSION) -> BrokerSettings:
    return BrokerSettings(
        kafka_version=version,
        cache_dir=tmp_path / "cache",
        host="127.0.0.1",
        port=29092,
        controller_port=29093,
        heap="512m",
        data_dir=tmp_path / "data",
    )


def _parse(text: str) -> dict[str, str]:
    pairs = [ln.split("=", 1) for ln in text.splitlines() if ln and not ln.startswith("#")]
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys: {keys}"
    return dict(pairs)


def _jars(libs: Path, contents: dict[str, bytes]) -> Path:
    """Write jars into `libs` and a SHA256SUMS beside it listing them; return the sums file."""
    libs.mkdir(parents=True)
    lines = []
    for name, data in contents.items():
        (libs / name).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}")
    sums = libs.parent / "SHA256SUMS"
    sums.write_text("\n".join(lines) + "\n")
    return sums


def test_server_properties_single_kraft_node(tmp_path: Path) -> None:
    props = _parse(render_server_properties(_settings(tmp_path), tmp_path / "kraft"))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == f"{props['node.id']}@127.0.0.1:29093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert props["log.dirs"] == str(tmp_path / "kraft")
    # One broker: any internal topic asking for more replicas would never become available.
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor"):
        assert props[key] == "1"
    assert props["auto.create.topics.enable"] == "false"  # only newswire makes topics
    protocols = dict(p.split(":") for p in props["listener.security.protocol.map"].split(","))
    assert protocols.keys() == {"PLAINTEXT", "CONTROLLER"}


def test_verify_jars_accepts_the_listed_set(tmp_path: Path) -> None:
    sums = _jars(tmp_path / "libs", {"a-1.0.jar": b"alpha", "b-2.0.jar": b"beta"})
    verify_jars(tmp_path / "libs", sums)


def test_verify_jars_names_the_file_whose_checksum_differs(tmp_path: Path) -> None:
    sums = _jars(tmp_path / "libs", {"a-1.0.jar": b"alpha", "b-2.0.jar": b"beta"})
    (tmp_path / "libs" / "b-2.0.jar").write_bytes(b"tampered")
    with pytest.raises(BrokerError, match=r"checksum mismatch for b-2\.0\.jar.*delete .* retry"):
        verify_jars(tmp_path / "libs", sums)


def test_verify_jars_refuses_an_unlisted_jar(tmp_path: Path) -> None:
    sums = _jars(tmp_path / "libs", {"a-1.0.jar": b"alpha"})
    (tmp_path / "libs" / "evil-6.6.jar").write_bytes(b"evil")
    with pytest.raises(BrokerError, match=r"not listed .*evil-6\.6\.jar"):
        verify_jars(tmp_path / "libs", sums)


def test_verify_jars_refuses_a_missing_jar(tmp_path: Path) -> None:
    sums = _jars(tmp_path / "libs", {"a-1.0.jar": b"alpha", "b-2.0.jar": b"beta"})
    (tmp_path / "libs" / "a-1.0.jar").unlink()
    with pytest.raises(BrokerError, match=r"missing .*a-1\.0\.jar"):
        verify_jars(tmp_path / "libs", sums)


def test_pinned_version_matches_pom_and_checksums() -> None:
    pom = (POM_DIR / "pom.xml").read_text()
    assert re.search(rf"<kafka\.version>{re.escape(PINNED_KAFKA_VERSION)}</kafka\.version>", pom)
    names = [ln.split()[1] for ln in (POM_DIR / "SHA256SUMS").read_text().splitlines() if ln]
    assert f"kafka_2.13-{PINNED_KAFKA_VERSION}.jar" in names
    assert any(n.startswith("slf4j-simple-") for n in names)  # else the broker logs nothing


def test_cached_jars_are_verified_again(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    libs = settings.cache_dir / "kafka" / PINNED_KAFKA_VERSION / "libs"
    libs.mkdir(parents=True)
    for line in (POM_DIR / "SHA256SUMS").read_text().splitlines():
        (libs / line.split()[1]).write_bytes(b"not the real jar")
    with pytest.raises(BrokerError, match="checksum mismatch"):
        kafka_libs(settings)


def test_missing_maven_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no mvn on it
    with pytest.raises(BrokerError, match=r"mvn not found.*apt-get install maven"):
        kafka_libs(_settings(tmp_path))


def test_start_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        settings = _settings(tmp_path).model_copy(update={"port": port})
        with pytest.raises(BrokerError, match=f"port {port} on 127.0.0.1 is taken"):
            LocalBroker(settings).start(timeout=10)
    assert not settings.data_dir.exists()  # refused before touching anything


def test_cluster_ids_never_start_with_a_dash() -> None:
    # 1 in 64 random ids would; the storage tool then reads the id as an option and fails.
    ids = [new_cluster_id() for _ in range(2_000)]
    assert not [i for i in ids if i.startswith("-")]
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)
    assert len(set(ids)) == len(ids)

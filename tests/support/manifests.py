"""The Kubernetes manifests of deploy/kubernetes/, read as documents, and a folder laid out as
Kubernetes mounts a ConfigMap (tests/test_kubernetes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support import ROOT

KUBERNETES = ROOT / "deploy" / "kubernetes"
KUSTOMIZATION = "kustomization.yaml"
Document = dict[str, Any]


def manifest_files() -> list[Path]:
    """Every Kubernetes manifest (not the kustomizations), the example Secret included."""
    return sorted(p for p in KUBERNETES.rglob("*.yaml") if p.name != KUSTOMIZATION)


def kustomizations() -> list[Path]:
    return sorted(KUBERNETES.rglob(KUSTOMIZATION))


def load(path: Path) -> list[Document]:
    """The YAML documents of `path`."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def one(kind: str) -> Document:
    """The one manifest of `kind` under deploy/kubernetes/."""
    found = [doc for path in manifest_files() for doc in load(path) if doc["kind"] == kind]
    assert len(found) == 1, f"{len(found)} manifests of kind {kind}"
    return found[0]


@dataclass(frozen=True)
class CronJob:
    """A CronJob's file, its document, and the parts the tests read."""

    path: Path
    doc: Document

    @property
    def job(self) -> Document:
        spec: Document = self.doc["spec"]["jobTemplate"]["spec"]
        return spec

    @property
    def pod(self) -> Document:
        spec: Document = self.job["template"]["spec"]
        return spec

    @property
    def container(self) -> Document:
        containers: list[Document] = self.pod["containers"]
        assert len(containers) == 1
        return containers[0]

    def mount(self, volume: str) -> str:
        """Where the container mounts `volume`."""
        (path,) = [m["mountPath"] for m in self.container["volumeMounts"] if m["name"] == volume]
        return str(path)

    def env(self) -> dict[str, str]:
        return {e["name"]: e["value"] for e in self.container.get("env", []) if "value" in e}


def cronjobs() -> list[CronJob]:
    return [
        CronJob(path, doc)
        for path in manifest_files()
        for doc in load(path)
        if doc["kind"] == "CronJob"
    ]


def team_files() -> dict[str, str]:
    """The team configs of the ConfigMap: team id -> config text."""
    data: dict[str, str] = one("ConfigMap")["data"]
    return {key.removesuffix(".yaml"): text for key, text in data.items()}


def mounted_config_map(folder: Path, files: dict[str, str]) -> Path:
    """`folder` holding `files` as a ConfigMap volume does: each file a link through `..data`
    into a timestamped folder (which `*.yaml` does not match)."""
    stamped = folder / "..2026_12_02_02_00_00.000000001"
    stamped.mkdir(parents=True)
    for name, text in files.items():
        (stamped / name).write_text(text)
        (folder / name).symlink_to(Path("..data") / name)
    (folder / "..data").symlink_to(stamped.name)
    return folder

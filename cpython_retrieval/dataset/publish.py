"""Upload a built dataset folder to the Hugging Face Hub as one commit, tagged with pin and generator version.

Tokens come from `HF_TOKEN` or `huggingface-cli login` through huggingface_hub itself; this module
never reads, prints or logs them. `--dry-run` shows exactly the files and commit message it would send.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import RetrievalError
from .store import read_manifest

_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class PublishPlan:
    repo_id: str
    tag: str
    private: bool
    files: tuple[str, ...]  # relative to the folder, sorted: the manifest and the files it lists
    commit_message: str
    left_out: tuple[str, ...] = ()  # other files in the folder, never uploaded

    def describe(self) -> str:
        lines = [f"repo: datasets/{self.repo_id} ({'private' if self.private else 'public'})",
                 f"tag: {self.tag}", f"commit message: {self.commit_message}", f"files ({len(self.files)}):"]
        lines += [f"  {name}" for name in self.files]
        if self.left_out:
            lines.append(f"not uploaded ({len(self.left_out)} file(s) the manifest does not list): "
                         + ", ".join(self.left_out[:10]) + (" ..." if len(self.left_out) > 10 else ""))
        return "\n".join(lines)


def plan_publish(directory: str | Path, repo_id: str, *, revision: str | None = None, private: bool = False) -> PublishPlan:
    """Validate the folder and arguments; everything `publish` will send, without sending it."""
    folder = Path(directory)
    if not _REPO_ID.match(repo_id):
        raise RetrievalError(f"--repo-id {repo_id!r} is not of the form ORG/NAME")
    manifest = read_manifest(folder)  # verifies every listed file: a damaged folder is never published
    listed = {"manifest.json", *manifest["data_files"]}
    needed = {"README.md", "data/contexts.parquet", *(f"data/{t}.parquet" for t in manifest["tiers"])}
    if needed - listed:
        raise RetrievalError(f"{folder} is incomplete (its manifest lists no {', '.join(sorted(needed - listed))}); rebuild it")
    pin = manifest["pin"]["version"]
    generator = manifest["generator_version"]
    tag = revision or f"cpython-{pin}-gen{generator}-seed{manifest['options']['seed']}"
    if not _TAG.match(tag):
        raise RetrievalError(f"--revision {tag!r} is not a valid tag (letters, digits, '.', '_', '-')")
    files = tuple(sorted(listed))
    left_out = tuple(sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                            if p.is_file() and p.relative_to(folder).as_posix() not in listed))
    tiers = ", ".join(manifest["tiers"])
    message = f"cpython-retrieval {generator}: CPython {pin} ({manifest['pin']['tag']}), tiers {tiers}, seed {manifest['options']['seed']}"
    return PublishPlan(repo_id, tag, private, files, message, left_out)


def publish(plan: PublishPlan, directory: str | Path, *, api=None) -> str:
    """Create the repo if needed, upload the folder in one commit, tag it; returns the commit id."""
    if api is None:
        try:
            from huggingface_hub import HfApi
        except ImportError as exc:
            raise RetrievalError("publishing needs huggingface_hub: pip install 'cpython-retrieval[hub]'") from exc
        api = HfApi()
    try:
        api.create_repo(plan.repo_id, repo_type="dataset", private=plan.private, exist_ok=True)
        commit = api.upload_folder(repo_id=plan.repo_id, folder_path=str(directory), repo_type="dataset",
                                   commit_message=plan.commit_message, allow_patterns=list(plan.files))
        api.create_tag(plan.repo_id, tag=plan.tag, repo_type="dataset", revision=commit.oid)
    except RetrievalError:
        raise
    except Exception as exc:  # auth, network, permission: one line, never the token
        detail = _redact((str(exc).splitlines() or [""])[0][:200])
        raise RetrievalError(f"publishing to {plan.repo_id} failed: {type(exc).__name__}: {detail}") from exc
    return commit.oid


def _redact(text: str) -> str:
    """Hide anything token-shaped, and the configured token itself, from an error message."""
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        text = text.replace(token, "***")
    return re.sub(r"hf_[A-Za-z0-9]{6,}", "hf_***", text)

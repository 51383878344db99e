"""The profile: one small JSON file that says where a user's OpenMerit state is, so that every
`merit` command finds the same chain, deployment, API, artifact store and oracle settings.

    {"rpc_url": "http://127.0.0.1:8545",
     "deployment": "/home/me/openmerit/deployments/development.json",
     "api_url": "http://127.0.0.1:8000",
     "artifacts": {"backend": "embedded", "path": "/home/me/openmerit/.cache/demo/artifacts"},
     "oracle_settings": "/home/me/openmerit/.cache/demo/oracle.json"}

Where it is: the file MERIT_PROFILE names (MERIT_PROFILE=none: no profile), else the nearest
`.openmerit/profile.json` in the current folder or a parent (the checkout's, as `merit demo` writes
it), else `~/.openmerit/profile.json`. Every key is optional.

Precedence, for each value: a command-line option, then the environment variable, then the
profile, then the built-in default. The profile fills in the environment variables the commands
already read (MERIT_RPC_URL, MERIT_DEPLOYMENT, MERIT_API_URL, MERIT_ARTIFACTS_*, and
MERIT_ORACLE_CONFIG for the oracle's settings file) where they are not set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

PROFILE_ENV = "MERIT_PROFILE"
PROFILE_NAME = Path(".openmerit") / "profile.json"
DISABLED = ("", "none", "off")


class ProfileError(ValueError):
    """A profile that cannot be read; the message names the file and why."""


class ArtifactsProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["embedded", "kubo"] | None = None
    path: Path | None = None
    kubo_url: str | None = None


class Profile(BaseModel):
    """What a profile may name; paths are best absolute (they are read from any folder)."""

    model_config = ConfigDict(extra="forbid")

    rpc_url: str | None = None
    deployment: Path | None = None
    api_url: str | None = None
    artifacts: ArtifactsProfile | None = None
    oracle_settings: Path | None = None
    written_by: str | None = None

    def environment(self) -> dict[str, str]:
        """The environment variables this profile stands for."""
        values: dict[str, str] = {}
        for key, name in (
            ("rpc_url", "MERIT_RPC_URL"),
            ("deployment", "MERIT_DEPLOYMENT"),
            ("api_url", "MERIT_API_URL"),
            ("oracle_settings", "MERIT_ORACLE_CONFIG"),
        ):
            value = getattr(self, key)
            if value is not None:
                values[name] = str(value)
        if self.artifacts is not None:
            for key in ("backend", "path", "kubo_url"):
                value = getattr(self.artifacts, key)
                if value is not None:
                    values[f"MERIT_ARTIFACTS_{key.upper()}"] = str(value)
        return values


def profile_path(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """The profile in use (see the module docstring), or None when there is none."""
    env = os.environ if environ is None else environ
    named = env.get(PROFILE_ENV)
    if named is not None:
        return None if named.strip().lower() in DISABLED else Path(named).expanduser()
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROFILE_NAME
        if candidate.is_file():
            return candidate
    home = Path.home() / PROFILE_NAME
    return home if home.is_file() else None


def write_path(root: Path, environ: Mapping[str, str] | None = None) -> Path | None:
    """Where a command that makes state (the demo) writes the profile: MERIT_PROFILE's file, else
    `<root>/.openmerit/profile.json`; None when MERIT_PROFILE=none."""
    env = os.environ if environ is None else environ
    named = env.get(PROFILE_ENV)
    if named is not None:
        return None if named.strip().lower() in DISABLED else Path(named).expanduser()
    return root / PROFILE_NAME


def read_profile(path: Path) -> Profile:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProfileError(f"profile {path}: no such file (unset {PROFILE_ENV}, or set it to none)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileError(f"profile {path}: cannot be read ({error})") from None
    except json.JSONDecodeError as error:
        raise ProfileError(f"profile {path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(data, dict):
        raise ProfileError(f"profile {path}: expected a JSON object")
    try:
        return Profile(**data)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(profile)"
        raise ProfileError(f"profile {path}: {key}: {first['msg']}") from None


def load_profile(environ: Mapping[str, str] | None = None) -> tuple[Path, Profile] | None:
    """The profile in use and its path, or None; ProfileError when it cannot be read. A profile
    that MERIT_PROFILE names must exist only when it is read, so that a test or a script may point
    MERIT_PROFILE at a file not yet written."""
    path = profile_path(environ)
    if path is None:
        return None
    if not path.exists() and (os.environ if environ is None else environ).get(PROFILE_ENV) is not None:
        return None
    return path, read_profile(path)


def write_profile(path: Path, profile: Profile) -> Path:
    """Writes the profile (through a temporary file beside it) and returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_text(json.dumps(profile.model_dump(mode="json", exclude_none=True), indent=2) + "\n")
    os.replace(temporary, path)
    return path


@contextmanager
def applied(environ: dict[str, str] | None = None) -> Iterator[tuple[Path, Profile] | None]:
    """Inside, the profile's values stand in the environment for every variable not set already
    (the environment wins over the profile); on leaving, the environment is as it was."""
    env: Any = os.environ if environ is None else environ
    found = load_profile(env)
    added: list[str] = []
    if found is not None:
        for name, value in found[1].environment().items():
            if name not in env:
                env[name] = value
                added.append(name)
    try:
        yield found
    finally:
        for name in added:
            env.pop(name, None)


def describe(environ: Mapping[str, str] | None = None) -> str:
    """One line on where the state is: the profile in use, or that there is none."""
    path = profile_path(environ)
    if path is None or not path.is_file():
        return (
            "profile: none (the built-in defaults and MERIT_* variables; `merit demo` writes one, "
            f"{PROFILE_ENV} names one)"
        )
    try:
        profile = read_profile(path)
    except ProfileError as error:
        return f"profile: {error}"
    by = f", written by {profile.written_by}" if profile.written_by else ""
    return f"profile: state kept in {path}{by}; every merit command uses it (options and MERIT_* variables win)"

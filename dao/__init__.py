"""OpenMerit's shared seams: deployments, proposals, the merkle tree, EIP-712 types, the CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("openmerit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

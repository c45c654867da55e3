"""Fixtures for tests/clients; the helpers live in clientlib.py."""
from .clientlib import docker_archive, husk_bin, rootfs_tar, tmux  # noqa: F401

"""Tests that drive podman, containerd and docker with husk (a package, so its
conftest does not shadow tests/integration/conftest.py as module `conftest`)."""

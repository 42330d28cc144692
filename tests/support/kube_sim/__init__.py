"""A Kubernetes management-cluster simulator for the bridge's tests."""

from .simulator import Simulator  # noqa: F401

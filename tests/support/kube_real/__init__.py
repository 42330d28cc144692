"""A real kube-apiserver (built by tools.mk) for the integration tests."""

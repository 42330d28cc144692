# The operator's path through magnum-api (tests/operator): a venv of
# Magnum 2026.2 with Keystone, the `openstack` CLI and python-magnumclient
# (pinned by the release's constraints), and Debian's RabbitMQ server.
# Included by the top-level Makefile after venvs.mk (release_venv).

OPERATOR_RELEASE := 2026.2
OPERATOR_VENV := $(call release_venv,$(OPERATOR_RELEASE),$(OPERATOR_RELEASE)-operator)
OPERATOR_APT_PACKAGES := rabbitmq-server

$(eval $(call release_venv_rule,$(OPERATOR_RELEASE),$(OPERATOR_RELEASE)-operator))

.PHONY: operator-env
operator-env: $(OPERATOR_VENV)/.installed
	@missing=""; for p in $(OPERATOR_APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

TEST_PREREQS += operator-env
CMAKE_EXTRA_ARGS += -DOPERATOR_VENV=$(OPERATOR_VENV)

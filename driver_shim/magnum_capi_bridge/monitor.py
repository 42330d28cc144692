"""Health of a cluster for Magnum's health polling (`get_monitor`).

Magnum calls `poll_health_status()` and copies `data['health_status']` and
`data['health_status_reason']` into the cluster. The bridge answers from
its watch cache; a failed call leaves the data empty, which Magnum logs and
skips.
"""

from magnum.conductor import monitors

from magnum_capi_bridge import status


class BridgeMonitor(monitors.MonitorBase):

    def __init__(self, context, cluster, fetch_status):
        """`fetch_status()` returns the bridge's ClusterStatus reply."""
        super().__init__(context, cluster)
        self._fetch_status = fetch_status
        self.data = {}

    @property
    def metrics_spec(self):
        return {}

    def pull_data(self):
        self.poll_health_status()

    def poll_health_status(self):
        reply = self._fetch_status()
        health, reasons = status.health(reply)
        self.data["health_status"] = health
        self.data["health_status_reason"] = reasons

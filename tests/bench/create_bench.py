"""Runs create_bench against the simulator with the stand-in chart.

    /usr/bin/python3 tests/bench/create_bench.py [--clusters N]

Starts the Kubernetes simulator on loopback with the stand-in
openstack-cluster chart in a local chart repository, then runs
build/tests/bench/create_bench against it with the real helm binary and
prints its report, followed by the simulator's count of chart downloads.
"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", ".."))

from tests.integration import harness  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="create-bench-") as work:
        charts = os.path.join(work, "charts")
        os.makedirs(charts)
        harness.package_charts(charts, ("0.27.0",))
        # A slow CAPI progression: the bench measures the verbs, not the
        # simulated controllers.
        sim = harness.Simulator(work, step_seconds=30, chart_dir=charts)
        sim.start()
        try:
            bench = os.path.join(harness.BUILD, "tests", "bench",
                                 "create_bench")
            result = subprocess.run(
                [bench, "--kubeconfig", sim.kubeconfig,
                 "--chart-repo", sim.chart_url, "--helm", harness.HELM,
                 "--cache-dir", os.path.join(work, "cache"),
                 "--clusters", str(args.clusters)])
            downloads = sim.chart_downloads()
            print("chart repository downloads seen by the simulator: %s" %
                  (", ".join("%s x%d" % item
                             for item in sorted(downloads.items()))
                   or "none"))
            return result.returncode
        finally:
            sim.stop()


if __name__ == "__main__":
    sys.exit(main())

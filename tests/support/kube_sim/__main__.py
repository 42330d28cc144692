"""Runs the simulator until interrupted.

    python3 -m tests.support.kube_sim --workdir DIR [--step-seconds S]
        [--chart-dir DIR]

Prints one line "kube-sim ready kubeconfig=PATH url=URL [charts=URL]" once
serving; the kubeconfig carries the CA and the bearer token.
"""

import argparse
import signal
import sys

from .simulator import Simulator


def main():
    parser = argparse.ArgumentParser(prog="kube-sim")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--token", default="sim-token")
    parser.add_argument("--step-seconds", type=float, default=1.0)
    parser.add_argument("--chart-dir")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    sim = Simulator(args.workdir, args.token, args.step_seconds,
                    args.chart_dir, verbose=args.verbose).start()
    line = "kube-sim ready kubeconfig=%s url=%s" % (sim.kubeconfig, sim.url)
    if sim.chart_url:
        line += " charts=%s oci=%s" % (sim.chart_url, sim.oci_url)
    print(line, flush=True)
    signal.sigwait([signal.SIGINT, signal.SIGTERM])
    sim.stop()
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM])
    sys.exit(main())

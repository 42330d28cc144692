"""`magnum-capi-bridge-diff`: what the bridge would change in clusters
Magnum already has, before anything is applied.

Run it where magnum-conductor runs (its magnum.conf, database and service
credentials), e.g. before switching clusters created by magnum-capi-helm
over to this driver, or before changing the bridge's configuration:

    magnum-capi-bridge-diff --config-file /etc/magnum/magnum.conf <cluster>...

For each cluster (uuid or name) it builds the spec exactly as the driver's
next verb would, with an admin context, and asks the bridge's DiffCluster:
the chart values and Kubernetes objects that would change, and whether the
verb would be refused. Nothing is created (a server group the cluster lacks
is left out) and nothing is applied. Exit code 0 when no cluster would
change, 1 when one would (or would be refused), 5 when a cluster could not
be compared.
"""

import argparse
import json
import sys

from google.protobuf import json_format

NO_CHANGE, CHANGES, FAILED = 0, 1, 5


def describe(cluster, reply):
    """The text report of one cluster's DiffClusterResponse."""
    lines = ["cluster %s (%s): release %s in namespace %s" % (
        cluster.name, cluster.uuid, reply.release_name, reply.namespace)]
    if reply.deployed_revision:
        lines.append("  deployed revision %d, chart %s, written by %r; "
                     "would apply chart %s" % (
                         reply.deployed_revision,
                         reply.deployed_chart_version, reply.deployed_by,
                         reply.chart_version))
    else:
        lines.append("  not deployed yet; would apply chart %s"
                     % reply.chart_version)
    for change in reply.values:
        lines.append("  value %s: %s -> %s" % (
            change.path, change.deployed_json or "(absent)",
            change.new_json or "(absent)"))
    for obj in reply.objects:
        fields = (" (%s)" % ", ".join(obj.changed_paths)
                  if obj.changed_paths else "")
        lines.append("  %s %s %s%s" % (obj.action, obj.kind, obj.name,
                                       fields))
    for warning in reply.warnings:
        lines.append("  warning: %s: %s" % (warning.field, warning.message))
    if reply.refusal:
        lines.append("  the next verb would be refused: " + reply.refusal)
    if not reply.changed and not reply.refusal:
        lines.append("  no changes")
    return "\n".join(lines)


def run(context, idents, output="text", driver=None, out=sys.stdout):
    """Compares each cluster in `idents`; returns the exit code."""
    from magnum import objects
    from oslo_utils import uuidutils

    from magnum_capi_bridge import driver as driver_module
    driver = driver or driver_module.Driver()
    code = NO_CHANGE
    reports = []
    for ident in idents:
        try:
            cluster = (objects.Cluster.get_by_uuid(context, ident)
                       if uuidutils.is_uuid_like(ident) else
                       objects.Cluster.get_by_name(context, ident))
            reply = driver.diff_cluster(context, cluster)
        except Exception as e:  # one cluster's failure is its own line
            reports.append({"cluster": ident, "error": str(e)})
            if output == "text":
                print("cluster %s: cannot compare: %s" % (ident, e),
                      file=out)
            code = FAILED
            continue
        if reply.changed or reply.refusal:
            code = max(code, CHANGES)
        if output == "json":
            reports.append({"cluster": cluster.uuid,
                            "diff": json_format.MessageToDict(
                                reply, preserving_proto_field_name=True)})
        else:
            print(describe(cluster, reply), file=out)
    if output == "json":
        print(json.dumps(reports, indent=2, sort_keys=True), file=out)
    return code


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="magnum-capi-bridge-diff",
        description="Show what the capi-bridge driver's next verb would "
                    "change in each cluster's helm release (dry run).")
    parser.add_argument("clusters", nargs="+", metavar="CLUSTER",
                        help="cluster uuid or name")
    parser.add_argument("--config-file", action="append", default=[],
                        help="Magnum's config file (repeatable; default: "
                             "oslo.config's search for magnum.conf)")
    parser.add_argument("-o", "--output", choices=("text", "json"),
                        default="text")
    args = parser.parse_args(argv)

    from magnum.common import context as magnum_context
    from magnum.common import service
    import magnum.conf
    from magnum import objects
    from oslo_config import cfg
    from oslo_log import log as oslo_log
    config_args = [parser.prog]
    for path in args.config_file:
        config_args += ["--config-file", path]
    # The report is the tool's standard output (JSON for -o json): Magnum's
    # and the libraries' log lines go to standard error, unless magnum.conf
    # sends them to a file.
    try:
        oslo_log.register_options(magnum.conf.CONF)
    except cfg.DuplicateOptError:
        pass
    magnum.conf.CONF.set_default("use_stderr", True)
    service.prepare_service(config_args)
    # Importing magnum.objects registers Magnum's objects; a Magnum that
    # wants it done by a call offers register_all.
    register = getattr(objects, "register_all", None)
    if register is not None:
        register()
    context = magnum_context.make_admin_context(all_tenants=True)
    return run(context, args.clusters, args.output)


if __name__ == "__main__":
    sys.exit(main())

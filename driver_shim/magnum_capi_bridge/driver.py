"""The Magnum driver: every verb of Magnum's driver contract, answered by
one call to the capi-bridge service.

Each verb resolves the facts only Magnum can reach (OpenStack lookups,
Keystone application credentials, Magnum's cluster CAs), sends one request
and maps the reply back onto Magnum's objects. A bridge error becomes an
exception carrying the bridge's message (see `client`), which Magnum
shows as the status reason. `__init__` and `provides` do nothing remote:
Magnum builds a driver object for every call, in magnum-api too.

Magnum loads every `magnum.drivers` entry point whenever it looks any
driver up, so this module imports only what every supported Magnum has
(2023.1 to master); what some lack (Keystone trusts) is imported where it
is used, and what Magnum does itself is told by its shape, never by its
version number.
"""

import re

from magnum.common import clients
from magnum.common import exception
from magnum.common import short_id
from magnum.conductor.handlers.common import cert_manager
import magnum.conf
from magnum.drivers.common import driver
from magnum.objects import fields
from oslo_log import log as logging

from magnum_capi_bridge import ca_rotation
from magnum_capi_bridge import client
from magnum_capi_bridge import conf
from magnum_capi_bridge import credentials
from magnum_capi_bridge import errors
from magnum_capi_bridge import monitor
from magnum_capi_bridge import facts as facts_resolver
from magnum_capi_bridge import spec as spec_builder
from magnum_capi_bridge import status as status_mapping
from magnum_capi_bridge import sync_guard
from magnum_capi_bridge.pb import driver_pb2

CONF = magnum.conf.CONF
LOG = logging.getLogger(__name__)

Status = fields.ClusterStatus

# Magnum 20.0.0+ has this exception; the shim raises the same on older ones.
MasterSizeInvalid = getattr(exception, "MasterNGSizeInvalid", None)
if MasterSizeInvalid is None:
    class MasterSizeInvalid(exception.InvalidParameterValue):
        message = ("master node count %(requested_size)s is invalid: the "
                   "control plane needs an odd number of nodes, at least 1")


def release_name(cluster):
    """The Helm release name the reference driver would give `cluster`:
    its sanitised name cut to 30 characters, a dash and a short id."""
    base = re.sub(r"[^a-z0-9]+", "-", (cluster.name or "").lower())
    base = base.strip("-")[:30].strip("-") or "cluster"
    return "%s-%s" % (base, short_id.generate_id())


def magnum_cleans_up(what):
    """True when Magnum's own status sync deletes `what` ("trust_manager":
    the cluster's trust and trustee, "cert_manager": its certificates) at
    DELETE_COMPLETE. Magnum 18.0.0 moved both there; master has no
    trusts and keeps the certificates there."""
    from magnum.service import periodic
    return hasattr(periodic, what)


def trust_manager():
    """Magnum's trust manager, or None where Magnum has no trusts."""
    try:
        from magnum.conductor.handlers.common import trust_manager
    except ImportError:
        return None
    return trust_manager


class Driver(driver.Driver):
    """Magnum driver `k8s_capi_bridge_v1`."""

    # Clusters authenticate with application credentials, never with a
    # Keystone trust (Magnum releases that have trusts read this).
    needs_trust = False

    @property
    def provides(self):
        return [
            {"server_type": "vm", "os": "ubuntu", "coe": "kubernetes"},
            {"server_type": "vm", "os": "flatcar", "coe": "kubernetes"},
        ]

    # ---- plumbing --------------------------------------------------------

    @property
    def _opts(self):
        return getattr(CONF, conf.GROUP)

    def _call(self, context, verb, request, timeout):
        """Calls the bridge; `context`'s request id (if any) goes along."""
        return client.call(self._opts, verb, request, timeout,
                           request_id=getattr(context, "request_id", None))

    def _spec(self, context, cluster, template=None, nodegroups=None,
              with_facts=True, create_timeout=None, create_missing=True):
        template = template or cluster.cluster_template
        if nodegroups is None:
            nodegroups = list(cluster.nodegroups)
        facts = (facts_resolver.resolve_facts(context, cluster, template,
                                              nodegroups, create_missing)
                 if with_facts else None)
        return spec_builder.build_spec(cluster, template, nodegroups, facts,
                                       create_timeout)

    def _ensure_release_name(self, cluster):
        """Names the release once and saves it before any use, so a retry
        or a delete after a failed create finds the same release."""
        if not cluster.stack_id:
            cluster.stack_id = release_name(cluster)
            cluster.save()

    @staticmethod
    def _record_release(cluster, reply):
        if reply.release_name and cluster.stack_id != reply.release_name:
            cluster.stack_id = reply.release_name
            cluster.save()
        if reply.recovery:
            LOG.warning("Cluster %s: %s", cluster.uuid, reply.recovery)
        for warning in reply.warnings:
            LOG.warning("Cluster %s: %s: %s", cluster.uuid, warning.field,
                        warning.message)

    @staticmethod
    def _forget_unused(cluster, material, error, user):
        """Deletes the application credential made for a call the bridge
        refused (it wrote it nowhere). After any other failure the bridge
        may have stored it for the cluster's services, so it stays: the
        cluster's delete or the next rotation removes it."""
        if client.applied_nothing(error):
            credentials.delete(cluster, [material.application_credential_id],
                               user=user)
        else:
            LOG.warning("Cluster %s: application credential %s kept: the "
                        "bridge may have applied it before the call failed",
                        cluster.uuid, material.application_credential_id)

    @staticmethod
    def _in_progress(cluster):
        """Saves the cluster UPDATE_IN_PROGRESS before a scaling verb calls
        the bridge. Magnum saves that only once the driver has returned, so
        until then `cluster show` read the old *_COMPLETE beside the new
        node count. A status sync meanwhile leaves it in progress: its
        group is in progress too."""
        cluster.status = Status.UPDATE_IN_PROGRESS
        cluster.status_reason = None
        cluster.save()

    @staticmethod
    def _mark(nodegroups, state):
        for ng in nodegroups:
            ng.status = state
            ng.save()

    # ---- cluster verbs ---------------------------------------------------

    @errors.magnum_errors
    def create_cluster(self, context, cluster, cluster_create_timeout):
        self._ensure_release_name(cluster)
        spec = self._spec(context, cluster,
                          create_timeout=cluster_create_timeout)
        ca_certificates = credentials.ca_certificates(context, cluster)
        material = credentials.create(context, cluster)
        request = driver_pb2.CreateClusterRequest(
            spec=spec, credential=material, ca_certificates=ca_certificates)
        try:
            reply = self._call(context, "CreateCluster", request,
                               self._opts.call_timeout)
        except Exception as e:
            self._forget_unused(cluster, material, e, context.user_id)
            raise
        self._record_release(cluster, reply)

    @errors.magnum_errors
    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        # Magnum changed the default worker's node_count; mark the group in
        # progress so the status sync waits for the new count.
        worker = cluster.default_ng_worker
        if worker is not None:
            self._mark([worker], Status.UPDATE_IN_PROGRESS)
        self._in_progress(cluster)
        try:
            request = driver_pb2.UpdateClusterRequest(
                spec=self._spec(context, cluster))
            reply = self._call(context, "UpdateCluster", request,
                               self._opts.call_timeout)
        except Exception as e:
            if worker is not None:
                worker.status = Status.UPDATE_FAILED
                worker.status_reason = str(e)
                worker.save()
            raise
        self._record_release(cluster, reply)

    @errors.magnum_errors
    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        nodegroup = nodegroup or cluster.default_ng_worker
        self._in_progress(cluster)
        request = driver_pb2.ResizeClusterRequest(
            spec=self._spec(context, cluster), node_group=nodegroup.name,
            nodes_to_remove=list(nodes_to_remove or []))
        self._record_release(cluster, self._call(
            context, "ResizeCluster", request, self._opts.call_timeout))

    @errors.magnum_errors
    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        # Magnum passes `rollback` positionally into `scale_manager`; both
        # are unused. A default group upgrades the whole cluster.
        whole = nodegroup is None or nodegroup.is_default
        nodegroups = list(cluster.nodegroups)
        targets = (nodegroups if whole else
                   [ng for ng in nodegroups if ng.uuid == nodegroup.uuid])
        # As Magnum's own drivers do: the groups move to the new template's
        # image and kube_tag; everything else keeps its labels.
        old_image = cluster.cluster_template.image_id
        new_tag = (cluster_template.labels or {}).get("kube_tag")
        changes = []
        for ng in targets:
            if not ng.image_id or ng.image_id == old_image:
                changes.append((ng, "image_id", cluster_template.image_id))
            if new_tag:
                changes.append((ng, "labels",
                                dict(ng.labels or {}, kube_tag=new_tag)))
        if whole and new_tag:
            changes.append((cluster, "labels",
                            dict(cluster.labels or {}, kube_tag=new_tag)))
        previous = [(obj, name, getattr(obj, name))
                    for obj, name, _ in changes]
        for obj, name, value in changes:
            setattr(obj, name, value)
        try:
            spec = self._spec(context, cluster, template=cluster_template,
                              nodegroups=nodegroups)
            request = driver_pb2.UpgradeClusterRequest(
                spec=spec, node_group="" if whole else nodegroup.name,
                max_batch_size=int(max_batch_size or 0))
            reply = self._call(context, "UpgradeCluster", request,
                               self._opts.sync_call_timeout)
        except Exception:
            # A refused upgrade changes nothing (Magnum saves the cluster
            # object it passed us after a failure).
            for obj, name, value in previous:
                setattr(obj, name, value)
            raise
        self._mark(targets, Status.UPDATE_IN_PROGRESS)
        if whole:
            cluster.cluster_template_id = cluster_template.uuid
        cluster.status = Status.UPDATE_IN_PROGRESS
        cluster.save()
        self._record_release(cluster, reply)

    @errors.magnum_errors
    def delete_cluster(self, context, cluster):
        # Every group first: a status sync may run while this call does.
        self._mark(cluster.nodegroups, Status.DELETE_IN_PROGRESS)
        if not cluster.stack_id:
            LOG.info("Cluster %s has no release; nothing to delete in the "
                     "management cluster", cluster.uuid)
            return
        request = driver_pb2.DeleteClusterRequest(
            spec=self._spec(context, cluster, with_facts=False))
        self._call(context, "DeleteCluster", request,
                   self._opts.call_timeout)

    # ---- node-group verbs ------------------------------------------------

    def _node_group_verb(self, verb, context, cluster, nodegroup, state):
        # Magnum marked the cluster UPDATE_IN_PROGRESS before calling us;
        # the group is marked first, so a status sync from now on waits
        # for the group's own operation.
        nodegroup.status = state
        nodegroup.save()
        nodegroups = [ng for ng in cluster.nodegroups
                      if ng.uuid != nodegroup.uuid] + [nodegroup]
        request = driver_pb2.NodeGroupRequest(
            spec=self._spec(context, cluster, nodegroups=nodegroups),
            node_group=nodegroup.name)
        reply = self._call(context, verb, request, self._opts.call_timeout)
        # A status sync that ran between Magnum's marking and the group's
        # (it saw nothing to wait for) may have completed the cluster:
        # the verb is now applied, so the cluster is in progress again and
        # the next sync follows the group to its end.
        cluster.status = Status.UPDATE_IN_PROGRESS
        cluster.save()
        self._record_release(cluster, reply)

    @errors.magnum_errors
    def create_nodegroup(self, context, cluster, nodegroup):
        self._node_group_verb("CreateNodeGroup", context, cluster, nodegroup,
                              Status.CREATE_IN_PROGRESS)

    @errors.magnum_errors
    def update_nodegroup(self, context, cluster, nodegroup):
        self._node_group_verb("UpdateNodeGroup", context, cluster, nodegroup,
                              Status.UPDATE_IN_PROGRESS)

    @errors.magnum_errors
    def delete_nodegroup(self, context, cluster, nodegroup):
        self._node_group_verb("DeleteNodeGroup", context, cluster, nodegroup,
                              Status.DELETE_IN_PROGRESS)

    # ---- status and health -----------------------------------------------

    def _status(self, cluster, nodegroups):
        request = driver_pb2.GetClusterStatusRequest(
            spec=spec_builder.status_spec(cluster, nodegroups),
            current_status=cluster.status)
        return self._call(None, "GetClusterStatus", request,
                          self._opts.status_timeout)

    def update_cluster_status(self, context, cluster, use_admin_ctx=False):
        with sync_guard.claim(cluster.uuid) as mine:
            if not mine:
                # Magnum started this period's job while the previous one
                # (e.g. a clean-up after delete) still runs: that one
                # finishes the cluster; this one leaves it as it is.
                LOG.debug("Cluster %s: a status sync is already running",
                          cluster.uuid)
                return
            try:
                self._sync_status(context, cluster)
            except exception.ClusterNotFound:
                # Deleted meanwhile (by another conductor's sync): nothing
                # is left to update, and Magnum must not delete it again.
                LOG.info("Cluster %s is gone; status sync ends",
                         cluster.uuid)
                cluster.obj_reset_changes()
                cluster.status = Status.DELETE_IN_PROGRESS
                cluster.obj_reset_changes(["status"])

    def _sync_status(self, context, cluster):
        if not cluster.stack_id:
            # Nothing was ever applied (the create failed before naming a
            # release): a delete has nothing to wait for in the management
            # cluster.
            if cluster.status == Status.DELETE_IN_PROGRESS:
                self._finish_delete(context, cluster, driver_pb2.ClusterStatus(
                    status=driver_pb2.DELETE_COMPLETE))
                cluster.save()
            return
        nodegroups = list(cluster.nodegroups)
        reply = self._status(cluster, nodegroups)
        status_mapping.apply_node_groups(cluster, nodegroups, reply)
        if (status_mapping.status_name(reply.status) ==
                Status.DELETE_COMPLETE):
            self._finish_delete(context, cluster, reply)
        else:
            self._hold_for_marked_groups(context, cluster, reply)
            status_mapping.apply_cluster(cluster, reply)
        if cluster.obj_what_changed():
            cluster.save()

    @staticmethod
    def _hold_for_marked_groups(context, cluster, reply):
        """Never completes a cluster under a node group in progress: a verb
        may have marked a group after this sync read the groups (the reply
        then speaks of the state before that verb). Costs one read, and
        only when the reply would complete the cluster (of the groups in
        progress only: usually none, so no object is built)."""
        wanted = status_mapping.status_name(reply.status) or ""
        if not (wanted.endswith("_COMPLETE") and
                cluster.status.endswith("_IN_PROGRESS")):
            return
        from magnum import objects
        busy = objects.NodeGroup.list(
            context, cluster.uuid,
            filters={"status": status_mapping.IN_PROGRESS})
        if busy:
            reply.status = driver_pb2.Status.Value(cluster.status)
            reply.status_reason = "waiting for " + "; ".join(
                "node group %s (%s)" % (ng.name, ng.status) for ng in busy)

    def _finish_delete(self, context, cluster, reply):
        """`reply` says the management cluster's objects are gone: deletes
        what the cluster had in OpenStack and applies `reply`. Only when
        nothing is left does Magnum see DELETE_COMPLETE (and drop its rows);
        otherwise the cluster stays DELETE_IN_PROGRESS, the reason names
        what is left, and the next status sync tries again. Nothing leaks
        silently. Raises ClusterNotFound when another conductor finished
        the cluster first."""
        from magnum import objects
        objects.Cluster.get_by_uuid(context, cluster.uuid)
        problems = self._clean_up_after_delete(context, cluster)
        if problems:
            reply.status = driver_pb2.DELETE_IN_PROGRESS
            reply.status_reason = "; ".join(
                ([reply.status_reason] if reply.status_reason else []) +
                ["not yet deleted in OpenStack, retried at the next status "
                 "sync: " + "; ".join(problems)])
        status_mapping.apply_cluster(cluster, reply)

    def _clean_up_after_delete(self, context, cluster):
        """Deletes what must go with the cluster besides the management
        cluster's objects; returns what could not be deleted."""
        problems = [p for p in (credentials.delete(cluster),
                                self._delete_server_groups(context, cluster))
                    if p]
        if not problems:
            # Last, and once: Magnum logs a failure for certificates that
            # are already gone.
            problems = [p for p in (self._delete_trust_and_certificates(
                context, cluster),) if p]
        return problems

    @staticmethod
    def _delete_server_groups(context, cluster):
        try:
            facts_resolver.delete_server_groups(context, cluster)
        except Exception as e:
            LOG.warning("Cluster %s: server groups not deleted: %s",
                        cluster.uuid, e)
            return "server groups not deleted: %s" % e
        return ""

    @staticmethod
    def _delete_trust_and_certificates(context, cluster):
        """What Magnum before 18.0.0 left to its Heat driver."""
        trusts = trust_manager()
        try:
            if trusts is not None and not magnum_cleans_up("trust_manager"):
                trusts.delete_trustee_and_trust(
                    clients.OpenStackClients(context), context, cluster)
            if not magnum_cleans_up("cert_manager"):
                cert_manager.delete_certificates_from_cluster(
                    cluster, context=context)
        except Exception as e:
            LOG.warning("Cluster %s: trust or certificates not deleted: %s",
                        cluster.uuid, e)
            return "trust or certificates not deleted: %s" % e
        return ""

    def get_monitor(self, context, cluster):
        if not cluster.stack_id:
            return None
        return monitor.BridgeMonitor(
            context, cluster,
            lambda: self._status(cluster, list(cluster.nodegroups)))

    def diff_cluster(self, context, cluster):
        """What the next verb on `cluster` would change in its release (a
        DiffClusterResponse), from the spec the driver would send now.
        Creates nothing, in OpenStack or in the management cluster. Not a
        Magnum verb: magnum-capi-bridge-diff calls it."""
        request = driver_pb2.DiffClusterRequest(
            spec=self._spec(context, cluster, create_missing=False))
        return self._call(context, "DiffCluster", request,
                          self._opts.call_timeout)

    # ---- credentials -----------------------------------------------------

    @errors.magnum_errors
    def rotate_credential(self, context, cluster):
        # The caller becomes the owner of the new credential; nothing of
        # the cluster changes before Keystone made it.
        material = credentials.create(context, cluster)
        old_user = cluster.user_id
        cluster.user_id = context.user_id
        request = driver_pb2.RotateCredentialRequest(
            spec=self._spec(context, cluster, with_facts=False),
            credential=material)
        try:
            reply = self._call(context, "RotateCredential", request,
                               self._opts.sync_call_timeout)
        except Exception as e:
            cluster.user_id = old_user
            self._forget_unused(cluster, material, e, context.user_id)
            raise
        problem = ""
        if reply.replaced_credential_id and (
                reply.replaced_credential_id !=
                material.application_credential_id):
            # The replaced credential is the previous owner's.
            problem = credentials.delete(
                cluster, [reply.replaced_credential_id], user=old_user)
        if not cluster.status.endswith("_IN_PROGRESS"):
            cluster.status = Status.UPDATE_COMPLETE
        cluster.status_reason = problem or None
        cluster.save()

    @errors.magnum_errors
    def rotate_ca_certificate(self, context, cluster):
        # Refused, with everything Magnum did before calling us undone.
        ca_rotation.refuse(context, cluster)

    # ---- checks Magnum's API asks for --------------------------------------

    def validate_master_size(self, node_count):
        if node_count < 1 or node_count % 2 == 0:
            raise MasterSizeInvalid(requested_size=node_count)

    def validate_master_resize(self, node_count):
        self.validate_master_size(node_count)

    # ---- not offered -----------------------------------------------------

    def create_federation(self, context, federation):
        raise NotImplementedError("capi-bridge does not manage federations")

    def update_federation(self, context, federation):
        raise NotImplementedError("capi-bridge does not manage federations")

    def delete_federation(self, context, federation):
        raise NotImplementedError("capi-bridge does not manage federations")

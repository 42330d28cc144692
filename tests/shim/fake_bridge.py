"""An in-process ClusterDriver servicer standing in for the bridge.

It records every request, remembers each cluster's node groups, answers
status calls the way the bridge's rules do when everything is running
(in-progress operations complete, deleted groups report DELETE_COMPLETE),
and lets a test script failures: an error code for a verb, a status to
report, a delay before answering, or an answer held until a file exists.
"""

from concurrent import futures
import os
import threading
import time

import grpc

from magnum_capi_bridge.pb import driver_pb2
from magnum_capi_bridge.pb import driver_pb2_grpc

OUTCOME = {"CREATE_IN_PROGRESS": driver_pb2.CREATE_COMPLETE,
           "UPDATE_IN_PROGRESS": driver_pb2.UPDATE_COMPLETE,
           "DELETE_IN_PROGRESS": driver_pb2.DELETE_COMPLETE}


class FakeBridge(driver_pb2_grpc.ClusterDriverServicer):

    def __init__(self):
        self.requests = []          # (verb, request) in arrival order
        self.errors = {}            # verb -> (grpc.StatusCode, message)
        self.delay = {}             # verb -> seconds
        # verb -> (path, bound seconds): the answer waits until the file
        # exists, or the bound passed; each wait is recorded in `releases`
        # as "file" or "bound".
        self.hold = {}
        self.releases = []
        self.status_override = {}   # cluster uuid -> ClusterStatus
        self.deleted = set()        # cluster uuids deleted
        self.credentials = {}       # cluster uuid -> credential id
        self.metadata = {}          # verb -> metadata of its last call
        # verb -> callable run as the call arrives (in a server thread)
        self.on_call = {}
        self.lock = threading.Lock()
        self.server = grpc.server(futures.ThreadPoolExecutor(8))
        driver_pb2_grpc.add_ClusterDriverServicer_to_server(self,
                                                            self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.address = "127.0.0.1:%d" % port
        self.server.start()

    def stop(self):
        self.server.stop(0)

    def verbs(self):
        with self.lock:
            return [verb for verb, _ in self.requests]

    def last(self, verb):
        with self.lock:
            for name, request in reversed(self.requests):
                if name == verb:
                    return request
        raise AssertionError("the bridge never received %s" % verb)

    def _enter(self, verb, request, context):
        with self.lock:
            self.requests.append((verb, request))
            self.metadata[verb] = dict(context.invocation_metadata())
            error = self.errors.get(verb)
            delay = self.delay.get(verb, 0)
            hold = self.hold.get(verb)
            on_call = self.on_call.get(verb)
        if on_call:
            on_call()
        if delay:
            time.sleep(delay)
        if hold:
            path, bound = hold
            end = time.monotonic() + bound
            while not os.path.exists(path) and time.monotonic() < end:
                time.sleep(0.01)
            with self.lock:
                self.releases.append(
                    "file" if os.path.exists(path) else "bound")
        if error:
            context.abort(error[0], error[1])

    def _operation(self, verb, request, context):
        self._enter(verb, request, context)
        spec = request.spec
        return driver_pb2.OperationResponse(
            release_name=spec.cluster.stack_id or "generated-release",
            namespace="magnum-" + spec.cluster.project_id)

    def CreateCluster(self, request, context):
        reply = self._operation("CreateCluster", request, context)
        with self.lock:
            self.credentials[request.spec.cluster.uuid] = (
                request.credential.application_credential_id)
        return reply

    def UpdateCluster(self, request, context):
        return self._operation("UpdateCluster", request, context)

    def ResizeCluster(self, request, context):
        return self._operation("ResizeCluster", request, context)

    def UpgradeCluster(self, request, context):
        return self._operation("UpgradeCluster", request, context)

    def DeleteCluster(self, request, context):
        reply = self._operation("DeleteCluster", request, context)
        with self.lock:
            self.deleted.add(request.spec.cluster.uuid)
        return reply

    def CreateNodeGroup(self, request, context):
        return self._operation("CreateNodeGroup", request, context)

    def UpdateNodeGroup(self, request, context):
        return self._operation("UpdateNodeGroup", request, context)

    def DeleteNodeGroup(self, request, context):
        return self._operation("DeleteNodeGroup", request, context)

    def RotateCredential(self, request, context):
        reply = self._operation("RotateCredential", request, context)
        with self.lock:
            uuid = request.spec.cluster.uuid
            reply.replaced_credential_id = self.credentials.get(uuid, "")
            self.credentials[uuid] = (
                request.credential.application_credential_id)
        return reply

    def GetClusterStatus(self, request, context):
        self._enter("GetClusterStatus", request, context)
        spec = request.spec
        with self.lock:
            override = self.status_override.get(spec.cluster.uuid)
        if override is not None:
            return override
        reply = driver_pb2.ClusterStatus(
            api_address="https://203.0.113.10:6443", coe_version="v1.33.4",
            health_status=driver_pb2.HEALTHY,
            health_status_reason={"cluster": "Ready",
                                  "infrastructure": "Ready",
                                  "controlplane": "Ready",
                                  "nodegroup": "Ready"})
        current = request.current_status
        reply.status = OUTCOME.get(current, driver_pb2.STATUS_UNSPECIFIED)
        if reply.status == driver_pb2.STATUS_UNSPECIFIED:
            if current not in driver_pb2.Status.keys():
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              "current_status %r is not a Magnum status" %
                              current)
            reply.status = driver_pb2.Status.Value(current)
        for number, ng in enumerate(spec.node_groups):
            group = reply.node_groups.add(name=ng.name, present=True,
                                          ready_nodes=ng.node_count,
                                          desired_nodes=ng.node_count)
            group.status = OUTCOME.get(ng.status,
                                       driver_pb2.STATUS_UNSPECIFIED)
            if ng.status.startswith("DELETE_"):
                group.present = False
                group.ready_nodes = group.desired_nodes = 0
            for i in range(group.ready_nodes):
                address = "10.0.%d.%d" % (number, i + 10)
                group.node_addresses.append(address)
        return reply

    def WatchClusterStatus(self, request, context):
        yield self.GetClusterStatus(request, context)

    def RenderValues(self, request, context):
        self._enter("RenderValues", request, context)
        return driver_pb2.RenderValuesResponse(values_yaml="{}\n")

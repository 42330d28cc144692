"""Magnum driver for the capi-bridge service (entry point k8s_capi_bridge_v1).

grpc, protobuf and the generated stubs (`magnum_capi_bridge.pb`) are loaded
here, before any module of the package can import them, so that inside
eventlet's monkey-patched conductor they get real threads (see `green`).
"""

from magnum_capi_bridge import green

green.load_grpc("magnum_capi_bridge.pb.cluster_spec_pb2",
                "magnum_capi_bridge.pb.driver_pb2",
                "magnum_capi_bridge.pb.driver_pb2_grpc")

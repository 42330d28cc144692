"""Magnum driver for the capi-bridge service (entry point k8s_capi_bridge_v1).

The generated gRPC stubs of the bridge contract are committed in
`magnum_capi_bridge.pb` (see driver_shim/gen_stubs.py).
"""

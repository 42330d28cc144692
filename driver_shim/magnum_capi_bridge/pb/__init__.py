"""gRPC stubs of the bridge contract, generated from proto/."""

"""Magnum driver for the capi-bridge service (entry point k8s_capi_bridge_v1).

The generated gRPC stubs (`magnum_capi_bridge.pb`) are built from proto/ by
the build into its Python output directory; in a source checkout that
directory is a second portion of this package, joined here.  An installed
package holds both in one directory and the join changes nothing.
"""

import pkgutil

__path__ = pkgutil.extend_path(__path__, __name__)

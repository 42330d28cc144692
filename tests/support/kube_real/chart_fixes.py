"""The stand-in chart (tests/support/charts/openstack-cluster) as the real
CRDs accept it.

A real API server validates what the chart writes against the CRDs, and
the stand-in chart writes two things the real openstack-cluster chart
does not and the CRDs refuse:

- OpenStackMachineTemplate `spec.template.spec.image` as a string (the
  image id). CAPO's v1beta1 API takes an ImageParam object; the real chart
  writes `image: {id: <machineImageId>}`.
- HelmRelease without `spec.chart`, which the addon provider's CRD
  requires (repo, name, version); the real chart names each addon's chart.

Until the stand-in chart itself is corrected, the real-API suites package
a copy with these two corrections. Each is applied only where the old
text is still there, so a corrected chart needs nothing from here. Object
names are unchanged (the machine-template hash is still taken from the
same values).
"""

import os
import shutil

FIXES = [
    # The OpenStackMachineTemplates: image as CAPO's ImageParam.
    ("templates/control-plane.yaml",
     "    spec: {{ toJson $machineSpec }}",
     "    spec: {{ toJson (merge (dict \"image\" (dict \"id\" "
     "$machineSpec.image)) (omit $machineSpec \"image\")) }}"),
    ("templates/node-groups.yaml",
     "    spec: {{ toJson $machineSpec }}",
     "    spec: {{ toJson (merge (dict \"image\" (dict \"id\" "
     "$machineSpec.image)) (omit $machineSpec \"image\")) }}"),
    # The HelmReleases: the chart each addon installs.
    ("templates/addons.yaml",
     "  targetNamespace: kube-system\n",
     "  targetNamespace: kube-system\n"
     "  chart:\n"
     "    repo: https://charts.invalid/{{ . }}\n"
     "    name: {{ . }}\n"
     "    version: 1.0.0\n"),
]


def corrected_copy(chart, destination):
    """Copies `chart` to `destination` with FIXES applied; returns the
    copy's path and the fixes that applied."""
    target = os.path.join(destination, os.path.basename(chart))
    shutil.copytree(chart, target)
    applied = []
    for path, old, new in FIXES:
        full = os.path.join(target, path)
        with open(full) as f:
            text = f.read()
        if old in text:
            with open(full, "w") as f:
                f.write(text.replace(old, new))
            applied.append(path)
    return target, applied

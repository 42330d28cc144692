{{- define "sim.clusterName" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /* The labels openstack-cluster puts on its objects: no
cluster.x-k8s.io/cluster-name (CAPI adds that one to some kinds). */ -}}
{{- define "sim.labels" -}}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
capi.stackhpc.com/managed-by: {{ .Release.Service }}
capi.stackhpc.com/infrastructure-provider: openstack
capi.stackhpc.com/cluster: {{ include "sim.clusterName" . }}
{{- end -}}

{{- define "sim.required" -}}
{{- $ := index . 0 -}}{{- $path := index . 1 -}}{{- $value := index . 2 -}}
{{- if not $value -}}{{- fail (printf "%s is required" $path) -}}{{- end -}}
{{- end -}}

{{- /* An OpenStackMachineTemplate's spec.template.spec from the stand-in's
machine settings (flavor, image id, SSH key): the image as CAPO's v1beta1
ImageParam, `{id: <machineImageId>}`, as openstack-cluster writes it. */ -}}
{{- define "sim.machineSpec" -}}
{{- toJson (merge (dict "image" (dict "id" .image)) (omit . "image")) -}}
{{- end -}}

{{- /* A HelmRelease's spec.chart (required by the addon provider's CRD):
the chart openstack-cluster installs for each addon, from a placeholder
repository (the played addon provider installs nothing). */ -}}
{{- define "sim.addonChart" -}}
{{- $charts := dict
  "cni-calico" "tigera-operator"
  "cni-cilium" "cilium"
  "ccm-openstack" "openstack-cloud-controller-manager"
  "csi-cinder" "openstack-cinder-csi"
  "kube-prometheus-stack" "kube-prometheus-stack"
  "ingress-nginx" "ingress-nginx" -}}
repo: https://charts.invalid/{{ . }}
name: {{ get $charts . | default . }}
version: 1.0.0
{{- end -}}

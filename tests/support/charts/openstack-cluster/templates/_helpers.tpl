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

{{- define "sim.clusterName" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sim.labels" -}}
capi.stackhpc.com/cluster: {{ include "sim.clusterName" . }}
cluster.x-k8s.io/cluster-name: {{ include "sim.clusterName" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "sim.required" -}}
{{- $ := index . 0 -}}{{- $path := index . 1 -}}{{- $value := index . 2 -}}
{{- if not $value -}}{{- fail (printf "%s is required" $path) -}}{{- end -}}
{{- end -}}

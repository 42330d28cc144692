{{/* Names and labels shared by every object of the chart. */}}

{{- define "capi-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "capi-bridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "capi-bridge.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "capi-bridge.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "capi-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "capi-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "capi-bridge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "capi-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "capi-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "capi-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The bridge's ServiceAccount as the subject of a binding. */}}
{{- define "capi-bridge.subjects" -}}
- kind: ServiceAccount
  name: {{ include "capi-bridge.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}

{{/* The bridge's config file: the operator's keys, then what the chart
     owns (ports, TLS, token, cache, logs), which always win. */}}
{{- define "capi-bridge.config" -}}
{{- $owned := dict
  "listen" (printf "0.0.0.0:%d" (int .Values.grpc.port))
  "ops_listen" (printf "0.0.0.0:%d" (int .Values.ops.port))
  "shutdown_grace_seconds" (int .Values.shutdownGraceSeconds)
  "log" (dict "format" .Values.log.format "level" .Values.log.level)
  "tls" (dict "cert_file" "/etc/capi-bridge/tls/tls.crt" "key_file" "/etc/capi-bridge/tls/tls.key")
-}}
{{- if .Values.tls.clientCASecretName }}
{{- $_ := set $owned.tls "client_ca_file" "/etc/capi-bridge/client-ca/ca.crt" }}
{{- end }}
{{- if .Values.auth.tokenSecretName }}
{{- $_ := set $owned "auth" (dict "token_file" "/etc/capi-bridge/token/token") }}
{{- end }}
{{- $config := deepCopy (default dict .Values.config) }}
{{- $helm := merge (dict "cache_dir" "/var/cache/capi-bridge") (default dict $config.helm) }}
{{- $_ := set $helm "cache_dir" "/var/cache/capi-bridge" }}
{{- $_ := set $config "helm" $helm }}
{{- toYaml (mergeOverwrite $config $owned) }}
{{- end }}

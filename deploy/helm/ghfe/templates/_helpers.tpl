{{- define "ghfe.name" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ghfe.labels" -}}
app.kubernetes.io/name: ghfe
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ghfe.selector" -}}
app.kubernetes.io/name: ghfe
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ghfe.secret" -}}
{{- default (printf "%s-secrets" (include "ghfe.name" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "ghfe.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The environment every ghfe container gets. */}}
{{- define "ghfe.env" -}}
- name: PROD
  value: {{ ternary "true" "false" (eq .Values.deployment "production") | quote }}
{{- with .Values.apps.orgId }}
- name: GHFE__GITHUB__APPS__ORG__ID
  value: {{ . | quote }}
{{- end }}
{{- with .Values.apps.personalId }}
- name: GHFE__GITHUB__APPS__PERSONAL__ID
  value: {{ . | quote }}
{{- end }}
{{- range $name, $value := .Values.extraEnv }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "ghfe.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

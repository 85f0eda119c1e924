{{/* Base name of every object: the release name, or <release>-chorus when it does not mention chorus. */}}
{{- define "chorus.fullname" -}}
{{- if contains "chorus" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-chorus" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "chorus.labels" -}}
app.kubernetes.io/name: chorus
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: chorus
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "chat-server"). */}}
{{- define "chorus.selectorLabels" -}}
app.kubernetes.io/name: chorus
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "chorus.componentLabels" -}}
{{ include "chorus.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "chorus.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "chorus.configName" -}}{{ include "chorus.fullname" . }}-config{{- end -}}
{{- define "chorus.serviceAccountName" -}}{{ include "chorus.fullname" . }}{{- end -}}
{{- define "chorus.chatServerServiceAccountName" -}}{{ include "chorus.fullname" . }}-chat-server{{- end -}}

{{/* The chat-server's grace period covers the preStop pause, the whole drain window and the shutdown. */}}
{{- define "chorus.chatServerGracePeriod" -}}
{{- $drainMs := atoi (toString .Values.config.DRAIN_WINDOW_MS) -}}
{{- add .Values.chatServer.preStopSleepSeconds (div (add $drainMs 999) 1000) .Values.chatServer.shutdownGraceSeconds -}}
{{- end -}}

{{/* Secret-sourced variables, shared by every Chorus container. */}}
{{- define "chorus.secretEnv" -}}
- name: JWT_SECRET
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.name }}, key: JWT_SECRET}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.name }}, key: DATABASE_URL}
- name: REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.name }}, key: REDIS_URL}
- name: FCM_SERVICE_ACCOUNT_JSON
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.name }}, key: FCM_SERVICE_ACCOUNT_JSON, optional: true}
# Object-storage credentials; absent keys leave the AWS SDK to the pod's identity.
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.name }}, key: AWS_ACCESS_KEY_ID, optional: true}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.name }}, key: AWS_SECRET_ACCESS_KEY, optional: true}
{{- end -}}

{{/*
The chart's ConfigMap, then an optional overrides ConfigMap: Kustomize overlays generate it
(configMapGenerator, hashed name) so a settings change there rolls the pods.
*/}}
{{- define "chorus.envFrom" -}}
- configMapRef:
    name: {{ include "chorus.configName" . }}
- configMapRef:
    name: {{ include "chorus.configName" . }}-overrides
    optional: true
{{- end -}}

{{- define "chorus.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/*
One Chorus Deployment. Call with (dict "root" $ "component" "api" "values" .Values.api "entry" "packages/api/dist/main.js"
"serviceAccount" name "gracePeriod" seconds "preStopSleep" seconds "extraEnv" list "volumes" list "mounts" list).
*/}}
{{- define "chorus.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chorus.fullname" $root }}-{{ .component }}
  labels:
    {{- include "chorus.componentLabels" . | nindent 4 }}
  annotations:
    argocd.argoproj.io/sync-wave: "1"
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "chorus.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "chorus.componentLabels" . | nindent 8 }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ .serviceAccount }}
      automountServiceAccountToken: true
      terminationGracePeriodSeconds: {{ .gracePeriod }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $root.Values.topologySpread.enabled }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "chorus.selectorLabels" . | nindent 14 }}
          matchLabelKeys: [pod-template-hash]
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "chorus.selectorLabels" . | nindent 14 }}
          matchLabelKeys: [pod-template-hash]
      {{- end }}
      {{- with $root.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "chorus.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["node", {{- range ($v.nodeArgs | default list) }} {{ . | quote }},{{- end }} {{ .entry | quote }}]
          ports:
            - name: http
              containerPort: {{ $root.Values.containerPort }}
              protocol: TCP
          env:
            - name: HOST
              value: "0.0.0.0"
            - name: PORT
              value: {{ $root.Values.containerPort | quote }}
            # The migration Job applies schema changes; services refuse to start against an old schema.
            - name: RUN_MIGRATIONS
              value: "false"
            - name: POD_NAME
              valueFrom:
                fieldRef: {fieldPath: metadata.name}
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef: {fieldPath: metadata.namespace}
            {{- include "chorus.secretEnv" $root | nindent 12 }}
            {{- with .extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          envFrom:
            {{- include "chorus.envFrom" $root | nindent 12 }}
          {{- include "chorus.probes" . | nindent 10 }}
          {{- if .preStopSleep }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ .preStopSleep }}
          {{- end }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- with .mounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ .tmpSize | default "64Mi" }}
        {{- with .volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}

package main

// The few Kubernetes objects poolload k8s renders, as plain structs in the
// API's field names and order: the main module stays free of k8s.io
// imports, and deploy/ (its own module) decodes the output strictly with
// the real API types, so a misspelt field here fails a test there.

type k8sObject struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   k8sMeta           `yaml:"metadata"`
	Data       map[string]string `yaml:"data,omitempty"`
	Spec       any               `yaml:"spec,omitempty"`
}

type k8sMeta struct {
	Name        string            `yaml:"name,omitempty"`
	Namespace   string            `yaml:"namespace,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type k8sClaimSpec struct {
	AccessModes      []string     `yaml:"accessModes"`
	StorageClassName string       `yaml:"storageClassName,omitempty"`
	Resources        k8sResources `yaml:"resources"`
}

type k8sJobSpec struct {
	CompletionMode        string         `yaml:"completionMode,omitempty"`
	Completions           int            `yaml:"completions"`
	Parallelism           int            `yaml:"parallelism"`
	BackoffLimit          *int           `yaml:"backoffLimit,omitempty"`
	BackoffLimitPerIndex  *int           `yaml:"backoffLimitPerIndex,omitempty"`
	ActiveDeadlineSeconds int64          `yaml:"activeDeadlineSeconds"`
	Template              k8sPodTemplate `yaml:"template"`
}

type k8sPodTemplate struct {
	Metadata k8sMeta    `yaml:"metadata"`
	Spec     k8sPodSpec `yaml:"spec"`
}

type k8sPodSpec struct {
	RestartPolicy   string         `yaml:"restartPolicy"`
	SecurityContext k8sPodSecurity `yaml:"securityContext"`
	Affinity        *k8sAffinity   `yaml:"affinity,omitempty"`
	Containers      []k8sContainer `yaml:"containers"`
	Volumes         []k8sVolume    `yaml:"volumes"`
}

type k8sPodSecurity struct {
	RunAsNonRoot        bool       `yaml:"runAsNonRoot"`
	RunAsUser           int64      `yaml:"runAsUser"`
	RunAsGroup          int64      `yaml:"runAsGroup"`
	FSGroup             int64      `yaml:"fsGroup"`
	FSGroupChangePolicy string     `yaml:"fsGroupChangePolicy,omitempty"`
	SeccompProfile      k8sSeccomp `yaml:"seccompProfile"`
}

type k8sSeccomp struct {
	Type string `yaml:"type"`
}

type k8sAffinity struct {
	PodAntiAffinity k8sPodAntiAffinity `yaml:"podAntiAffinity"`
}

type k8sPodAntiAffinity struct {
	Preferred []k8sWeightedTerm `yaml:"preferredDuringSchedulingIgnoredDuringExecution"`
}

type k8sWeightedTerm struct {
	Weight int        `yaml:"weight"`
	Term   k8sAffTerm `yaml:"podAffinityTerm"`
}

type k8sAffTerm struct {
	LabelSelector k8sSelector `yaml:"labelSelector"`
	TopologyKey   string      `yaml:"topologyKey"`
}

type k8sSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type k8sContainer struct {
	Name            string          `yaml:"name"`
	Image           string          `yaml:"image"`
	Command         []string        `yaml:"command"`
	Args            []string        `yaml:"args"`
	Env             []k8sEnv        `yaml:"env,omitempty"`
	EnvFrom         []k8sEnvFrom    `yaml:"envFrom,omitempty"`
	Resources       k8sResources    `yaml:"resources"`
	SecurityContext k8sContainerSec `yaml:"securityContext"`
	VolumeMounts    []k8sMount      `yaml:"volumeMounts"`
}

type k8sEnv struct {
	Name      string        `yaml:"name"`
	ValueFrom *k8sEnvSource `yaml:"valueFrom,omitempty"`
}

type k8sEnvSource struct {
	FieldRef k8sFieldRef `yaml:"fieldRef"`
}

type k8sFieldRef struct {
	FieldPath string `yaml:"fieldPath"`
}

type k8sEnvFrom struct {
	SecretRef k8sNameRef `yaml:"secretRef"`
}

type k8sNameRef struct {
	Name string `yaml:"name"`
}

type k8sResources struct {
	Requests map[string]string `yaml:"requests,omitempty"`
	Limits   map[string]string `yaml:"limits,omitempty"`
}

type k8sContainerSec struct {
	AllowPrivilegeEscalation bool       `yaml:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   bool       `yaml:"readOnlyRootFilesystem"`
	Capabilities             k8sCapDrop `yaml:"capabilities"`
}

type k8sCapDrop struct {
	Drop []string `yaml:"drop"`
}

type k8sMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	ReadOnly  bool   `yaml:"readOnly,omitempty"`
}

type k8sVolume struct {
	Name      string       `yaml:"name"`
	Claim     *k8sClaimRef `yaml:"persistentVolumeClaim,omitempty"`
	ConfigMap *k8sNameRef  `yaml:"configMap,omitempty"`
	EmptyDir  *struct{}    `yaml:"emptyDir,omitempty"`
}

type k8sClaimRef struct {
	ClaimName string `yaml:"claimName"`
}

package main

import "time"

// segmentJob is the Indexed Job: pod i runs segment i+1 of N, all at once.
func (p *k8sPlan) segmentJob() k8sObject {
	pod := p.pod("segment", p.segmentArgs(), p.segMemory)
	c := &pod.Spec.Containers[0]
	c.Env = []k8sEnv{{Name: k8sIndexEnv, ValueFrom: &k8sEnvSource{FieldRef: k8sFieldRef{FieldPath: k8sIndexField}}}}
	if s := p.c.String("secret"); s != "" {
		c.EnvFrom = []k8sEnvFrom{{SecretRef: k8sNameRef{Name: s}}}
	}
	c.VolumeMounts = append(c.VolumeMounts, k8sMount{Name: "scenario", MountPath: k8sScenarioDir, ReadOnly: true})
	pod.Spec.Volumes = append(pod.Spec.Volumes, k8sVolume{Name: "scenario", ConfigMap: &k8sNameRef{Name: p.job() + "-scenario"}})
	// Generators on separate nodes do not share a NIC or CPUs; preferred,
	// not required, so that a small cluster still runs them all.
	pod.Spec.Affinity = &k8sAffinity{PodAntiAffinity: k8sPodAntiAffinity{Preferred: []k8sWeightedTerm{{Weight: 100,
		Term: k8sAffTerm{LabelSelector: k8sSelector{MatchLabels: map[string]string{"poolload/run": p.run, "app.kubernetes.io/component": "segment"}},
			TopologyKey: "kubernetes.io/hostname"}}}}}
	// A pod is never retried: a retry starts after its place on the
	// timeline and could only fail, and a failed index must not stop
	// the others (a Job-wide backoffLimit would kill every segment).
	none := 0
	return k8sObject{APIVersion: "batch/v1", Kind: "Job", Metadata: p.meta(p.job(), "segment"), Spec: k8sJobSpec{
		CompletionMode: "Indexed", Completions: p.n, Parallelism: p.n, BackoffLimitPerIndex: &none,
		ActiveDeadlineSeconds: seconds(p.deadline()), Template: pod}}
}

// mergeJob runs once, beside the segments, and waits for their records.
func (p *k8sPlan) mergeJob() k8sObject {
	none := 0 // a second try would find the first one's merged record
	return k8sObject{APIVersion: "batch/v1", Kind: "Job", Metadata: p.meta(p.job()+"-merge", "merge"), Spec: k8sJobSpec{
		Completions: 1, Parallelism: 1, BackoffLimit: &none,
		ActiveDeadlineSeconds: seconds(p.deadline() + k8sMargin), Template: p.pod("merge", p.mergeArgs(), p.mergeMemory)}}
}

// pod is the template both Jobs share: poolload as a non-root user with no
// privileges, a read-only root, the records' claim at /records.
func (p *k8sPlan) pod(component string, args []string, mem k8sMemory) k8sPodTemplate {
	request, limit := mem.quantities()
	return k8sPodTemplate{
		Metadata: k8sMeta{Labels: p.labels(component)},
		Spec: k8sPodSpec{
			RestartPolicy: "Never",
			SecurityContext: k8sPodSecurity{RunAsNonRoot: true, RunAsUser: k8sUID, RunAsGroup: k8sUID,
				// fsGroup makes the claim writable by the non-root user
				// on the volume types that honour it.
				FSGroup: k8sUID, FSGroupChangePolicy: "OnRootMismatch", SeccompProfile: k8sSeccomp{Type: "RuntimeDefault"}},
			Containers: []k8sContainer{{
				Name: "poolload", Image: p.c.String("image"), Command: []string{"poolload"}, Args: args,
				// No CPU limit: CFS throttling would stall the
				// generator and be measured as the target's latency.
				Resources: k8sResources{Requests: map[string]string{"cpu": p.c.String("cpu"), "memory": request},
					Limits: map[string]string{"memory": limit}},
				SecurityContext: k8sContainerSec{ReadOnlyRootFilesystem: true, Capabilities: k8sCapDrop{Drop: []string{"ALL"}}},
				VolumeMounts:    []k8sMount{{Name: "records", MountPath: k8sRecords}, {Name: "tmp", MountPath: "/tmp"}},
			}},
			Volumes: []k8sVolume{
				{Name: "records", Claim: &k8sClaimRef{ClaimName: p.claim()}},
				{Name: "tmp", EmptyDir: &struct{}{}},
			},
		},
	}
}

func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

package preflight

import "strings"

// Need names a kind of fact a check judges. A run that cannot supply every
// need of a check (lint reads files: no cluster, no AWS) reports the check as
// not judged instead of running it.
type Need string

// The facts checks need.
const (
	// NeedIssuer is the cluster's OIDC issuer (--issuer, eks:DescribeCluster or the API server).
	NeedIssuer Need = "issuer"
	// NeedServiceAccount is the ServiceAccount object (from the API or a manifest).
	NeedServiceAccount Need = "serviceaccount"
	// NeedTrustPolicy is the role's trust policy (iam:GetRole, a policy file or a Terraform plan).
	NeedTrustPolicy Need = "trust-policy"
	// NeedWorkloads are the chaos objects, Argo workflows, pod specs and the
	// Secrets they reference (from the API or manifests).
	NeedWorkloads Need = "workloads"
	// NeedCluster is live cluster state: whether objects exist, running pods, nodes.
	NeedCluster Need = "cluster"
	// NeedIAM is AWS IAM: OIDC providers, the role, its policies, policy simulation.
	NeedIAM Need = "aws-iam"
	// NeedEC2 is ec2:DescribeInstances for the nodes' metadata options.
	NeedEC2 Need = "aws-ec2"
	// NeedEKS is EKS's Pod Identity associations and Fargate profiles.
	NeedEKS Need = "aws-eks"
	// NeedJob is the verification Job (--run-job).
	NeedJob Need = "job"
)

// needWords says what each need is, for "not judged" messages.
var needWords = map[Need]string{
	NeedIssuer:         "the cluster's OIDC issuer (--issuer)",
	NeedServiceAccount: "the ServiceAccount",
	NeedTrustPolicy:    "the role's trust policy",
	NeedWorkloads:      "the chaos objects and pods",
	NeedCluster:        "the live cluster",
	NeedIAM:            "AWS IAM",
	NeedEC2:            "AWS EC2",
	NeedEKS:            "EKS Pod Identity associations (--cluster)",
	NeedJob:            "the verification Job (--run-job)",
}

// Describe says what the need is, in a message.
func (n Need) Describe() string {
	if w, ok := needWords[n]; ok {
		return w
	}
	return string(n)
}

// notJudged is the result of a check whose needs the run cannot supply.
func notJudged(missing []Need) result {
	words := make([]string, len(missing))
	names := make([]string, len(missing))
	for i, n := range missing {
		words[i], names[i] = n.Describe(), string(n)
	}
	return skip("not judged: needs "+strings.Join(words, " and ")).With(EvidenceNotJudged, strings.Join(names, ","))
}

// EvidenceNotJudged is the evidence key of a check that was not judged: the
// needs the run could not supply, comma-separated.
const EvidenceNotJudged = "notJudged"

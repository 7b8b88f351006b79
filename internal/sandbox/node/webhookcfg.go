package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// podWebhookName names the MutatingWebhookConfiguration and its one webhook.
const podWebhookName = "pod-identity-webhook.podcred-sandbox.local"

// registerPodWebhook registers url (trusted through caPEM) for pod CREATE in
// every namespace but kube-system. Pods the sandbox binds to its stand-in node
// itself (world pods, injected at load) are not sent to it.
func registerPodWebhook(ctx context.Context, client kubernetes.Interface, url string, caPEM []byte) error {
	fail, none, never := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone, admissionregistrationv1.NeverReinvocationPolicy
	timeout := int32(10)
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: podWebhookName, Labels: controlplane.ManagedLabels()},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    podWebhookName,
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
			FailurePolicy:           &fail,
			SideEffects:             &none,
			ReinvocationPolicy:      &never,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpNotIn, Values: []string{metav1.NamespaceSystem},
			}}},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name:       "not-the-stand-in-node",
				Expression: fmt.Sprintf("!has(object.spec.nodeName) || object.spec.nodeName != %q", world.NodeName),
			}},
		}},
	}
	if _, err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("register the pod identity webhook: %w", err)
	}
	return waitWebhookServes(ctx, client)
}

// waitWebhookServes dry-runs a pod until the apiserver sends it through the
// webhook (the configuration takes effect shortly after it is created).
func waitWebhookServes(ctx context.Context, client kubernetes.Interface) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "podcred-webhook-probe", Namespace: metav1.NamespaceDefault},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "probe", Image: PauseImageRef}}}}
	for {
		got, err := client.CoreV1().Pods(probe.Namespace).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil && got.Spec.HostNetwork {
			return nil
		}
		if err == nil {
			err = errors.New("a pod is admitted unmutated")
		}
		if werr := proc.Sleep(ctx, 50*time.Millisecond); werr != nil {
			return fmt.Errorf("pod identity webhook not called: %w (%v)", werr, err)
		}
	}
}

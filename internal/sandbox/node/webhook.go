package node

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// podWebhook is the sandbox's mutating admission webhook for pods: the EKS pod
// identity webhook's IRSA contract (irsaPatchFor), then loopbackPod. It is
// served over TLS on 127.0.0.1 and registered by a MutatingWebhookConfiguration.
type podWebhook struct {
	client   kubernetes.Interface
	region   string
	loopback func() []corev1.EnvVar // loopbackPod's variables, read per request (worlds change IMDS)
	// podIdentity returns the Pod Identity agent URI for an SA with an association, else "".
	podIdentity func(ns, sa string) string
	srv         *http.Server
	url         string
}

// maxReviewBytes bounds an AdmissionReview body (pods are far smaller).
const maxReviewBytes = 3 << 20

// startPodWebhook serves the webhook with cert on a free loopback port.
func startPodWebhook(client kubernetes.Interface, region string, loopback func() []corev1.EnvVar, podIdentity func(ns, sa string) string, cert tls.Certificate) (*podWebhook, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w := &podWebhook{client: client, region: region, loopback: loopback, podIdentity: podIdentity, url: "https://" + l.Addr().String() + "/mutate-pods"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mutate-pods", w.serve)
	w.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() { _ = w.srv.ServeTLS(l, "", "") }()
	return w, nil
}

// stop closes the server.
func (w *podWebhook) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return w.srv.Shutdown(ctx)
}

func (w *podWebhook) serve(rw http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(io.LimitReader(r.Body, maxReviewBytes)).Decode(&review); err != nil || review.Request == nil {
		http.Error(rw, "want an AdmissionReview", http.StatusBadRequest)
		return
	}
	resp := w.review(r.Context(), review.Request)
	resp.UID = review.Request.UID
	review.Response, review.Request = resp, nil
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(&review)
}

// review answers one request: allowed, with a JSON patch when the pod changes.
func (w *podWebhook) review(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	deny := func(err error) *admissionv1.AdmissionResponse {
		return &admissionv1.AdmissionResponse{Result: &metav1.Status{Status: metav1.StatusFailure, Message: err.Error()}}
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return deny(fmt.Errorf("decode pod: %w", err))
	}
	spec := *pod.Spec.DeepCopy()
	saName := pod.Spec.ServiceAccountName
	if saName == "" {
		saName = "default"
	}
	sa, err := w.client.CoreV1().ServiceAccounts(req.Namespace).Get(ctx, saName, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return deny(fmt.Errorf("serviceaccount %s/%s: %w", req.Namespace, saName, err))
	}
	if uri := w.podIdentityURI(req.Namespace, saName); uri != "" {
		InjectPodIdentity(&spec, uri, w.region) // container credentials take precedence (webhook handler.go)
	} else if p, ok := irsaPatchFor(&pod, sa, w.region); ok && err == nil {
		p.apply(&spec)
	}
	loopbackPod(&spec, w.loopback())
	patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec", "value": spec}})
	if err != nil {
		return deny(err)
	}
	pt := admissionv1.PatchTypeJSONPatch
	return &admissionv1.AdmissionResponse{Allowed: true, Patch: patch, PatchType: &pt}
}

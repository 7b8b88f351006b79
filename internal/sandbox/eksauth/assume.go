package eksauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/podcred/podcred/internal/sandbox/iampolicy"
	"github.com/podcred/podcred/pkg/podiam"
)

// Messages of refusals. EKS Auth's own wording is not published except
// msgDenied, seen in public reports of the agent's logs; the others are the
// sandbox's, with the code botocore's model gives the case.
const (
	msgNotJWT        = "The token is not a valid JWT."
	msgIssuer        = "The token was not issued by the cluster's OIDC issuer."
	msgSignature     = "The token signature could not be verified."
	msgAudience      = "The token audience is not " + podiam.PodIdentityAudience + "."
	msgSubject       = "The token subject is not a Kubernetes service account."
	msgExpired       = "The token has expired."
	msgNoAssociation = "No Pod Identity Association found for the service account %s/%s in cluster %s."
	msgDenied        = "Unauthorized Exception! EKS does not have permissions to assume the associated role."
)

// claims are the token claims AssumeRoleForPodIdentity reads.
type claims struct {
	Iss string   `json:"iss"`
	Sub string   `json:"sub"`
	Aud audience `json:"aud"`
	Exp float64  `json:"exp"`
	K8s struct {
		Pod struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"pod"`
	} `json:"kubernetes.io"`
}

// audience is a claim that is a string or a list of strings.
type audience []string

// UnmarshalJSON accepts a string or a list of strings.
func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

func parseClaims(token string) (claims, bool) {
	var c claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, false
	}
	return c, true
}

// response is AssumeRoleForPodIdentityResponse.
type response struct {
	Subject struct {
		Namespace      string `json:"namespace"`
		ServiceAccount string `json:"serviceAccount"`
	} `json:"subject"`
	Audience               string `json:"audience"`
	PodIdentityAssociation struct {
		AssociationArn string `json:"associationArn"`
		AssociationID  string `json:"associationId"`
	} `json:"podIdentityAssociation"`
	AssumedRoleUser struct {
		Arn          string `json:"arn"`
		AssumeRoleID string `json:"assumeRoleId"`
	} `json:"assumedRoleUser"`
	Credentials struct {
		SessionToken    string `json:"sessionToken"`
		SecretAccessKey string `json:"secretAccessKey"`
		AccessKeyID     string `json:"accessKeyId"`
		Expiration      epoch  `json:"expiration"`
	} `json:"credentials"`
}

func (s *Service) assumeRoleForPodIdentity(w http.ResponseWriter, r *http.Request, rid, clusterName string) {
	var in struct {
		Token string `json:"token"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody || json.Unmarshal(body, &in) != nil {
		writeError(w, rid, errParam("The request body is not valid JSON or is too large."))
		return
	}
	if in.Token == "" {
		writeError(w, rid, errParam("token must not be empty."))
		return
	}
	out, e := s.exchange(r.Context(), clusterName, in.Token)
	if e != nil {
		s.opts.Logger.Debug().Str("cluster", clusterName).Str("code", e.Code).Msg("AssumeRoleForPodIdentity refused")
		writeError(w, rid, e)
		return
	}
	writeJSON(w, rid, out)
}

// exchange judges a token as EKS Auth does: cluster, token (shape, issuer,
// signature, audience, expiry, subject), association, role trust; then it
// issues the session through STS.
func (s *Service) exchange(ctx context.Context, clusterName, token string) (*response, *apiError) {
	invalid := func(msg string) *apiError {
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidTokenException", Message: msg}
	}
	c, err := s.opts.Backend.Cluster(ctx, clusterName)
	if err != nil {
		return nil, errInternal()
	}
	if c == nil {
		return nil, errNotFound(fmt.Sprintf("No cluster found for name: %s.", clusterName))
	}
	cl, ok := parseClaims(token)
	if !ok {
		return nil, invalid(msgNotJWT)
	}
	if cl.Iss != c.Issuer {
		return nil, invalid(msgIssuer)
	}
	keys, err := s.opts.KeySet(ctx, cl.Iss)
	if err != nil {
		return nil, invalid(msgSignature)
	}
	verifier := oidc.NewVerifier(cl.Iss, keys, &oidc.Config{SkipClientIDCheck: true, SkipExpiryCheck: true, Now: s.opts.Now})
	if _, err := verifier.Verify(ctx, token); err != nil {
		return nil, invalid(msgSignature)
	}
	if !contains(cl.Aud, podiam.PodIdentityAudience) {
		return nil, invalid(msgAudience)
	}
	if float64(s.opts.Now().Unix()) >= cl.Exp {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "ExpiredTokenException", Message: msgExpired}
	}
	ns, sa, ok := podiam.ParseSubject(cl.Sub)
	if !ok {
		return nil, invalid(msgSubject)
	}
	log := s.opts.Logger.With().Str("cluster", clusterName).Str("sub", cl.Sub).Logger()
	a := s.ForServiceAccount(c.Name, ns, sa)
	if a == nil {
		return nil, errNotFound(fmt.Sprintf(msgNoAssociation, ns, sa, c.Name))
	}
	denied := &apiError{Status: http.StatusBadRequest, Code: "AccessDeniedException", Message: msgDenied}
	role, err := s.opts.Backend.Role(ctx, a.RoleArn)
	if err != nil {
		log.Error().Err(err).Msg("looking up the role")
		return nil, errInternal()
	}
	if role == nil {
		log.Debug().Str("roleArn", a.RoleArn).Msg("the associated role does not exist")
		return nil, denied
	}
	trust, err := iampolicy.Parse([]byte(role.TrustPolicy))
	if err != nil {
		return nil, denied
	}
	req := iampolicy.PodIdentity{Account: c.Account, ClusterARN: c.ARN, ClusterName: c.Name, Namespace: ns, ServiceAccount: sa,
		PodName: cl.K8s.Pod.Name, PodUID: cl.K8s.Pod.UID, DisableSessionTags: a.DisableSessionTags}
	if res := iampolicy.EvaluatePodIdentity(trust, req); !res.Allowed() {
		log.Debug().Str("roleArn", a.RoleArn).Str("action", res.Denied).Msg("the role's trust refuses")
		return nil, denied
	}
	issued, err := s.opts.Backend.AssumeRole(ctx, AssumeRoleInput{RoleARN: a.RoleArn, SessionName: sessionName(c.Name, cl.K8s.Pod.Name), Tags: req.SessionTags()})
	if err != nil {
		log.Error().Err(err).Msg("sts:AssumeRole in moto")
		return nil, errInternal()
	}
	out := &response{Audience: podiam.PodIdentityAudience}
	out.Subject.Namespace, out.Subject.ServiceAccount = ns, sa
	out.PodIdentityAssociation.AssociationArn, out.PodIdentityAssociation.AssociationID = a.AssociationArn, a.AssociationID
	out.AssumedRoleUser.Arn, out.AssumedRoleUser.AssumeRoleID = issued.AssumedRoleARN, issued.AssumedRoleID
	out.Credentials.AccessKeyID, out.Credentials.SecretAccessKey = issued.AccessKeyID, issued.SecretAccessKey
	out.Credentials.SessionToken, out.Credentials.Expiration = issued.SessionToken, epoch(issued.Expiration)
	log.Debug().Str("assumedRole", issued.AssumedRoleARN).Msg("AssumeRoleForPodIdentity allowed")
	return out, nil
}

// sessionName is eks-<cluster>-<pod>-<uuid> (botocore's AssumedRoleUser
// documentation), cut to STS's 64 characters by shortening cluster and pod.
func sessionName(cluster, pod string) string {
	id := newID()
	room := 64 - len("eks---") - len(id)
	if len(cluster)+len(pod) > room {
		cluster = cluster[:min(len(cluster), room/2)]
		pod = pod[:min(len(pod), room-len(cluster))]
	}
	var b bytes.Buffer
	for _, r := range podiam.PodIdentitySessionPrefix + cluster + "-" + pod + "-" + id {
		if r < 0x80 && (r == '-' || r == '_' || r == '.' || r == '@' || r == '=' || r == ',' || r == '+' ||
			r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

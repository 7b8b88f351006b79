package eksauth

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// maxBody bounds every request body the service reads (tokens are a few KB).
const maxBody = 64 << 10

// Association is an EKS Pod Identity association (eks PodIdentityAssociation).
type Association struct {
	ClusterName        string            `json:"clusterName"`
	Namespace          string            `json:"namespace"`
	ServiceAccount     string            `json:"serviceAccount"`
	RoleArn            string            `json:"roleArn"`
	AssociationArn     string            `json:"associationArn"`
	AssociationID      string            `json:"associationId"`
	Tags               map[string]string `json:"tags"`
	CreatedAt          epoch             `json:"createdAt"`
	ModifiedAt         epoch             `json:"modifiedAt"`
	DisableSessionTags bool              `json:"disableSessionTags"`
}

// summary is the list form (PodIdentityAssociationSummary): no role, tags or times.
type summary struct {
	ClusterName    string `json:"clusterName"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	AssociationArn string `json:"associationArn"`
	AssociationID  string `json:"associationId"`
}

// epoch is a timestamp in REST-JSON's default format, epoch seconds.
type epoch time.Time

// UnmarshalJSON reads seconds since the epoch.
func (e *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*e = epoch(time.UnixMilli(int64(f * 1000)))
	return nil
}

// MarshalJSON writes seconds since the epoch.
func (e epoch) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(e).UnixMilli())/1000, 'f', -1, 64)), nil
}

var (
	roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	k8sName        = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
)

// cluster answers ResourceNotFoundException when name is not a cluster.
func (s *Service) cluster(r *http.Request, name string) (*Cluster, *apiError) {
	c, err := s.opts.Backend.Cluster(r.Context(), name)
	if err != nil {
		s.opts.Logger.Error().Err(err).Str("cluster", name).Msg("looking up the cluster")
		return nil, errInternal()
	}
	if c == nil {
		return nil, errNotFound(fmt.Sprintf("No cluster found for name: %s.", name))
	}
	return c, nil
}

func (s *Service) createAssociation(w http.ResponseWriter, r *http.Request, rid, clusterName string) {
	var in struct {
		Namespace          string            `json:"namespace"`
		ServiceAccount     string            `json:"serviceAccount"`
		RoleArn            string            `json:"roleArn"`
		Tags               map[string]string `json:"tags"`
		DisableSessionTags bool              `json:"disableSessionTags"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil {
		writeError(w, rid, errParam("The request body is not valid JSON."))
		return
	}
	c, e := s.cluster(r, clusterName)
	if e != nil {
		writeError(w, rid, e)
		return
	}
	switch {
	case !k8sName.MatchString(in.Namespace):
		e = errParam("Namespace must be a valid Kubernetes name.")
	case !k8sName.MatchString(in.ServiceAccount):
		e = errParam("ServiceAccount must be a valid Kubernetes name.")
	case !roleARNPattern.MatchString(in.RoleArn):
		e = errParam(fmt.Sprintf("Role ARN %s is not a valid IAM role ARN.", in.RoleArn))
	}
	if e != nil {
		writeError(w, rid, e)
		return
	}
	now := epoch(s.opts.Now())
	id := "a-" + randomLower(17)
	a := &Association{
		ClusterName: c.Name, Namespace: in.Namespace, ServiceAccount: in.ServiceAccount, RoleArn: in.RoleArn,
		AssociationID:  id,
		AssociationArn: fmt.Sprintf("arn:aws:eks:%s:%s:podidentityassociation/%s/%s", s.opts.Region, c.Account, c.Name, id),
		Tags:           in.Tags, CreatedAt: now, ModifiedAt: now, DisableSessionTags: in.DisableSessionTags,
	}
	if a.Tags == nil {
		a.Tags = map[string]string{}
	}
	s.mu.Lock()
	for _, old := range s.associations {
		if old.ClusterName == a.ClusterName && old.Namespace == a.Namespace && old.ServiceAccount == a.ServiceAccount {
			s.mu.Unlock()
			writeError(w, rid, &apiError{Status: http.StatusConflict, Code: "ResourceInUseException", Message: "Association already exists: " + old.AssociationID})
			return
		}
	}
	s.associations = append(s.associations, a)
	s.mu.Unlock()
	s.opts.Logger.Debug().Str("association", id).Str("namespace", a.Namespace).Str("serviceAccount", a.ServiceAccount).Str("roleArn", a.RoleArn).Msg("association created")
	writeJSON(w, rid, map[string]any{"association": a})
}

func (s *Service) listAssociations(w http.ResponseWriter, r *http.Request, rid, clusterName string) {
	if _, e := s.cluster(r, clusterName); e != nil {
		writeError(w, rid, e)
		return
	}
	q := r.URL.Query()
	ns, sa := q.Get("namespace"), q.Get("serviceAccount")
	limit := 100
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, rid, errParam("maxResults must be between 1 and 100."))
			return
		}
		limit = n
	}
	start := 0
	if v := q.Get("nextToken"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, rid, errParam("The nextToken is not valid."))
			return
		}
		start = n
	}
	s.mu.Lock()
	var match []summary
	for _, a := range s.associations {
		if a.ClusterName == clusterName && (ns == "" || a.Namespace == ns) && (sa == "" || a.ServiceAccount == sa) {
			match = append(match, summary{ClusterName: a.ClusterName, Namespace: a.Namespace, ServiceAccount: a.ServiceAccount,
				AssociationArn: a.AssociationArn, AssociationID: a.AssociationID})
		}
	}
	s.mu.Unlock()
	out := map[string]any{"associations": []summary{}}
	if start < len(match) {
		end := min(start+limit, len(match))
		out["associations"] = match[start:end]
		if end < len(match) {
			out["nextToken"] = strconv.Itoa(end)
		}
	}
	writeJSON(w, rid, out)
}

// find returns the association id of clusterName, or answers ResourceNotFoundException.
func (s *Service) find(w http.ResponseWriter, r *http.Request, rid, clusterName, id string, remove bool) *Association {
	if _, e := s.cluster(r, clusterName); e != nil {
		writeError(w, rid, e)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range s.associations {
		if a.ClusterName == clusterName && a.AssociationID == id {
			if remove {
				s.associations = append(s.associations[:i:i], s.associations[i+1:]...)
			}
			c := *a
			return &c
		}
	}
	writeError(w, rid, errNotFound(fmt.Sprintf("No Pod Identity Association found for id: %s.", id)))
	return nil
}

func (s *Service) describeAssociation(w http.ResponseWriter, r *http.Request, rid, clusterName, id string) {
	if a := s.find(w, r, rid, clusterName, id, false); a != nil {
		writeJSON(w, rid, map[string]any{"association": a})
	}
}

func (s *Service) deleteAssociation(w http.ResponseWriter, r *http.Request, rid, clusterName, id string) {
	if a := s.find(w, r, rid, clusterName, id, true); a != nil {
		writeJSON(w, rid, map[string]any{"association": a})
	}
}

package awsemu

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/podcred/podcred/internal/sandbox/proc"
)

// NodeRoleName is the role the IMDS mock serves as the node's instance profile role.
const NodeRoleName = "eks-node-role"

// IMDS is ec2-metadata-mock on a loopback port, serving NodeRoleName with
// credentials that expire in the future (IMDSv1 and IMDSv2 both answer).
type IMDS struct {
	// URL is http://127.0.0.1:PORT, for AWS_EC2_METADATA_SERVICE_ENDPOINT.
	URL string
	// AccessKeyID, SecretAccessKey and Token are the node credentials it serves
	// (random, so that tests can scan outputs for them).
	AccessKeyID, SecretAccessKey, Token string
	proc                                *proc.Proc
}

// StartIMDS starts bin (ec2-metadata-mock) with a config serving the node role of account.
func StartIMDS(ctx context.Context, dir, bin, account string) (*IMDS, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s is missing: run `make tools`", bin)
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	m := &IMDS{
		URL:             proc.LoopbackURL("http", port),
		AccessKeyID:     "ASIA" + rand.Text()[:16],
		SecretAccessKey: rand.Text() + rand.Text()[:14],
		Token:           "IQoJb3JpZ2luX2VjE" + rand.Text() + rand.Text(),
	}
	now := time.Now().UTC()
	cfg := map[string]any{"metadata": map[string]any{
		"paths": map[string]any{
			"iam-security-credentials": "/latest/meta-data/iam/security-credentials/" + NodeRoleName,
		},
		"values": map[string]any{
			"iam-security-credentials-role": NodeRoleName,
			"iam-info": map[string]any{
				"Code":               "Success",
				"LastUpdated":        now.Format(time.RFC3339),
				"InstanceProfileArn": "arn:aws:iam::" + account + ":instance-profile/" + NodeRoleName,
				"InstanceProfileId":  "AIPA" + rand.Text()[:17],
			},
			"iam-security-credentials": map[string]any{
				"Code":            "Success",
				"LastUpdated":     now.Format(time.RFC3339),
				"Type":            "AWS-HMAC",
				"AccessKeyId":     m.AccessKeyID,
				"SecretAccessKey": m.SecretAccessKey,
				"Token":           m.Token,
				"Expiration":      now.Add(6 * time.Hour).Format(time.RFC3339),
			},
		},
	}}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "imds-config.json")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		return nil, err
	}
	m.proc, err = proc.StartProc(proc.ProcSpec{
		Name:   "ec2-metadata-mock",
		Path:   bin,
		Args:   []string{"-n", "127.0.0.1", "-p", strconv.Itoa(port), "-c", cfgPath},
		Env:    append(proc.ScrubbedEnv(), "HOME="+dir),
		LogDir: dir,
	})
	if err != nil {
		return nil, err
	}
	client := &http.Client{}
	if err := m.proc.WaitReady(ctx, 15*time.Second, func(ctx context.Context) error {
		return proc.HTTPGetOK(ctx, client, m.URL+"/latest/meta-data/iam/security-credentials/", "")
	}); err != nil {
		_ = m.proc.Stop(0)
		return nil, err
	}
	return m, nil
}

// Proc is the mock's process.
func (m *IMDS) Proc() *proc.Proc { return m.proc }

// Stop stops the mock by its PID.
func (m *IMDS) Stop() error { return m.proc.Stop(0) }

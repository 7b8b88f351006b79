package preflightcli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

func TestAuditTruncatesALongRoleAnnotationInTheTable(t *testing.T) {
	long := "arn:aws:iam::123456789012:role/" + strings.Repeat("x", 3000)
	w := newWorld(sa("litmus", "litmus-admin", roleARN), sa("ops", "huge", long))
	_, out, _ := w.run(t, nil, "audit", "-A", "--issuer", issuer, "--format", "text")
	table := out[:strings.Index(out, strings.Repeat("─", 72))]
	for _, line := range strings.Split(table, "\n") {
		if len(line) > 250 {
			t.Errorf("a table line of %d bytes: the role column is padded by the long annotation", len(line))
		}
	}
	if !strings.Contains(table, "…(+") {
		t.Errorf("the truncated cell carries no marker:\n%s", table)
	}
}

// runOffline runs preflight against an API server that is down (a closed
// loopback port) with the real client-go.
func runOffline(t *testing.T, args ...string) (int, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := "https://" + l.Addr().String()
	l.Close()
	var out, errb bytes.Buffer
	cmd := NewCommand(Streams{Out: &out, Err: &errb, LookupEnv: func(string) (string, bool) { return "", false }}, Deps{
		Kube: func(*genericclioptions.ConfigFlags) (kubernetes.Interface, dynamic.Interface, *rest.Config, error) {
			cfg := &rest.Config{Host: host, Timeout: 2 * time.Second, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
			kc, err := kubernetes.NewForConfig(cfg)
			return kc, nil, cfg, err
		},
		AWS: func(context.Context, time.Duration) (preflight.IAMAPI, preflight.DescribeClusterAPI, error) {
			return newWorld().iam, nil, nil
		},
	})
	cmd.SetArgs(args)
	return cli.Main(cmd, &errb), out.String()
}

func TestAuditWithTheAPIServerDownStillWritesADocument(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		code, out := runOffline(t, "audit", "-A", "--issuer", issuer, "--format", "json")
		var doc auditDocument
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("exit %d, stdout is no JSON document: %v\n%s", code, err, out)
		}
		if code != cli.ExitUnverified || doc.Verdict != report.VerdictError || !strings.Contains(doc.Error, "connection refused") {
			t.Errorf("exit %d, verdict %s, error %q", code, doc.Verdict, doc.Error)
		}
	})
	t.Run("junit", func(t *testing.T) {
		code, out := runOffline(t, "audit", "-A", "--issuer", issuer, "--format", "junit")
		var suites struct {
			Suites []struct {
				Cases []struct {
					Name  string `xml:"name,attr"`
					Error *struct {
						Message string `xml:"message,attr"`
					} `xml:"error"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(out), &suites); err != nil || len(suites.Suites) != 1 || len(suites.Suites[0].Cases) != 1 {
			t.Fatalf("exit %d, stdout is no JUnit document with one case: %v\n%s", code, err, out)
		}
		c := suites.Suites[0].Cases[0]
		if code != cli.ExitUnverified || c.Name != IDAuditList || c.Error == nil || !strings.Contains(c.Error.Message, "could not list ServiceAccounts") {
			t.Errorf("exit %d, case %+v", code, c)
		}
	})
}

func TestNoAWSCredentialsIsSaidPlainly(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME": dir, "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
		"AWS_SHARED_CREDENTIALS_FILE": dir + "/none", "AWS_CONFIG_FILE": dir + "/none",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
	} {
		t.Setenv(k, v)
	}
	cfg, err := loadAWSConfig(t.Context(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Credentials.Retrieve(t.Context())
	if !errors.Is(err, errNoCredentials) {
		t.Fatalf("Retrieve = %v, want errNoCredentials", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "no AWS credentials found") || strings.Contains(msg, "access disabled to EC2 IMDS") {
		t.Errorf("message blames IMDS instead of saying no credentials were found: %s", msg)
	}
}

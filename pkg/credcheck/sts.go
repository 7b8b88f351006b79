package credcheck

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/podcred/podcred/pkg/podiam"
)

// AssumeRoleWithWebIdentityAPI is the STS call the agent makes with the token.
type AssumeRoleWithWebIdentityAPI interface {
	AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
}

// GetCallerIdentityAPI is the STS call that proves who issued credentials are.
type GetCallerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var (
	_ AssumeRoleWithWebIdentityAPI = (*sts.Client)(nil)
	_ GetCallerIdentityAPI         = (*sts.Client)(nil)
)

// assumeRole calls AssumeRoleWithWebIdentity once (the client's retryer only
// retries throttling, 5xx and network errors; refusals answer at once) and,
// on success, GetCallerIdentity with the issued credentials. The credentials
// live only in this function.
func assumeRole(ctx context.Context, c interface {
	AssumeRoleWithWebIdentityAPI
	GetCallerIdentityAPI
}, roleARN, session string, token []byte, timeout time.Duration) (*AssumeResult, *CallerResult) {
	start := time.Now()
	actx, cancel := context.WithTimeout(ctx, timeout)
	out, err := c.AssumeRoleWithWebIdentity(actx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(roleARN),
		RoleSessionName:  aws.String(session),
		WebIdentityToken: aws.String(string(token)),
	})
	cancel()
	ar := &AssumeResult{SessionName: session, Duration: time.Since(start)}
	if err != nil {
		ar.Err = podiam.Classify("AssumeRoleWithWebIdentity", err)
		ar.RequestID = ar.Err.RequestID
		return ar, nil
	}
	ar.RequestID = requestID(out.ResultMetadata)
	if u := out.AssumedRoleUser; u != nil {
		ar.AssumedRoleARN, ar.AssumedRoleID = aws.ToString(u.Arn), aws.ToString(u.AssumedRoleId)
	}
	cr := out.Credentials
	if cr == nil || cr.AccessKeyId == nil || cr.SecretAccessKey == nil {
		ar.Err = &podiam.CallError{Operation: "AssumeRoleWithWebIdentity", Code: "MissingCredentials",
			Message: "STS answered without credentials", Kind: podiam.KindUnavailable, RequestID: ar.RequestID}
		return ar, nil
	}
	ar.Expiration = aws.ToTime(cr.Expiration)
	provider := credentials.NewStaticCredentialsProvider(aws.ToString(cr.AccessKeyId),
		aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	return ar, callerIdentity(ctx, c, provider, timeout)
}

// callerIdentity calls GetCallerIdentity signed with the given credentials.
func callerIdentity(ctx context.Context, c GetCallerIdentityAPI, p aws.CredentialsProvider, timeout time.Duration) *CallerResult {
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := c.GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.Credentials = p })
	res := &CallerResult{Duration: time.Since(start)}
	if err != nil {
		res.Err = podiam.Classify("GetCallerIdentity", err)
		return res
	}
	res.Account, res.ARN, res.UserID = aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId)
	return res
}

// crossRole tries to assume each role that must stay out of reach. Issued
// credentials, if any, are dropped at once.
func crossRole(ctx context.Context, c AssumeRoleWithWebIdentityAPI, roles []string, session string, token []byte, timeout time.Duration) []CrossRoleResult {
	out := make([]CrossRoleResult, len(roles))
	done := make(chan struct{}, len(roles))
	for i, arn := range roles {
		go func() {
			defer func() { done <- struct{}{} }()
			actx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			_, err := c.AssumeRoleWithWebIdentity(actx, &sts.AssumeRoleWithWebIdentityInput{
				RoleArn:          aws.String(arn),
				RoleSessionName:  aws.String(session),
				WebIdentityToken: aws.String(string(token)),
				DurationSeconds:  aws.Int32(900),
			})
			out[i] = CrossRoleResult{RoleARN: arn, Allowed: err == nil}
			if err != nil {
				out[i].Err = podiam.Classify("AssumeRoleWithWebIdentity", err)
			}
		}()
	}
	for range roles {
		<-done
	}
	return out
}

var sessionUnsafe = regexp.MustCompile(`[^\w+=,.@-]`)

// SessionName builds a valid RoleSessionName ([\w+=,.@-]{2,64}) naming the
// pod, so CloudTrail shows which experiment pod assumed the role.
func SessionName(pod string, now time.Time) string {
	if pod == "" {
		pod = "agent"
	}
	s := fmt.Sprintf("podcred-%s", sessionUnsafe.ReplaceAllString(pod, "-"))
	suffix := fmt.Sprintf("-%d", now.Unix())
	if len(s)+len(suffix) > 64 {
		s = strings.TrimRight(s[:64-len(suffix)], "-")
	}
	return s + suffix
}

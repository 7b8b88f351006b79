package stsfront

import (
	"context"

	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/podcred/podcred/internal/sandbox/iampolicy"
)

// Messages of AssumeRoleWithWebIdentity refusals. Seen from real STS in public
// reports: msgNoProviderFmt, msgAudience, msgNoKey (with its double space),
// msgExpiredFmt, msgNotAuthorized, msgInvalidARN. msgInvalidToken is the STS API
// reference's description of InvalidIdentityToken. msgNotJWT is STS's wording
// as remembered, not confirmed from a public source; the validation messages
// follow STS's generic "N validation errors detected" format.
const (
	msgNotJWT           = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	msgInvalidToken     = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."
	msgNoProviderFmt    = "No OpenIDConnect provider found in your account for %s"
	msgAudience         = "Incorrect token audience"
	msgNoKey            = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
	msgExpiredFmt       = "Token expired: current date/time %d must be before the expiration date/time %d"
	msgNotAuthorized    = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
	msgInvalidARN       = "Request ARN is invalid"
	msgDurationExceeded = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
)

// signingAlgs are the algorithms STS accepts for OIDC tokens.
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
}

// webIdentityResult is what STS adds to a successful answer, and moto leaves out.
type webIdentityResult struct {
	Subject  string
	Audience string
	Provider string
}

// assumeRoleWithWebIdentity judges a call as STS does, in STS's order: input
// validation, token shape, OIDC provider, audience, signature, expiry, role,
// trust policy. It returns what to add to moto's answer, or the refusal.
func (f *Front) assumeRoleWithWebIdentity(ctx context.Context, form url.Values) (*webIdentityResult, *apiError) {
	log := f.log.With().Str("call", "sts:AssumeRoleWithWebIdentity").Str("roleArn", form.Get("RoleArn")).Logger()
	refuse := func(e *apiError, reason string) (*webIdentityResult, *apiError) {
		log.Debug().Str("code", e.Code).Str("reason", reason).Msg("refused")
		return nil, e
	}
	if e := validateAssumeInput(form); e != nil {
		return refuse(e, "input validation")
	}
	role, ok := parseRoleARN(form.Get("RoleArn"))
	if !ok {
		return refuse(senderError(http.StatusBadRequest, "ValidationError", msgInvalidARN), "malformed role ARN")
	}

	// The role is fetched while the provider is looked up and the token
	// verified; it is judged only in STS's order, after them.
	roleCh := make(chan roleAnswer, 1)
	go func() {
		r, err := f.lookup.getRole(ctx, role)
		roleCh <- roleAnswer{r, err}
	}()

	tok, e, reason := f.verifyWebIdentityToken(ctx, role, form.Get("WebIdentityToken"))
	if e != nil {
		if reason == "" { // an internal failure, logged where it happened
			return nil, e
		}
		return refuse(e, reason)
	}
	log = log.With().Str("iss", tok.claims.Iss).Str("sub", tok.claims.Sub).Strs("aud", tok.claims.Aud).Logger()
	if e, reason := f.judgeWebIdentityRole(<-roleCh, role, tok, form.Get("DurationSeconds")); e != nil {
		if reason == "" {
			return nil, e
		}
		return refuse(e, reason)
	}
	log.Debug().Msg("allowed")
	return &webIdentityResult{Subject: tok.claims.Sub, Audience: tok.audience, Provider: tok.provider.ARN}, nil
}

// roleAnswer is moto's answer to GetRole.
type roleAnswer struct {
	role *types.Role
	err  error
}

// verifiedToken is a web identity token that passed STS's token checks.
type verifiedToken struct {
	claims   tokenClaims
	audience string
	provider *provider
}

// verifyWebIdentityToken checks the token in STS's order: shape, OIDC
// provider, audience, signature, expiry. A refusal comes with the reason
// the front logs; an internal failure is marked internal.
func (f *Front) verifyWebIdentityToken(ctx context.Context, role roleARN, token string) (*verifiedToken, *apiError, string) {
	claims, ok := parseClaims(token)
	if !ok {
		return nil, invalidToken(msgNotJWT), "not a JWT"
	}
	if claims.Iss == "" {
		return nil, invalidToken(msgInvalidToken), "token has no iss"
	}
	prov, err := f.lookup.findProvider(ctx, role, claims.Iss)
	if err != nil {
		f.log.Error().Err(err).Msg("looking up the OIDC provider in moto")
		return nil, internalFailure(), ""
	}
	if prov == nil {
		return nil, invalidToken(fmt.Sprintf(msgNoProviderFmt, claims.Iss)), "no OIDC provider"
	}
	audience := ""
	for _, a := range claims.Aud {
		if containsString(prov.ClientIDs, a) {
			audience = a
			break
		}
	}
	if audience == "" {
		return nil, invalidToken(msgAudience), "audience not in the provider's client IDs"
	}
	keys, err := f.opts.KeySet(ctx, claims.Iss)
	if err != nil {
		f.log.Debug().Err(err).Msg("no key set for the issuer")
		return nil, invalidToken(msgNoKey), "key set unavailable"
	}
	verifier := oidc.NewVerifier(claims.Iss, keys, &oidc.Config{
		SkipClientIDCheck: true, SkipExpiryCheck: true, Now: f.opts.Now, SupportedSigningAlgs: signingAlgs,
	})
	if _, err := verifier.Verify(ctx, token); err != nil {
		f.log.Debug().Err(err).Msg("signature not verified")
		return nil, invalidToken(msgNoKey), "signature not verified"
	}
	exp, err := claims.Exp.Float64()
	if err != nil || claims.Sub == "" {
		return nil, invalidToken(msgInvalidToken), "token lacks exp or sub"
	}
	if now := f.opts.Now().Unix(); float64(now) >= exp {
		return nil, senderError(http.StatusBadRequest, "ExpiredTokenException",
			fmt.Sprintf(msgExpiredFmt, now, int64(math.Floor(exp)))), "token expired"
	}
	return &verifiedToken{claims: claims, audience: audience, provider: prov}, nil, ""
}

// judgeWebIdentityRole checks the role as STS does after the token: it
// exists at that ARN, its trust policy allows this token, the duration fits.
func (f *Front) judgeWebIdentityRole(ra roleAnswer, role roleARN, tok *verifiedToken, duration string) (*apiError, string) {
	denied := senderError(http.StatusForbidden, "AccessDenied", msgNotAuthorized)
	if ra.err != nil {
		f.log.Error().Err(ra.err).Msg("looking up the role in moto")
		return internalFailure(), ""
	}
	got := ra.role
	if got == nil {
		return denied, "role does not exist"
	}
	if wrongPath(aws.ToString(got.Arn), role) {
		return denied, "role ARN path differs from the role's"
	}
	trust, err := iampolicy.Parse([]byte(aws.ToString(got.AssumeRolePolicyDocument)))
	if err != nil {
		f.log.Warn().Err(err).Msg("the role's trust policy does not parse")
		return denied, "trust policy does not parse"
	}
	res := iampolicy.EvaluateWebIdentity(trust, iampolicy.WebIdentity{
		ProviderARN: tok.provider.ARN, Subject: tok.claims.Sub, Audience: tok.audience,
		TokenAudiences: tok.claims.Aud, AMR: tok.claims.AMR,
	})
	if !res.Allowed() {
		return denied, "trust policy: " + string(res.Decision)
	}
	if duration != "" && got.MaxSessionDuration != nil {
		if n, err := strconv.Atoi(duration); err == nil && n > int(*got.MaxSessionDuration) {
			return senderError(http.StatusBadRequest, "ValidationError", msgDurationExceeded), "duration above the role's maximum"
		}
	}
	return nil, ""
}

func invalidToken(msg string) *apiError {
	return senderError(http.StatusBadRequest, "InvalidIdentityToken", msg)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)

// validateAssumeInput checks parameters as STS's input validation does, and
// words failures as it does: "1 validation error detected: Value ... at
// 'roleArn' failed to satisfy constraint: ...".
func validateAssumeInput(form url.Values) *apiError {
	var problems []string
	check := func(param, member string, minLen, maxLen int, pattern *regexp.Regexp) {
		vals, present := form[param]
		if !present {
			problems = append(problems, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
			return
		}
		v := vals[0]
		switch {
		case len(v) < minLen:
			problems = append(problems, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", v, member, minLen))
		case len(v) > maxLen:
			problems = append(problems, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", v, member, maxLen))
		case pattern != nil && !pattern.MatchString(v):
			problems = append(problems, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", v, member, `[\w+=,.@-]*`))
		}
	}
	check("RoleArn", "roleArn", 20, 2048, nil)
	check("RoleSessionName", "roleSessionName", 2, 64, sessionNamePattern)
	if _, present := form["WebIdentityToken"]; !present {
		problems = append(problems, "Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null")
	} else if t := form.Get("WebIdentityToken"); len(t) < 4 || len(t) > 20000 {
		// The token itself is never echoed.
		problems = append(problems, "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000")
	}
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be a number", d))
		case n < 900:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", n))
		case n > 43200:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200", n))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	noun := "errors"
	if len(problems) == 1 {
		noun = "error"
	}
	return senderError(http.StatusBadRequest, "ValidationError",
		fmt.Sprintf("%d validation %s detected: %s", len(problems), noun, strings.Join(problems, "; ")))
}

// enrichResponse adds SubjectFromWebIdentityToken, Audience and Provider to a
// successful AssumeRoleWithWebIdentity answer from moto, as STS returns them.
func (f *Front) enrichResponse(resp *http.Response) error {
	c := callFrom(resp.Request.Context())
	if c.enrich == nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFormBody))
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	const open = "<AssumeRoleWithWebIdentityResult>"
	if i := bytes.Index(body, []byte(open)); i >= 0 && !bytes.Contains(body, []byte("<SubjectFromWebIdentityToken>")) {
		var b strings.Builder
		b.WriteString("<SubjectFromWebIdentityToken>")
		xmlEscape(&b, c.enrich.Subject)
		b.WriteString("</SubjectFromWebIdentityToken><Audience>")
		xmlEscape(&b, c.enrich.Audience)
		b.WriteString("</Audience><Provider>")
		xmlEscape(&b, c.enrich.Provider)
		b.WriteString("</Provider>")
		at := i + len(open)
		body = append(body[:at:at], append([]byte(b.String()), body[at:]...)...)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

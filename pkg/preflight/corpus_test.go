package preflight

// The account and issuer hosts of the trust fixtures (the same as
// pkg/trustpolicy's corpus test).
const (
	corpusAccount = "123456789012"
	corpusHost    = "oidc.eks.us-east-1.amazonaws.com/id/5E1D7C0FFEE0123456789ABCDEF01234"
	corpusSwapped = "oidc.us-east-1.eks.amazonaws.com/id/5E1D7C0FFEE0123456789ABCDEF01234"
)

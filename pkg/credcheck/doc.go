// Package credcheck holds podcred's checks. Facts are collected first (env,
// token claims, STS answers, IMDS probes, the SDK credential chain) into a
// Facts value; each check is then a small pure function from Facts to a
// report.Check, so checks are tested with plain values and the collectors
// with httptest servers answering AWS's real wire formats.
package credcheck

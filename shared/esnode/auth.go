package esnode

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// authChallenges are the WWW-Authenticate values ES sends with a 401 when
// basic and API-key realms are enabled.
var authChallenges = []string{`Basic realm="security", charset="UTF-8"`, `ApiKey`}

func (n *Node) authRequired() bool {
	return n.opts.Username != "" || len(n.opts.APIKeys) > 0
}

// authenticate checks the Authorization header when auth is configured;
// false means a 401 was written.
func (n *Node) authenticate(w http.ResponseWriter, r *http.Request) bool {
	if !n.authRequired() {
		return true
	}
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	var reason string
	switch {
	case h == "":
		reason = "missing authentication credentials for REST request [" + r.URL.RequestURI() + "]"
	case strings.EqualFold(scheme, "Basic"):
		user, ok := n.checkBasic(cred)
		if ok {
			return true
		}
		reason = "unable to authenticate user [" + user + "] for REST request [" + r.URL.RequestURI() + "]"
	case strings.EqualFold(scheme, "ApiKey"):
		if n.checkAPIKey(cred) {
			return true
		}
		reason = "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
	default:
		reason = "missing authentication credentials for REST request [" + r.URL.RequestURI() + "]"
	}
	n.stats.authFailures.Add(1)
	for _, c := range authChallenges {
		w.Header().Add("WWW-Authenticate", c)
	}
	writeError(w, r, &esError{
		Status: http.StatusUnauthorized,
		Type:   "security_exception",
		Reason: reason,
		Extra:  map[string]any{"header": map[string]any{"WWW-Authenticate": authChallenges}},
	})
	return false
}

// checkBasic returns the user name sent (for the error message; never the
// password) and whether the credentials match.
func (n *Node) checkBasic(cred string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil || n.opts.Username == "" {
		return "", false
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	ok := subtle.ConstantTimeCompare([]byte(user), []byte(n.opts.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(n.opts.Password)) == 1
	return user, ok
}

func (n *Node) checkAPIKey(cred string) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	id, key, _ := strings.Cut(string(raw), ":")
	for _, k := range n.opts.APIKeys {
		if subtle.ConstantTimeCompare([]byte(id), []byte(k.ID)) == 1 &&
			subtle.ConstantTimeCompare([]byte(key), []byte(k.Key)) == 1 {
			return true
		}
	}
	return false
}

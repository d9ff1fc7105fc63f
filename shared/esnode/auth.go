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

// authenticate checks the Authorization header when auth is configured and
// returns who the caller is (nil when auth is off); false means a 401 was
// written.
func (n *Node) authenticate(w http.ResponseWriter, r *http.Request) (*principal, bool) {
	if !n.authRequired() {
		return nil, true
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
			return &principal{user: user}, true
		}
		reason = "unable to authenticate user [" + user + "] for REST request [" + r.URL.RequestURI() + "]"
	case strings.EqualFold(scheme, "ApiKey"):
		if p, ok := n.checkAPIKey(cred); ok {
			return p, true
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
	return nil, false
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

// checkAPIKey checks an ApiKey credential against the keys from Options
// and those created with POST /_security/api_key.
func (n *Node) checkAPIKey(cred string) (*principal, bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return nil, false
	}
	id, key, _ := strings.Cut(string(raw), ":")
	return n.lookupKey(id, key)
}

package esnode

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// defaultOwner names the user that owns API keys given in Options when the
// node has no basic-auth user, as it appears in denial messages.
const defaultOwner = "elastic"

// principal is who a request authenticated as. limits holds one role set per
// level of restriction: a key's own roles, then those of the key that
// created it, and an action must be allowed by every level. No levels means
// unrestricted (the basic-auth user, a key without role descriptors, or a
// node without auth).
type principal struct {
	user    string
	keyID   string
	keyName string
	limits  []roleSet
}

func (p *principal) restricted() bool { return p != nil && len(p.limits) > 0 }

// describe names the principal as ES does in denial messages.
func (p *principal) describe() string {
	if p.keyID != "" {
		return "API key id [" + p.keyID + "] of user [" + p.user + "]"
	}
	return "user [" + p.user + "]"
}

func (p *principal) allowsCluster(action string) bool {
	for _, s := range p.limits {
		if !s.allowsCluster(action) {
			return false
		}
	}
	return true
}

func (p *principal) allowsIndex(action, index string) bool {
	for _, s := range p.limits {
		if !s.allowsIndex(action, index) {
			return false
		}
	}
	return true
}

type principalKey struct{}

func withPrincipal(r *http.Request, p *principal) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
}

func principalOf(r *http.Request) *principal {
	p, _ := r.Context().Value(principalKey{}).(*principal)
	return p
}

// storedKey is an API key the node accepts. Only a hash of the secret is
// kept, as ES does, so a dump of the node's memory holds no usable key.
type storedKey struct {
	id, name string
	hash     [sha256.Size]byte
	owner    string
	limits   []roleSet
	created  time.Time
	expires  time.Time // zero: never
}

// keyStore holds the keys from Options and those created over the API.
type keyStore struct {
	mu   sync.RWMutex
	keys map[string]*storedKey
}

// initKeys loads Options.APIKeys; their descriptors were validated by New.
func (n *Node) initKeys() error {
	n.keys.keys = map[string]*storedKey{}
	for _, k := range n.opts.APIKeys {
		sk := &storedKey{id: k.ID, name: k.Name, hash: sha256.Sum256([]byte(k.Key)), owner: n.owner(), created: time.Now()}
		if k.RoleDescriptors != nil {
			rs, err := compileRoles(k.RoleDescriptors)
			if err != nil {
				return err
			}
			if len(rs) > 0 {
				sk.limits = []roleSet{rs}
			}
		}
		n.keys.keys[k.ID] = sk
	}
	return nil
}

func (n *Node) owner() string {
	if n.opts.Username != "" {
		return n.opts.Username
	}
	return defaultOwner
}

// compileRoles compiles descriptors in name order, so errors are stable.
func compileRoles(ds map[string]RoleDescriptor) (roleSet, *esError) {
	names := make([]string, 0, len(ds))
	for name := range ds {
		names = append(names, name)
	}
	sort.Strings(names)
	rs := make(roleSet, 0, len(ds))
	for _, name := range names {
		r, err := compileRole(name, ds[name])
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// lookupKey checks id and secret; an unknown id, a wrong secret and an
// expired key all fail the same way.
func (n *Node) lookupKey(id, secret string) (*principal, bool) {
	n.keys.mu.RLock()
	k := n.keys.keys[id]
	n.keys.mu.RUnlock()
	if k == nil {
		return nil, false
	}
	h := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(h[:], k.hash[:]) != 1 {
		return nil, false
	}
	if !k.expires.IsZero() && !n.now().Before(k.expires) {
		return nil, false
	}
	return &principal{user: k.owner, keyID: k.id, keyName: k.name, limits: k.limits}, true
}

// createKeyRequest is the body of POST /_security/api_key.
type createKeyRequest struct {
	Name            *string                   `json:"name"`
	Expiration      string                    `json:"expiration"`
	RoleDescriptors map[string]RoleDescriptor `json:"role_descriptors"`
	Metadata        map[string]any            `json:"metadata"`
}

// timeValue is ES's time unit syntax for expiration (30d, 12h, 90m...).
var timeValue = lazyRegexp(`^(\d+)(nanos|micros|ms|s|m|h|d)$`)

var timeUnits = map[string]time.Duration{
	"nanos": time.Nanosecond, "micros": time.Microsecond, "ms": time.Millisecond,
	"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
}

func parseExpiration(s string) (time.Duration, *esError) {
	m := timeValue().FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, errorf(http.StatusBadRequest, "parse_exception",
			"failed to parse setting [expiration] with value [%s] as a time value: unit is missing or unrecognized", s)
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || v <= 0 {
		return 0, errorf(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: api key expiration must be later than now;")
	}
	return time.Duration(v) * timeUnits[m[2]], nil
}

// handleCreateAPIKey creates a key limited by its role descriptors and, when
// the caller is itself a restricted key, by the caller's limits too, so a
// key can never hand out more than it holds. Authorization (the cluster
// privilege to create keys) happened before.
func (n *Node) handleCreateAPIKey(w http.ResponseWriter, r *http.Request) {
	if !n.authRequired() {
		writeError(w, r, errSecurityDisabled())
		return
	}
	var req createKeyRequest
	if !n.readJSONBody(w, r, &req) {
		return
	}
	if req.Name == nil || strings.TrimSpace(*req.Name) == "" {
		writeError(w, r, newError(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: api key name is required;"))
		return
	}
	var ttl time.Duration
	if req.Expiration != "" {
		var e *esError
		if ttl, e = parseExpiration(req.Expiration); e != nil {
			writeError(w, r, e)
			return
		}
	}
	rs, e := compileRoles(req.RoleDescriptors)
	if e != nil {
		writeError(w, r, e)
		return
	}
	caller := principalOf(r)
	k := &storedKey{id: n.ids.next(), name: *req.Name, owner: n.owner(), created: n.now()}
	if caller != nil {
		k.owner = caller.user
		k.limits = append(k.limits, caller.limits...)
	}
	if len(rs) > 0 {
		k.limits = append([]roleSet{rs}, k.limits...)
	}
	secret := randomUUID()
	k.hash = sha256.Sum256([]byte(secret))
	resp := map[string]any{
		"id": k.id, "name": k.name, "api_key": secret,
		"encoded": base64.StdEncoding.EncodeToString([]byte(k.id + ":" + secret)),
	}
	if ttl > 0 {
		k.expires = k.created.Add(ttl)
		resp["expiration"] = k.expires.UnixMilli()
	}
	n.keys.mu.Lock()
	n.keys.keys[k.id] = k
	n.keys.mu.Unlock()
	writeJSON(w, r, http.StatusOK, resp)
}

// handleAuthenticate answers GET /_security/_authenticate, which every
// authenticated caller may use.
func (n *Node) handleAuthenticate(w http.ResponseWriter, r *http.Request) {
	if !n.authRequired() {
		writeError(w, r, errSecurityDisabled())
		return
	}
	p := principalOf(r)
	if p == nil {
		p = &principal{user: n.owner()}
	}
	body := map[string]any{
		"username": p.user, "full_name": nil, "email": nil, "metadata": map[string]any{}, "enabled": true,
	}
	if p.keyID != "" {
		realm := map[string]any{"name": "_es_api_key", "type": "_es_api_key"}
		body["roles"] = []string{}
		body["authentication_realm"], body["lookup_realm"] = realm, realm
		body["authentication_type"] = "api_key"
		body["api_key"] = map[string]any{"id": p.keyID, "name": p.keyName}
	} else {
		realm := map[string]any{"name": "file", "type": "file"}
		body["roles"] = []string{"superuser"}
		body["authentication_realm"], body["lookup_realm"] = realm, realm
		body["authentication_type"] = "realm"
	}
	writeJSON(w, r, http.StatusOK, body)
}

// errSecurityDisabled is what ES answers to security APIs when security is
// off, as it is on a node started without users or keys.
func errSecurityDisabled() *esError {
	return newError(http.StatusInternalServerError, "exception",
		"Security must be explicitly enabled when using a [basic] license. Enable security by setting [xpack.security.enabled] to [true] in the elasticsearch.yml file and restart the node.")
}

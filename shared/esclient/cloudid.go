package esclient

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CloudURL returns the Elasticsearch address an Elastic Cloud id stands for.
//
// A cloud id is "<deployment name>:<base64 of host[:port]$es-uuid[$kibana-uuid]>";
// the Elasticsearch endpoint is https://<es-uuid>.<host>[:port]. The name
// before the colon is only a label for humans. The part after the last
// colon is decoded (base64 never contains a colon, names might).
func CloudURL(cloudID string) (*url.URL, error) {
	i := strings.LastIndexByte(cloudID, ':')
	if i < 0 {
		return nil, fmt.Errorf("%w: %s is not <name>:<base64>", ErrInvalidSettings, EnvCloudID)
	}
	enc := cloudID[i+1:]
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		// Some tools print the id without its base64 padding.
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(enc, "="))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: the part after the colon is not base64", ErrInvalidSettings, EnvCloudID)
	}
	parts := strings.Split(string(raw), "$")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return nil, fmt.Errorf("%w: %s: the decoded value is not <host>$<es-uuid>[$<kibana-uuid>]", ErrInvalidSettings, EnvCloudID)
	}
	host, port := parts[0], ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		host, port = h, p
	}
	addr := parts[1] + "." + host
	if port != "" {
		addr = net.JoinHostPort(addr, port)
	}
	u := &url.URL{Scheme: "https", Host: addr}
	if strings.ContainsAny(addr, "/?#@ ") {
		return nil, fmt.Errorf("%w: %s: %q is not a host name", ErrInvalidSettings, EnvCloudID, addr)
	}
	return u, nil
}

package esnode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Server is a Node listening on a TCP address.
type Server struct {
	// URL is the base URL clients use, e.g. http://127.0.0.1:39201.
	URL string
	// CACertPEM is the CA that signed the server certificate when the node
	// generated one (Options.SelfSignedTLS); nil otherwise.
	CACertPEM []byte
	// Node is the handler, for SetFaults, SetWriteBlock and Stats.
	Node *Node

	srv  *http.Server
	done chan error
}

// shutdownGrace bounds how long Close waits for in-flight requests before
// it closes every connection. It is short on purpose: http.Server.Shutdown
// also waits for connections a client opened and never sent a request on
// (it only treats them as idle after 5 s), and a test or the dev stack
// stopping must not hang on a client's pooled connection.
const shutdownGrace = 500 * time.Millisecond

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves a new
// Node with opts until Close.
func Start(addr string, opts Options) (*Server, error) {
	node, err := New(opts)
	if err != nil {
		return nil, err
	}
	var tlsConf *tls.Config
	var caPEM []byte
	switch {
	case opts.TLSCertFile != "":
		cert, err := tls.LoadX509KeyPair(opts.TLSCertFile, opts.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading tls key pair: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
	case opts.SelfSignedTLS:
		cert, ca, err := SelfSignedCert()
		if err != nil {
			return nil, fmt.Errorf("generating self-signed certificate: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
		caPEM = ca
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	scheme := "http"
	if tlsConf != nil {
		// HTTP/1.1 only: connection-reset faults need to hijack connections.
		tlsConf.NextProtos = []string{"http/1.1"}
		tlsConf.MinVersion = tls.VersionTLS12
		ln = tls.NewListener(ln, tlsConf)
		scheme = "https"
	}
	s := &Server{
		URL:       scheme + "://" + ln.Addr().String(),
		CACertPEM: caPEM,
		Node:      node,
		srv: &http.Server{
			Handler:           node,
			ReadHeaderTimeout: 30 * time.Second,
			ErrorLog:          nil,
		},
		done: make(chan error, 1),
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// Close stops accepting connections, lets in-flight requests finish for a
// short grace period, then closes every connection that is left: idle,
// unused or still busy. Cutting a slow request off is what a node that
// stops does too; Close reports only a failure of the listener itself.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		// The grace period ran out: close the remaining connections now.
		// Their handlers see their request context end (Latency stops
		// waiting) and their writes fail.
		_ = s.srv.Close()
	}
	if err := <-s.done; err != nil {
		return fmt.Errorf("closing esnode: %w", err)
	}
	return nil
}

// WriteCACert writes the generated CA certificate (PEM) to path, for
// clients such as curl --cacert or ES_CA_CERT.
func (s *Server) WriteCACert(path string) error {
	if len(s.CACertPEM) == 0 {
		return errors.New("esnode: no generated CA certificate (SelfSignedTLS is off)")
	}
	if err := os.WriteFile(path, s.CACertPEM, 0o644); err != nil {
		return fmt.Errorf("writing CA certificate: %w", err)
	}
	return nil
}

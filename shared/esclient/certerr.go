package esclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// ErrCertificate is wrapped by CertificateError: the node's TLS certificate
// was refused. Retrying cannot help, so callers fail at once.
var ErrCertificate = errors.New("the node's TLS certificate is not trusted")

// CertificateError returns err explained, wrapping ErrCertificate, when err
// is a failed TLS certificate verification, and nil otherwise. The text names
// the problem and the setting that fixes it.
func CertificateError(err error) error {
	var verr *tls.CertificateVerificationError
	var host x509.HostnameError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		return fmt.Errorf("%w: %v: the certificate does not name the host in %s; connect by a name it holds", ErrCertificate, err, EnvURL)
	case errors.As(err, &unknown):
		return fmt.Errorf("%w: %v: set %s to the CA certificate that signed the node's certificate", ErrCertificate, err, EnvCACert)
	case errors.As(err, &invalid):
		return fmt.Errorf("%w: %v: the node's certificate must be renewed or fixed (or %s must hold the right CA)", ErrCertificate, err, EnvCACert)
	case errors.As(err, &verr):
		return fmt.Errorf("%w: %v: check %s", ErrCertificate, err, EnvCACert)
	}
	return nil
}

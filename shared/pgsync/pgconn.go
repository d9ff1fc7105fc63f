package pgsync

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/esconnect/esconnect/shared/config"
)

// PGConn is the PostgreSQL connection string. It carries the password, so
// its fields are unexported (JSON shows nothing) and String leaves it out.
type PGConn struct {
	dsn      string
	display  string
	setting  string
	password string
}

// ConnString returns the full connection string, password included; pass it
// only to the driver.
func (c PGConn) ConnString() string { return c.dsn }

// String describes the connection without the password.
func (c PGConn) String() string { return c.display }

// Setting names the variable the connection string came from (PG_URL, or
// PG_HOST for the separate settings), for error messages.
func (c PGConn) Setting() string { return c.setting }

// described returns c with the description String gives, made from what
// the driver's parser read from the connection string.
func (c PGConn) described(display string) PGConn {
	c.display = display
	return c
}

// Scrub removes the password from a driver message; the driver redacts
// what it recognises, this catches the rest.
func (c PGConn) Scrub(msg string) string { return scrub(msg, c.password) }

// loadPGConn builds the connection string from PG_URL, or from PG_HOST and
// its companions.
func loadPGConn(env *config.Env) PGConn {
	password := env.Secret(EnvPGPassword, "")
	sslmode, hasMode := env.Lookup(EnvPGSSLMode)
	rootcert, hasRoot := env.Lookup(EnvPGSSLRootCert)
	if hasMode {
		switch sslmode {
		case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
		default:
			env.Fail(EnvPGSSLMode, "%q is not one of disable, allow, prefer, require, verify-ca, verify-full", sslmode)
			hasMode = false
		}
	}

	var dsn string
	if u, ok := env.Lookup(EnvPGURL); ok {
		for _, n := range []string{EnvPGHost, EnvPGPort, EnvPGUser, EnvPGDatabase} {
			if _, set := env.Lookup(n); set {
				env.Fail(n, "set together with %s; use one or the other", EnvPGURL)
			}
		}
		dsn = u
		// Settings given separately are appended as keyword/value pairs or
		// query parameters, where they override what the URL says.
		if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			if hasMode {
				dsn += sep + "sslmode=" + url.QueryEscape(sslmode)
				sep = "&"
			}
			if hasRoot {
				dsn += sep + "sslrootcert=" + url.QueryEscape(rootcert)
			}
			if password != "" {
				env.Fail(EnvPGPassword, "set together with a %s URL; put the password in the URL or use PG_HOST", EnvPGURL)
			}
		} else {
			if hasMode {
				dsn += " sslmode=" + kvQuote(sslmode)
			}
			if hasRoot {
				dsn += " sslrootcert=" + kvQuote(rootcert)
			}
			if password != "" {
				dsn += " password=" + kvQuote(password)
			}
		}
	} else {
		host, ok := env.Lookup(EnvPGHost)
		if !ok {
			env.Fail(EnvPGHost, "required when %s is not set", EnvPGURL)
			return PGConn{}
		}
		port := env.Int(EnvPGPort, DefaultPGPort, 1, 65535)
		parts := []string{"host=" + kvQuote(host), "port=" + strconv.Itoa(port)}
		if user, ok := env.Lookup(EnvPGUser); ok {
			parts = append(parts, "user="+kvQuote(user))
		}
		if db, ok := env.Lookup(EnvPGDatabase); ok {
			parts = append(parts, "dbname="+kvQuote(db))
		}
		if hasMode {
			parts = append(parts, "sslmode="+kvQuote(sslmode))
		}
		if hasRoot {
			parts = append(parts, "sslrootcert="+kvQuote(rootcert))
		}
		if password != "" {
			parts = append(parts, "password="+kvQuote(password))
		}
		dsn = strings.Join(parts, " ")
	}

	return PGConn{dsn: dsn, setting: connSetting(env), password: password}
}

func connSetting(env *config.Env) string {
	if _, ok := env.Lookup(EnvPGURL); ok {
		return EnvPGURL
	}
	return EnvPGHost
}

// kvQuote quotes a value for a keyword/value connection string.
func kvQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s + "'"
}

// scrub removes a password from a driver message; the driver redacts what it
// recognises, this catches the rest.
func scrub(msg, password string) string {
	if password == "" {
		return msg
	}
	for _, p := range []string{password, url.QueryEscape(password), url.PathEscape(password), kvQuote(password)} {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return msg
}

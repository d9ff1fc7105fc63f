package config

// Redacted stands in for a credential in String and LogValue methods of
// settings, which may then be logged as they are.
const Redacted = "[redacted]"

// Redact returns Redacted for a set secret and "" for an unset one, so a
// description still tells whether the secret is there.
func Redact(secret string) string {
	if secret == "" {
		return ""
	}
	return Redacted
}

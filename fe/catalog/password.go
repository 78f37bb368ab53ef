package catalog

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// HashPassword returns SHA1(SHA1(password)), the mysql_native_password
// hash accounts store; the empty password hashes to nil (no password).
func HashPassword(password string) []byte {
	if password == "" {
		return nil
	}
	s1 := sha1.Sum([]byte(password))
	s2 := sha1.Sum(s1[:])
	return s2[:]
}

// PasswordMatches reports whether password hashes to the stored hash. The
// comparison takes the same time wherever the hashes differ, so a caller
// timing failed logins learns nothing about the stored hash.
func PasswordMatches(stored []byte, password string) bool {
	return subtle.ConstantTimeCompare(stored, HashPassword(password)) == 1
}

// ParsePasswordHash parses the '*' + 40 hex digits form of a hash (what
// PASSWORD() returns and IDENTIFIED BY PASSWORD takes).
func ParsePasswordHash(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) != 41 || s[0] != '*' {
		return nil, fmt.Errorf("Password hash should be a 41-digit hexadecimal number")
	}
	b, err := hex.DecodeString(s[1:])
	if err != nil {
		return nil, fmt.Errorf("Password hash should be a 41-digit hexadecimal number")
	}
	return b, nil
}

// FormatPasswordHash renders a stored hash as '*' + 40 upper-case hex digits.
func FormatPasswordHash(h []byte) string {
	if len(h) == 0 {
		return ""
	}
	return "*" + strings.ToUpper(hex.EncodeToString(h))
}

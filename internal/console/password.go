package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/enews/enews/internal/newsletter"
)

// Passwords are hashed with argon2id and stored in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), so hashes made with other
// parameters keep verifying after the defaults change.

// HashParams are argon2id's cost parameters.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultHashParams follow OWASP's first argon2id recommendation (19 MiB,
// two passes, one lane): about 30 ms a login on a small server.
func DefaultHashParams() HashParams { return HashParams{Memory: 19 * 1024, Time: 2, Threads: 1} }

// Password length bounds, in characters. Long passphrases are welcome; the
// upper bound only keeps a hashing request from being a denial of service.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// CheckPassword says what is wrong with a new password, if anything.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return fmt.Errorf("%w: password is not valid UTF-8", newsletter.ErrInvalid)
	case n < MinPasswordLen:
		return fmt.Errorf("%w: password must have at least %d characters", newsletter.ErrInvalid, MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Errorf("%w: password must have at most %d characters", newsletter.ErrInvalid, MaxPasswordLen)
	}
	return nil
}

// HashPassword hashes pw with a fresh random salt.
func HashPassword(pw string, p HashParams) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("console: hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword tells whether pw matches the encoded hash, in time that
// does not depend on where they differ.
func VerifyPassword(pw, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("console: verify password: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("console: verify password: argon2 version %q", parts[2])
	}
	var p HashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Time == 0 || p.Threads == 0 || p.Memory > 1<<22 || p.Time > 100 {
		return false, fmt.Errorf("console: verify password: parameters %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("console: verify password: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("console: verify password: hash: %v", err)
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

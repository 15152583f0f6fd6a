// Package signing makes and checks the tokens in public links (confirm a
// subscription, unsubscribe) and the keyed hash of an address kept after an
// erase.
//
// A token is base64url without padding, so it only holds [A-Za-z0-9_-] and
// can sit in a URL path or query unescaped. Inside:
//
//	version (1 byte) | varint subscriber id | uvarint expiry (Unix seconds, 0 = never) | MAC (16 bytes)
//
// The MAC is HMAC-SHA256, truncated to 128 bits, over the purpose and the
// bytes before it, under a key derived from the secret. Truncation keeps
// links short; 128 bits is far beyond what anyone can guess online.
//
// Tokens hold no state: nothing is stored per token, and a token cannot be
// revoked except by changing the secret, which revokes every token.
//
// Expiry: a zero expires time means the token never expires. Unsubscribe
// links must use it: they sit in mailboxes for years, and a reader who finds
// an old issue must still be able to leave the list in one click (RFC 8058,
// and the law in most places). Confirmation links should expire.
package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// Purposes used by enews. Any string works; these keep the spelling in one
// place so a confirm link and the handler that checks it agree.
const (
	PurposeConfirm     = "confirm"
	PurposeUnsubscribe = "unsubscribe"
)

// Verify errors. ErrTokenExpired is only returned for a token that is
// otherwise genuine, so a page can offer to send a fresh link.
var (
	ErrTokenInvalid = errors.New("signing: token invalid")
	ErrTokenExpired = errors.New("signing: token expired")
)

// MinSecretBytes is the shortest secret New accepts: as long as the
// HMAC-SHA256 output, so the key is not the weak point.
const MinSecretBytes = 32

const (
	version = 1
	macSize = 16
	// maxTokenLen is the longest token Sign can make: 1 + 10 + 10 + 16
	// bytes, base64 encoded. Longer input is refused before decoding.
	maxTokenLen = (1 + 2*binary.MaxVarintLen64 + macSize + 2) * 4 / 3
)

// Signer is safe for concurrent use: it holds only immutable keys.
type Signer struct {
	tokenKey   []byte
	addressKey []byte
	// addressMACs reuses keyed hashers: after its first Reset, an HMAC
	// restores its keyed state instead of hashing the key again, which was
	// most of the cost of hashing a short address (a million per import).
	addressMACs *sync.Pool
}

// New derives the token and address keys from secret. The two keys are
// independent, so a token MAC can never be mistaken for an address hash or
// the other way round.
func New(secret []byte) (*Signer, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("%w: signing: secret is %d bytes, need at least %d", newsletter.ErrInvalid, len(secret), MinSecretBytes)
	}
	s := &Signer{
		tokenKey:   derive(secret, "enews token v1"),
		addressKey: derive(secret, "enews address hash v1"),
	}
	s.addressMACs = &sync.Pool{New: func() any { return hmac.New(sha256.New, s.addressKey) }}
	return s, nil
}

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Sign makes a token for subscriberID, good for purpose only, until expires
// (to the second, rounded down) or for ever when expires is zero.
func (s *Signer) Sign(purpose string, subscriberID int64, expires time.Time) string {
	buf := make([]byte, 0, 1+2*binary.MaxVarintLen64+macSize)
	buf = append(buf, version)
	buf = binary.AppendVarint(buf, subscriberID)
	buf = binary.AppendUvarint(buf, expiryField(expires))
	buf = s.mac(buf, purpose, buf)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// expiryField encodes expires; 0 is reserved for "never", so an expiry at
// or before the epoch becomes 1 and stays expired.
func expiryField(expires time.Time) uint64 {
	if expires.IsZero() {
		return 0
	}
	return uint64(max(expires.Unix(), 1))
}

// mac appends the truncated MAC of purpose and body to dst. The purpose goes
// first with its length, so no purpose/body split can collide with another.
func (s *Signer) mac(dst []byte, purpose string, body []byte) []byte {
	m := hmac.New(sha256.New, s.tokenKey)
	var n [binary.MaxVarintLen64]byte
	m.Write(n[:binary.PutUvarint(n[:], uint64(len(purpose)))])
	m.Write([]byte(purpose))
	m.Write(body)
	var sum [sha256.Size]byte
	return append(dst, m.Sum(sum[:0])[:macSize]...)
}

// Verify checks token for purpose at now and returns the subscriber id. A
// token for another purpose, from another secret, or altered in any way is
// ErrTokenInvalid; a genuine one past its expiry is ErrTokenExpired.
func (s *Signer) Verify(purpose, token string, now time.Time) (subscriberID int64, err error) {
	id, _, err := s.VerifyExpiry(purpose, token, now)
	return id, err
}

// VerifyExpiry is Verify that also returns the token's expiry (zero for
// never), from which a link's sending time follows.
func (s *Signer) VerifyExpiry(purpose, token string, now time.Time) (subscriberID int64, expires time.Time, err error) {
	id, exp, err := s.verify(purpose, token, now)
	if err != nil || exp == 0 {
		return id, time.Time{}, err
	}
	return id, time.Unix(int64(exp), 0), nil
}

func (s *Signer) verify(purpose, token string, now time.Time) (int64, uint64, error) {
	// The alphabet is checked by hand because the decoder skips CR and LF,
	// which would let two different strings pass as one token.
	if len(token) > maxTokenLen || !isBase64URL(token) {
		return 0, 0, ErrTokenInvalid
	}
	// Strict: the unused low bits of the last character must be zero, so
	// no two strings decode to the same token.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < 1+2+macSize || raw[0] != version {
		return 0, 0, ErrTokenInvalid
	}
	body, sum := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	var want [macSize + 1]byte
	if !hmac.Equal(s.mac(want[:0], purpose, body), sum) {
		return 0, 0, ErrTokenInvalid
	}
	// Genuine from here on; the fields are parsed only now so a forger
	// learns nothing from which check failed.
	id, n := binary.Varint(body[1:])
	if n <= 0 {
		return 0, 0, ErrTokenInvalid
	}
	expires, m := binary.Uvarint(body[1+n:])
	if m <= 0 || 1+n+m != len(body) {
		return 0, 0, ErrTokenInvalid
	}
	// Sign never writes more than a Unix time fits, so the conversion holds.
	if expires != 0 && now.Unix() >= int64(expires) {
		return 0, 0, ErrTokenExpired
	}
	return id, expires, nil
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// HashAddress is a keyed hash (hex HMAC-SHA256) of the lower-cased address.
// The erase suppression list and the consent log keep it instead of the
// address: a returning address can still be recognised, but the list cannot
// be reversed by hashing a dictionary of addresses without the secret.
// Changing the secret changes every hash, and the erased addresses are gone,
// so old entries could never be matched again: the secret has to outlive the
// suppression list.
func (s *Signer) HashAddress(email string) string {
	m := s.addressMACs.Get().(hash.Hash)
	defer s.addressMACs.Put(m)
	m.Reset()
	m.Write([]byte(strings.ToLower(email)))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}

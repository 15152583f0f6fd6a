package signing

import (
	"crypto/hmac"
	"encoding/base32"
	"encoding/binary"
	"strings"
)

// Delivery tokens name one delivery, the pair (issue, subscriber), inside an
// email address: the VERP return path bounces+TOKEN@domain and the mailto
// unsubscribe address unsubscribe+TOKEN@domain. Inside:
//
//	version (1 byte) | uvarint issue id | uvarint subscriber id | MAC (10 bytes)
//
// They are lower-case base32 without padding, not base64: the local part of
// an address is case-sensitive by the RFCs, but enough mail servers and
// bounce generators fold it that a token must survive being lower- or
// upper-cased. The MAC is 80 bits, shorter than a link token's, to keep the
// address well under the local part's 64 characters; guessing it online,
// one SMTP transaction per guess, is still out of reach.
const (
	deliveryVersion = 2
	deliveryMACSize = 10
	// maxDeliveryTokenLen is the longest token SignDelivery can make.
	maxDeliveryTokenLen = ((1+2*binary.MaxVarintLen64+deliveryMACSize)*8 + 4) / 5
)

// Delivery token purposes.
const (
	PurposeBounce            = "bounce"
	PurposeMailtoUnsubscribe = "mailto-unsubscribe"
)

var deliveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// SignDelivery makes a token for one delivery, good for purpose only. It
// never expires: a bounce may arrive days later, and an unsubscribe by
// mail from an old issue must still work.
func (s *Signer) SignDelivery(purpose string, issueID, subscriberID int64) string {
	buf := make([]byte, 0, 1+2*binary.MaxVarintLen64+deliveryMACSize)
	buf = append(buf, deliveryVersion)
	buf = binary.AppendUvarint(buf, uint64(issueID))
	buf = binary.AppendUvarint(buf, uint64(subscriberID))
	full := s.mac(nil, purpose, buf)
	buf = append(buf, full[:deliveryMACSize]...)
	return deliveryEncoding.EncodeToString(buf)
}

// VerifyDelivery checks a delivery token for purpose, in any letter case,
// and returns the pair it names. Anything altered or forged is
// ErrTokenInvalid.
func (s *Signer) VerifyDelivery(purpose, token string) (issueID, subscriberID int64, err error) {
	if len(token) > maxDeliveryTokenLen {
		return 0, 0, ErrTokenInvalid
	}
	token = strings.ToLower(token)
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return 0, 0, ErrTokenInvalid
		}
	}
	raw, err := deliveryEncoding.DecodeString(token)
	// Only the canonical spelling counts: unused low bits must be zero.
	if err != nil || deliveryEncoding.EncodeToString(raw) != token || len(raw) < 1+2+deliveryMACSize || raw[0] != deliveryVersion {
		return 0, 0, ErrTokenInvalid
	}
	body, sum := raw[:len(raw)-deliveryMACSize], raw[len(raw)-deliveryMACSize:]
	want := s.mac(nil, purpose, body)
	if !hmac.Equal(want[:deliveryMACSize], sum) {
		return 0, 0, ErrTokenInvalid
	}
	issue, n := binary.Uvarint(body[1:])
	if n <= 0 {
		return 0, 0, ErrTokenInvalid
	}
	sub, m := binary.Uvarint(body[1+n:])
	if m <= 0 || 1+n+m != len(body) || issue == 0 || sub == 0 || issue > 1<<62 || sub > 1<<62 {
		return 0, 0, ErrTokenInvalid
	}
	return int64(issue), int64(sub), nil
}

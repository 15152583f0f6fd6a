package bounce_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enews/enews/internal/bounce"
	"github.com/enews/enews/internal/newsletter"
)

const snsTopic = "arn:aws:sns:eu-west-1:123456789012:enews-bounces"

// snsTestServer plays SNS: an https server on 127.0.0.1 with a self-made
// CA, serving the signing certificate and the subscription confirmation.
type snsTestServer struct {
	srv       *httptest.Server
	ca        *x509.Certificate
	key       *rsa.PrivateKey
	confirmed atomic.Int32
}

func newSNSTestServer(t *testing.T) *snsTestServer {
	t.Helper()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test SNS CA"},
		NotBefore: webhookNow.Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	s := &snsTestServer{ca: ca}
	if s.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: webhookNow.Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &s.key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	// A self-signed certificate with the same key: right key, untrusted chain.
	selfDER, err := x509.CreateCertificate(rand.Reader, leaf, leaf, &s.key.PublicKey, s.key)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cert.pem", func(w http.ResponseWriter, _ *http.Request) {
		_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	})
	mux.HandleFunc("GET /self-signed.pem", func(w http.ResponseWriter, _ *http.Request) {
		_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: selfDER})
	})
	mux.HandleFunc("GET /confirm", func(w http.ResponseWriter, _ *http.Request) { s.confirmed.Add(1) })
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// verifier trusts the test CA and takes 127.0.0.1 for an SNS host.
func (s *snsTestServer) verifier() *bounce.SNSVerifier {
	roots := x509.NewCertPool()
	roots.AddCert(s.ca)
	return &bounce.SNSVerifier{Client: s.srv.Client(), Roots: roots,
		HostAllowed: func(host string) bool { return host == "127.0.0.1" }}
}

// sign returns the SNS JSON for fields, signed (forge: by another key).
func (s *snsTestServer) sign(fields map[string]string, version string, forge bool) []byte {
	key := s.key
	if forge {
		key, _ = rsa.GenerateKey(rand.Reader, 2048)
	}
	out := map[string]string{}
	for k, v := range fields {
		out[k] = v
	}
	out["SignatureVersion"] = version
	if _, ok := out["SigningCertURL"]; !ok {
		out["SigningCertURL"] = s.srv.URL + "/cert.pem"
	}
	out["Signature"] = signSNS(key, fields, version)
	b, _ := json.Marshal(out)
	return b
}

func TestSESChecks(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{subscribers: 1, sent: true, status: newsletter.IssueSent})
	p := newProviders(t)
	srv := httptest.NewServer(bounce.NewWebhooks(w.svc, p.cfg, nil).Handler())
	t.Cleanup(srv.Close)
	sub := w.subs[0]
	_, good, _ := sesRequest("Bounce")(p, w, sub, false)
	var fields map[string]string
	if err := json.Unmarshal(good, &fields); err != nil {
		t.Fatal(err)
	}
	resign := func(change map[string]string, version string) []byte {
		f := map[string]string{}
		for _, k := range []string{"Type", "MessageId", "TopicArn", "Message", "Timestamp"} {
			f[k] = fields[k]
		}
		for k, v := range change {
			f[k] = v
		}
		return p.sns.sign(f, version, false)
	}
	tests := []struct {
		name string
		body []byte
		want int
	}{
		{"certificate over http", resign(map[string]string{"SigningCertURL": strings.Replace(p.sns.srv.URL, "https:", "http:", 1) + "/cert.pem"}, "2"), 401},
		{"certificate on another host", resign(map[string]string{"SigningCertURL": "https://sns.evil.example/cert.pem"}, "2"), 401},
		{"self-signed certificate", resign(map[string]string{"SigningCertURL": p.sns.srv.URL + "/self-signed.pem"}, "2"), 401},
		{"unknown topic", resign(map[string]string{"TopicArn": "arn:aws:sns:eu-west-1:999999999999:other"}, "2"), 401},
		{"message altered after signing", []byte(strings.Replace(string(good), "Permanent", "Transient", 1)), 401},
		{"unknown signature version", resign(nil, "3"), 401},
		{"not an SNS message", []byte(`{"hello":"world"}`), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.snapshot(t)
			resp, err := http.Post(srv.URL+"/webhooks/ses", "text/plain", strings.NewReader(string(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if after := w.snapshot(t); after != before {
				t.Errorf("database changed:\n%s", after)
			}
		})
	}
	t.Run("signature version 1 verifies", func(t *testing.T) {
		resp, err := http.Post(srv.URL+"/webhooks/ses", "text/plain", strings.NewReader(string(resign(nil, "1"))))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || w.status(t, sub) != newsletter.SubscriberBounced {
			t.Fatalf("status %d, subscriber %s", resp.StatusCode, w.status(t, sub))
		}
	})
	t.Run("subscription confirmation", func(t *testing.T) {
		confirm := p.sns.srv.URL + "/confirm?Token=abc"
		body := p.sns.sign(map[string]string{"Type": "SubscriptionConfirmation", "MessageId": "sub-1", "Token": "abc",
			"TopicArn": snsTopic, "Message": "You have chosen to subscribe", "SubscribeURL": confirm,
			"Timestamp": "2022-05-02T09:00:00.000Z"}, "2", false)
		resp, err := http.Post(srv.URL+"/webhooks/ses", "text/plain", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || p.sns.confirmed.Load() != 1 {
			t.Fatalf("status %d, confirmations %d", resp.StatusCode, p.sns.confirmed.Load())
		}
	})
}

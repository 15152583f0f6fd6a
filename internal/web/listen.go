package web

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// HTTPLimits bound every connection and request of a listener: a client
// that sends too slowly (slowloris), reads too slowly or keeps an idle
// connection open is cut off, and a body past the limit is refused. Zero
// fields take the defaults.
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration // 10 s
	ReadTimeout       time.Duration // the whole request, body included: 30 s
	WriteTimeout      time.Duration // 60 s
	IdleTimeout       time.Duration // a keep-alive connection between requests: 60 s
	MaxHeaderBytes    int           // 64 KiB
	MaxBodyBytes      int64         // 1 MiB, except imports
	ImportTimeout     time.Duration // an import, upload included: 10 min
	MaxImportBytes    int64         // 256 MiB
}

func (l HTTPLimits) withDefaults() HTTPLimits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 30*time.Second)
	def(&l.WriteTimeout, 60*time.Second)
	def(&l.IdleTimeout, 60*time.Second)
	def(&l.ImportTimeout, 10*time.Minute)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 1 << 20
	}
	if l.MaxImportBytes <= 0 {
		l.MaxImportBytes = 256 << 20
	}
	return l
}

// NewHTTPServer is an http.Server for h on addr with the timeouts of l.
// Every listener enews opens is made here.
func NewHTTPServer(addr string, h http.Handler, l HTTPLimits) *http.Server {
	l = l.withDefaults()
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes,
	}
}

// isImport tells the routes that take a whole subscriber list.
func isImport(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/api/subscribers/import" || r.URL.Path == "/admin/subscribers/import")
}

// limitBody bounds r's body, and gives an import the time and size of
// HTTPLimits' import settings instead of the listener's defaults.
func limitBody(w http.ResponseWriter, r *http.Request, l HTTPLimits) (*http.Request, context.CancelFunc) {
	if !isImport(r) {
		r.Body = http.MaxBytesReader(w, r.Body, l.MaxBodyBytes)
		return r, func() {}
	}
	r.Body = http.MaxBytesReader(w, r.Body, l.MaxImportBytes)
	deadline := time.Now().Add(l.ImportTimeout)
	rc := http.NewResponseController(w)
	// Best effort: a ResponseWriter that cannot move its deadlines keeps
	// the listener's, which only makes the import shorter.
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline.Add(30 * time.Second))
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	return r.WithContext(ctx), cancel
}

// ClientIPBehind returns the function that tells a request's client
// address: the connection's peer, unless that peer is one of trusted
// (a reverse proxy), when X-Forwarded-For is read from the right, past
// every trusted hop, to the first address a trusted proxy saw. A header
// from anyone else is ignored: it is the client's to forge.
func ClientIPBehind(trusted []netip.Prefix) func(*http.Request) netip.Addr {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) netip.Addr {
		peer := peerIP(r)
		if len(trusted) == 0 || !isTrusted(peer) {
			return peer
		}
		var hops []string
		for _, h := range r.Header.Values("X-Forwarded-For") {
			hops = append(hops, strings.Split(h, ",")...)
		}
		client := peer
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				// A hop that is not an address ends what can be believed.
				return client
			}
			client = a.Unmap()
			if !isTrusted(client) {
				return client
			}
		}
		return client
	}
}

package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound what one client or one address can set off through the
// subscribe form. Zero fields take the defaults.
type Limits struct {
	// SubscribePerIP is the sustained rate of form posts per client IP;
	// SubscribeIPBurst how many may come at once.
	SubscribePerIP   rate.Limit
	SubscribeIPBurst int
	// ConfirmPerAddress is the sustained rate of confirmation emails to one
	// address, whoever asks: the form must not become a way to flood
	// someone's mailbox. Past it, the form answers as usual and sends
	// nothing.
	ConfirmPerAddress   rate.Limit
	ConfirmAddressBurst int
	// MaxTracked bounds the clients and addresses remembered at once.
	MaxTracked int
}

func (l Limits) withDefaults() Limits {
	if l.SubscribePerIP == 0 {
		l.SubscribePerIP = rate.Every(time.Minute)
	}
	if l.SubscribeIPBurst == 0 {
		l.SubscribeIPBurst = 5
	}
	if l.ConfirmPerAddress == 0 {
		l.ConfirmPerAddress = rate.Every(15 * time.Minute)
	}
	if l.ConfirmAddressBurst == 0 {
		l.ConfirmAddressBurst = 2
	}
	if l.MaxTracked == 0 {
		l.MaxTracked = 100_000
	}
	return l
}

// limiter is a token bucket per key.
type limiter struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	max   int
	keys  map[string]*rate.Limiter
	swept time.Time // last sweep, to sweep at most once a second
}

func newLimiter(every rate.Limit, burst, max int) *limiter {
	return &limiter{every: every, burst: burst, max: max, keys: make(map[string]*rate.Limiter)}
}

// allow takes one token from key's bucket.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.max && now.Sub(l.swept) >= time.Second {
			l.sweep(now)
		}
		if len(l.keys) >= l.max {
			// Still full: many keys are busy at once, which is an attack
			// more likely than a crowd. Refusing new keys keeps memory
			// bounded and the buckets of known keys intact, where
			// forgetting them would hand out fresh bursts.
			return false
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.keys[key] = lim
	}
	return lim.AllowN(now, 1)
}

// sweep forgets keys whose bucket has filled up again: they would get a
// full bucket anyway.
func (l *limiter) sweep(now time.Time) {
	l.swept = now
	for k, lim := range l.keys {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.keys, k)
		}
	}
}

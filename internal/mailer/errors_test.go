package mailer

import (
	"errors"
	"testing"
)

func TestIsHardBounce(t *testing.T) {
	tests := []struct {
		name string
		err  SendError
		want bool
	}{
		{"no such mailbox", SendError{Code: 550, Enhanced: "5.1.1", Stage: StageRcpt}, true},
		{"bad domain after data", SendError{Code: 550, Enhanced: "5.1.2", Stage: StageData}, true},
		{"mailbox full", SendError{Code: 552, Enhanced: "5.2.2", Stage: StageRcpt}, false},
		{"policy without enhanced code", SendError{Code: 550, Stage: StageRcpt}, false},
		{"temporary 4.1.1", SendError{Code: 450, Enhanced: "4.1.1", Stage: StageRcpt, Temporary: true}, false},
		{"our sender rejected", SendError{Code: 553, Enhanced: "5.1.8", Stage: StageRcpt}, false},
		{"at MAIL FROM", SendError{Code: 550, Enhanced: "5.1.1", Stage: StageMail}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.IsHardBounce(); got != tt.want {
				t.Errorf("IsHardBounce = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFindEnhanced(t *testing.T) {
	tests := []struct{ in, want string }{
		{"550 5.1.1 Mailbox unavailable", "5.1.1"},
		{"451 4.3.0: try later", "4.3.0"},
		{"550 Requested action not taken: 5.7.1.", "5.7.1"},
		{"550 no code here", ""},
		{"550 version 1.2.3", ""},
		{"550 5.1234.1 too long", ""},
	}
	for _, tt := range tests {
		if got := findEnhanced(tt.in); got != tt.want {
			t.Errorf("findEnhanced(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSendErrorUnwrapsAndNamesKind(t *testing.T) {
	cause := errors.New("connection refused")
	e := error(&SendError{Temporary: true, Stage: StageConnect, Err: cause})
	if !errors.Is(e, cause) || e.Error() != "mailer: send (connect, temporary): connection refused" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestUnquoteReply(t *testing.T) {
	tests := []struct{ in, want string }{
		{`550 "5.1.1 Mailbox unavailable"`, "550 5.1.1 Mailbox unavailable"},
		{`451 "4.3.0 try \"later\""`, `451 4.3.0 try "later"`},
		{`550 "5.1.1 a", 503 "5.5.1 b"`, "550 5.1.1 a"},
		{"EOF", "EOF"},
		{"550 plain text", "550 plain text"},
	}
	for _, tt := range tests {
		if got := unquoteReply(tt.in); got != tt.want {
			t.Errorf("unquoteReply(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/newsletter"
)

// manageURL is the subscriber's manage page, as every email links it.
func (e *env) manageURL(id int64) string {
	return strings.TrimPrefix(e.links.Manage(id), e.url)
}

// consentTrail lists a subscriber's consent events as "event/source".
func (e *env) consentTrail(id int64) []string {
	e.t.Helper()
	events, err := e.st.ConsentEvents(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range events {
		out = append(out, ev.Event+"/"+ev.Source)
	}
	return out
}

func TestManagePageGETChangesNothing(t *testing.T) {
	e := newEnv(t)
	sub := e.add("anna.smith@example.org", newsletter.SubscriberActive)
	before := e.consentTrail(sub.ID)
	for _, path := range []string{"", "/erase", "/data"} {
		code, body := e.get(e.manageURL(sub.ID) + path)
		if code != http.StatusOK {
			t.Fatalf("GET manage%s: %d\n%s", path, code, body)
		}
		if path == "" && (!strings.Contains(body, "a•••••••••@e••••••.org") || strings.Contains(body, "anna.smith@")) {
			t.Fatalf("the page must show the address masked, and only masked:\n%s", body)
		}
	}
	after, err := e.st.GetSubscriber(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != sub.Status || after.Email != sub.Email || !after.UpdatedAt.Equal(sub.UpdatedAt) ||
		len(e.consentTrail(sub.ID)) != len(before) {
		t.Fatalf("GETs changed the subscriber: %+v → %+v", sub, after)
	}
}

func TestManageNameUnsubscribeAndComeBack(t *testing.T) {
	e := newEnv(t)
	sub := e.add("reader@example.org", newsletter.SubscriberActive)
	page := e.manageURL(sub.ID)
	code, body := e.postForm(page+"/name", url.Values{"name": {`Anna <script>alert(1)</script>`}})
	if code != http.StatusOK || !strings.Contains(body, "Your name is saved") || strings.Contains(body, "<script>alert") {
		t.Fatalf("name: %d\n%s", code, body)
	}
	if got, _ := e.st.GetSubscriber(context.Background(), sub.ID); got.Name != `Anna <script>alert(1)</script>` {
		t.Fatalf("name stored as %q", got.Name)
	}
	if code, body := e.postForm(page+"/name", url.Values{"name": {"line\r\nBcc: x@example.org"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("a name with CRLF: %d\n%s", code, body)
	}
	if code, body := e.postForm(page+"/unsubscribe", nil); code != http.StatusOK || !strings.Contains(body, "You are unsubscribed") {
		t.Fatalf("unsubscribe: %d\n%s", code, body)
	}
	if got := e.status("reader@example.org"); got != newsletter.SubscriberUnsubscribed {
		t.Fatalf("status %s after unsubscribing", got)
	}
	if code, body := e.postForm(page+"/resubscribe", nil); code != http.StatusOK || !strings.Contains(body, "Welcome back") {
		t.Fatalf("resubscribe: %d\n%s", code, body)
	}
	trail := strings.Join(e.consentTrail(sub.ID), " ")
	if got := e.status("reader@example.org"); got != newsletter.SubscriberActive || !strings.HasSuffix(trail, "unsubscribed/manage resubscribed/manage") {
		t.Fatalf("status %s, consent %s", got, trail)
	}
}

func TestManageComplainedCannotComeBack(t *testing.T) {
	e := newEnv(t)
	sub := e.add("spam-button@example.org", newsletter.SubscriberActive)
	if _, err := e.db.Exec(`UPDATE subscribers SET status = 'complained' WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}
	_, page := e.get(e.manageURL(sub.ID))
	if strings.Contains(page, "/resubscribe") {
		t.Fatal("the page offers a complained address to subscribe again")
	}
	if code, body := e.postForm(e.manageURL(sub.ID)+"/resubscribe", nil); code != http.StatusConflict || !strings.Contains(body, "cannot be subscribed here") {
		t.Fatalf("resubscribe of a complained address: %d\n%s", code, body)
	}
	if got := e.status("spam-button@example.org"); got != newsletter.SubscriberComplained {
		t.Fatalf("status %s", got)
	}
}

// An address change is confirmed from the new address only; the old one
// stays on the list, unchanged, until then.
func TestManageAddressChange(t *testing.T) {
	e := newEnv(t)
	e.advance(-time.Minute)
	sub := e.add("old@example.org", newsletter.SubscriberActive)
	e.add("taken@example.org", newsletter.SubscriberActive)
	page := e.manageURL(sub.ID)

	if code, body := e.postForm(page+"/address", url.Values{"email": {"Taken@Example.org"}}); code != http.StatusConflict || !strings.Contains(body, "cannot be used") {
		t.Fatalf("an address another subscriber holds: %d\n%s", code, body)
	}
	if code, body := e.postForm(page+"/address", url.Values{"email": {"not an address"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("a bad address: %d\n%s", code, body)
	}
	code, body := e.postForm(page+"/address", url.Values{"email": {"new@example.org"}})
	if code != http.StatusOK || !strings.Contains(body, "We sent a link to n•••@e••••••.org") {
		t.Fatalf("change: %d\n%s", code, body)
	}
	e.settle()
	msgs := e.smtp.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "new@example.org" {
		t.Fatalf("emails: %+v, want one to the new address", msgs)
	}
	if got, _ := e.st.GetSubscriber(context.Background(), sub.ID); got.Email != "old@example.org" || got.Status != newsletter.SubscriberActive {
		t.Fatalf("before confirming, the subscriber is %+v", got)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(e.url) + links.PathNewAddress + `[A-Za-z0-9_-]+`).FindString(string(msgs[0].Data))
	if link == "" {
		t.Fatalf("no confirmation link in:\n%s", msgs[0].Data)
	}
	if code, body := e.get(link); code != http.StatusOK || !strings.Contains(body, "Confirm my new address") {
		t.Fatalf("the link's page: %d\n%s", code, body)
	}
	if got, _ := e.st.GetSubscriber(context.Background(), sub.ID); got.Email != "old@example.org" {
		t.Fatal("opening the link changed the address: only its button may")
	}
	if code, body := e.postForm(link, nil); code != http.StatusOK || !strings.Contains(body, "Your address is changed") {
		t.Fatalf("confirm: %d\n%s", code, body)
	}
	got, _ := e.st.GetSubscriber(context.Background(), sub.ID)
	if got.Email != "new@example.org" || got.Status != newsletter.SubscriberActive {
		t.Fatalf("after confirming: %+v", got)
	}
	if trail := strings.Join(e.consentTrail(sub.ID), " "); !strings.HasSuffix(trail, "unsubscribed/manage confirmed/manage") {
		t.Fatalf("consent %s", trail)
	}
	if code, body := e.postForm(link, nil); code != http.StatusConflict || !strings.Contains(body, "used already") {
		t.Fatalf("the link used twice: %d\n%s", code, body)
	}
	// The manage link is not an address link, nor the other way round.
	manageToken := strings.TrimPrefix(page, links.PathManage)
	if code, _ := e.postForm(links.PathNewAddress+manageToken, nil); code != http.StatusBadRequest {
		t.Fatalf("a manage token as an address link: %d", code)
	}
}

// An address link older than the latest request no longer works.
func TestManageAddressLinkSuperseded(t *testing.T) {
	e := newEnv(t)
	sub := e.add("old@example.org", newsletter.SubscriberActive)
	e.advance(-time.Hour)
	e.postForm(e.manageURL(sub.ID)+"/address", url.Values{"email": {"first@example.org"}})
	first := e.links.NewAddress(sub.ID, e.clock())
	e.advance(time.Hour)
	e.postForm(e.manageURL(sub.ID)+"/address", url.Values{"email": {"second@example.org"}})
	if code, body := e.postForm(first, nil); code != http.StatusConflict {
		t.Fatalf("the first request's link: %d\n%s", code, body)
	}
	if got, _ := e.st.GetSubscriber(context.Background(), sub.ID); got.Email != "old@example.org" {
		t.Fatalf("a superseded link moved the subscriber to %s", got.Email)
	}
}

func TestManageDataDownload(t *testing.T) {
	e := newEnv(t)
	sub := e.add("anna@example.org", newsletter.SubscriberActive)
	e.add("someone.else@example.org", newsletter.SubscriberActive)
	storeIssue(t, e, newsletter.Period{Year: 2022, Month: time.May}, newsletter.IssueSending, "May news")
	code, body, h := e.do(http.MethodGet, e.manageURL(sub.ID)+"/data", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("data: %d %v", code, h)
	}
	var got struct {
		Subscriber struct{ Email, Status string }
		ConsentLog []struct{ Event, Source string } `json:"consent_log"`
		Deliveries []struct{ Issue, Outcome string }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Subscriber.Email != "anna@example.org" || got.Subscriber.Status != newsletter.SubscriberActive ||
		len(got.ConsentLog) == 0 || len(got.Deliveries) != 1 || got.Deliveries[0].Issue != "2022-05" {
		t.Fatalf("data = %+v\n%s", got, body)
	}
	if strings.Contains(body, "someone.else") {
		t.Fatal("the download holds another subscriber's data")
	}
}

// An imported subscriber's download says which list the address came from,
// but not who on the staff ran the import.
func TestManageDataDownloadNamesTheImport(t *testing.T) {
	e := newEnv(t)
	rows := func(yield func(newsletter.Subscriber, error) bool) {
		yield(newsletter.Subscriber{Email: "imported@example.org"}, nil)
	}
	if _, err := e.st.ImportSubscribers(context.Background(), rows, newsletter.ImportPolicy{
		Operator: "user:staff@example.org", FileName: "spring-fair.csv"}); err != nil {
		t.Fatal(err)
	}
	sub, err := e.st.SubscriberByEmail(context.Background(), "imported@example.org")
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ := e.do(http.MethodGet, e.manageURL(sub.ID)+"/data", nil)
	var got struct {
		ConsentLog []struct{ Event, Source, File string } `json:"consent_log"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != http.StatusOK {
		t.Fatalf("data: %d %v\n%s", code, err, body)
	}
	if len(got.ConsentLog) != 1 || got.ConsentLog[0].Event != "imported" || got.ConsentLog[0].File != "spring-fair.csv" {
		t.Errorf("consent log %+v", got.ConsentLog)
	}
	if strings.Contains(body, "staff@example.org") {
		t.Error("the download names the staff member who imported the list")
	}
}

func TestManageSelfErase(t *testing.T) {
	e := newEnv(t)
	sub := e.add("leaving@example.org", newsletter.SubscriberActive)
	page := e.manageURL(sub.ID)
	if code, _ := e.postForm(page+"/erase", nil); code != http.StatusUnprocessableEntity || e.status("leaving@example.org") != newsletter.SubscriberActive {
		t.Fatalf("an erase without the confirmation: %d, status %s", code, e.status("leaving@example.org"))
	}
	code, body := e.postForm(page+"/erase", url.Values{"confirm": {"erase"}})
	if code != http.StatusOK || !strings.Contains(body, "Your data is erased") {
		t.Fatalf("erase: %d\n%s", code, body)
	}
	if got := e.status("leaving@example.org"); got != "absent" {
		t.Fatalf("after the erase the address is %s", got)
	}
	// The only subscriber there was: one suppression, one erase event,
	// under the same hash.
	var suppressed, erasedByManage int
	if err := e.db.QueryRow(`SELECT count(*) FROM suppressions WHERE reason = 'erased'`).Scan(&suppressed); err != nil {
		t.Fatal(err)
	}
	if err := e.db.QueryRow(`SELECT count(*) FROM consent_events c JOIN suppressions s USING (email_hash)
		WHERE c.event = 'erased' AND c.source = 'manage'`).Scan(&erasedByManage); err != nil {
		t.Fatal(err)
	}
	if suppressed != 1 || erasedByManage != 1 {
		t.Fatalf("suppressed %d, erase events %d; want 1 and 1", suppressed, erasedByManage)
	}
	if code, body := e.get(page); code != http.StatusNotFound {
		t.Fatalf("the page after the erase: %d\n%s", code, body)
	}
}

func TestManageBadTokens(t *testing.T) {
	e := newEnv(t)
	sub := e.add("reader@example.org", newsletter.SubscriberActive)
	page := e.manageURL(sub.ID)
	token := strings.TrimPrefix(page, links.PathManage)
	unsub := strings.TrimPrefix(e.links.Unsubscribe(sub.ID), e.url+links.PathUnsubscribe)
	altered := token[:len(token)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(token, "AA")]
	for name, path := range map[string]string{
		"forged":            links.PathManage + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"altered":           links.PathManage + altered,
		"unsubscribe token": links.PathManage + unsub,
		"hostile":           links.PathManage + url.PathEscape(`<script>'--`),
	} {
		t.Run(name, func(t *testing.T) {
			if code, _ := e.get(path); code != http.StatusBadRequest {
				t.Fatalf("GET: %d, want 400", code)
			}
			if code, _ := e.postForm(path+"/unsubscribe", nil); code != http.StatusBadRequest {
				t.Fatalf("POST: %d, want 400", code)
			}
		})
	}
	if got := e.status("reader@example.org"); got != newsletter.SubscriberActive {
		t.Fatalf("bad tokens changed the status to %s", got)
	}
	// An expired address link is refused with the reason.
	e.advance(-links.ConfirmTTL - time.Hour)
	e.postForm(page+"/address", url.Values{"email": {"late@example.org"}})
	old := e.links.NewAddress(sub.ID, e.clock())
	e.advance(links.ConfirmTTL + time.Hour)
	if code, body := e.postForm(old, nil); code != http.StatusBadRequest || !strings.Contains(body, "expired") {
		t.Fatalf("an expired address link: %d\n%s", code, body)
	}
}

// TestManageBouncedGoesThroughTheForm: as on the unsubscribe page, a bounced
// address is not brought back by its link, only by a new double opt-in.
func TestManageBouncedGoesThroughTheForm(t *testing.T) {
	e := newEnv(t)
	sub := e.add("gone-away@example.org", newsletter.SubscriberActive)
	if _, err := e.db.Exec(`UPDATE subscribers SET status = 'bounced' WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}
	before := len(e.consentTrail(sub.ID))
	if _, body := e.get(e.manageURL(sub.ID)); strings.Contains(body, "/resubscribe") || !strings.Contains(body, "subscribe through the form") {
		t.Fatal("a bounced address's page offers the button, or not the form")
	}
	if code, _ := e.postForm(e.manageURL(sub.ID)+"/resubscribe", nil); code != http.StatusConflict {
		t.Fatalf("resubscribe of a bounced address: %d, want 409", code)
	}
	if got := e.status("gone-away@example.org"); got != newsletter.SubscriberBounced || len(e.consentTrail(sub.ID)) != before {
		t.Fatalf("the refusal changed something: %s", got)
	}
}

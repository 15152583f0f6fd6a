package issues_test

import (
	"context"
	"strings"
	"testing"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
)

// reasonOf is the report's reason for the item titled title, "" if absent.
func reasonOf(rep newsletter.InclusionReport, title string) string {
	for _, d := range rep.Items {
		if d.Title == title {
			return d.Reason
		}
	}
	return ""
}

// TestFrozenIssueKeepsItsReport: the report is stored with the bytes; once
// they freeze, a later item changes the month's report but not the issue's.
func TestFrozenIssueKeepsItsReport(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0, issues.Policy{MaxItems: 3})
	if _, _, err := f.svc.Create(ctx, may2022, issues.CreateOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	rep, kept, err := f.svc.Report(ctx, may2022)
	if err != nil || kept || rep.Included != 3 || rep.Outcome != "made: 3 items" {
		t.Fatalf("draft report: %+v, kept %v, %v", rep, kept, err)
	}
	if _, err := f.svc.Approve(ctx, may2022, "test"); err != nil {
		t.Fatal(err)
	}
	f.item(t, 4, "Item 4") // newer than the three: it would push one out
	rep, kept, err = f.svc.Report(ctx, may2022)
	if err != nil || !kept || rep.Included != 3 || reasonOf(rep, "Item 4") != "" {
		t.Fatalf("frozen report: %+v, kept %v, %v; want the one of the approval, without Item 4", rep, kept, err)
	}
	now, err := f.svc.Inclusion(ctx, may2022, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reasonOf(now, "Item 4"), "published") || !strings.HasPrefix(reasonOf(now, "Item 1"), "over content.max_items") {
		t.Fatalf("the month now: %+v", now.Items)
	}
}

// TestSkippedIssueSaysWhy: a quiet month's issue is skipped, and its report
// says so with the count.
func TestSkippedIssueSaysWhy(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0, issues.Policy{MinItems: 5})
	is, _, err := f.svc.Create(ctx, may2022, issues.CreateOptions{Actor: "test"})
	if err != nil || is.Status != newsletter.IssueSkipped {
		t.Fatalf("create: %+v %v", is, err)
	}
	rep, err := f.svc.Inclusion(ctx, may2022, false)
	if err != nil || rep.Outcome != "skipped: quiet month: 3 published items, content.min_items is 5" || rep.Included != 3 {
		t.Fatalf("report: %+v %v", rep, err)
	}
}

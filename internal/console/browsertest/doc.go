// Package browsertest drives the console in a real headless Chromium
// (Debian's chromium, through chromedp) against `enews serve` running on a
// fresh PostgreSQL database and sending to the test SMTP server: what a
// person does in the browser, end to end. It has tests only.
//
// Without Chromium on the PATH (or ENEWS_TEST_CHROMIUM naming it) the tests
// skip, and under CI=true they fail: a CI that skipped them would hide a
// broken setup.
package browsertest

package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// clusterTimeout bounds every pg_ctl and initdb run: a server that does not
// come up fails the test with its log, never hangs it.
const clusterTimeout = 2 * time.Minute

// Cluster is a PostgreSQL server one test owns alone, for tests that stop,
// restart or break the server: doing that to the shared test server would
// disturb every other test. It runs from the system's initdb and pg_ctl, as
// the unprivileged user "nobody" when the test runs as root (initdb refuses
// root), like scripts/pg.sh, and is removed when the test ends.
type Cluster struct {
	URL  string // the server's postgres database
	bin  string
	dir  string // the data directory
	log  string // the server's log
	port int
	cred *syscall.Credential // nil: run as this user
}

// OwnCluster starts a fresh cluster for t on a free port. Without
// PostgreSQL's server binaries it skips t, or fails it under CI=true.
func OwnCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := serverBinaries()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		if c.cred, err = nobody(); err != nil {
			t.Fatalf("pgtest: own cluster: %v", err)
		}
	}
	root, err := os.MkdirTemp("", "enews-own-pg-")
	if err != nil {
		t.Fatal(err)
	}
	// The parent must be reachable by the server's user; the data
	// directory itself is private to it.
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	c.dir, c.log = filepath.Join(root, "data"), filepath.Join(root, "server.log")
	if err := os.Mkdir(c.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if c.cred != nil {
		for _, p := range []string{c.dir, root} {
			if err := os.Chown(p, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
		defer cancel()
		if _, err := os.Stat(filepath.Join(c.dir, "postmaster.pid")); err == nil {
			if err := c.pgctl(ctx, "-m", "immediate", "stop"); err != nil {
				t.Logf("pgtest: stop own cluster: %v", err)
			}
		}
		_ = os.RemoveAll(root)
	})
	if c.port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := c.run(ctx, filepath.Join(bin, "initdb"), "-D", c.dir, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		t.Fatalf("pgtest: initdb: %v", err)
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories='' -c max_connections=100"+
		" -c fsync=off -c full_page_writes=off -c synchronous_commit=off", c.port)
	if err := c.pgctl(ctx, "-o", opts, "start"); err != nil {
		t.Fatalf("pgtest: start own cluster: %v", err)
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c
}

// NewURL creates a fresh migrated database on the cluster and returns its
// URL.
func (c *Cluster) NewURL(t testing.TB) string {
	t.Helper()
	return newURL(t, c.URL)
}

// Restart restarts the server with `pg_ctl restart -m MODE` (fast: every
// session is ended, as by an administrator or a failover) and returns once
// it accepts connections again.
func (c *Cluster) Restart(ctx context.Context, mode string) error {
	return c.pgctl(ctx, "-m", mode, "restart")
}

// pgctl runs pg_ctl on the cluster, waiting for the operation to finish.
// The server's output goes to its log file, never to a pipe of this
// process: a server holding a pipe this test waits on would hang it.
func (c *Cluster) pgctl(ctx context.Context, args ...string) error {
	args = append([]string{"-D", c.dir, "-l", c.log, "-w", "-t", "60"}, args...)
	return c.run(ctx, filepath.Join(c.bin, "pg_ctl"), args...)
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	out, err := os.CreateTemp("", "enews-pgctl-")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = filepath.Dir(c.dir) // reachable by the server's user, unlike the test's
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if err := cmd.Run(); err != nil {
		said, _ := os.ReadFile(out.Name())
		logTail, _ := os.ReadFile(c.log)
		if len(logTail) > 2000 {
			logTail = logTail[len(logTail)-2000:]
		}
		return fmt.Errorf("%s %s: %w\n%s\nserver log:\n%s", filepath.Base(name), strings.Join(args, " "), err, said, logTail)
	}
	return nil
}

// serverBinaries finds the directory of initdb and pg_ctl: on PATH, or the
// newest /usr/lib/postgresql/*/bin.
func serverBinaries() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				return filepath.Dir(real), nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("pgtest: PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql/*/bin")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&0o111 != 0
}

// nobody is the unprivileged user the server runs as under root.
func nobody() (*syscall.Credential, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("user nobody: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

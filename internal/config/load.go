package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// KeyError names the setting that is wrong and what was expected.
type KeyError struct {
	Key    string // e.g. "database.url"
	Env    string // e.g. "ENEWS_DATABASE_URL"
	Reason string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("config: %s (%s): %s", e.Key, e.Env, e.Reason)
}

// Load reads the optional YAML file at path, then the environment (env is
// os.Environ-style "K=V" pairs, passed in so tests need no process state),
// reads secret files, and validates.
func Load(path string, env []string) (Config, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := applyYAML(&cfg, path, b); err != nil {
			return Config{}, err
		}
		if err := refuseFileSecrets(cfg); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg, envMap(env)); err != nil {
		return Config{}, err
	}
	if err := readSecretFiles(&cfg); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "ENEWS_") {
			m[k] = v
		}
	}
	return m
}

// field is one leaf setting, found by walking the Config struct.
type field struct {
	key, env string
	secret   bool
	v        reflect.Value
}

func fields(cfg *Config) []field {
	var out []field
	root := reflect.ValueOf(cfg).Elem()
	for i := 0; i < root.NumField(); i++ {
		section := root.Type().Field(i).Tag.Get("yaml")
		sv := root.Field(i)
		for j := 0; j < sv.NumField(); j++ {
			sf := sv.Type().Field(j)
			key := sf.Tag.Get("yaml")
			out = append(out, field{
				key:    section + "." + key,
				env:    "ENEWS_" + strings.ToUpper(section) + "_" + strings.ToUpper(key),
				secret: sf.Tag.Get("secret") == "true",
				v:      sv.Field(j),
			})
		}
	}
	return out
}

func refuseFileSecrets(cfg Config) error {
	for _, f := range fields(&cfg) {
		if f.secret && !f.v.IsZero() {
			return &KeyError{Key: f.key, Env: f.env, Reason: "secrets are not read from the config file: set " + f.env + " or " + f.key + "_file"}
		}
	}
	return nil
}

// applyYAML sets the keys the file names, each through the same parser as
// its environment variable, so a bad value is reported as
// "smtp.port: want a whole number" with its line, not as a Go type. A
// misspelt key is an error naming the nearest real one; an empty file is
// fine.
func applyYAML(cfg *Config, path string, b []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("config: %s: not YAML: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config: %s: want sections like \"smtp:\" at the top, line %d", path, root.Line)
	}
	byKey := map[string]field{}
	for _, f := range fields(cfg) {
		byKey[f.key] = f
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		section, body := root.Content[i], root.Content[i+1]
		if body.Kind == yaml.ScalarNode && body.Tag == "!!null" {
			continue // an empty section
		}
		if body.Kind != yaml.MappingNode {
			return fmt.Errorf("config: %s line %d: %s: want a section of keys", path, section.Line, section.Value)
		}
		for j := 0; j+1 < len(body.Content); j += 2 {
			k, v := body.Content[j], body.Content[j+1]
			key := section.Value + "." + k.Value
			f, ok := byKey[key]
			if !ok {
				return fmt.Errorf("config: %s line %d: unknown key %s%s", path, k.Line, key, nearest(key, byKey))
			}
			if err := setNode(f.v, v); err != nil {
				return &KeyError{Key: f.key, Env: f.env, Reason: fmt.Sprintf("%v (%s line %d)", err, path, v.Line)}
			}
		}
	}
	return nil
}

// setNode sets v from a YAML value: a scalar through setValue, a list of
// addresses item by item.
func setNode(v reflect.Value, n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		if _, ok := v.Interface().([]string); !ok {
			return fmt.Errorf("want a single value, got a list")
		}
		var list []string
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return fmt.Errorf("want a list of plain values")
			}
			list = append(list, strings.TrimSpace(item.Value))
		}
		v.Set(reflect.ValueOf(list))
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a single value, got a section")
	}
	if n.Tag == "!!null" {
		v.SetZero()
		return nil
	}
	if v.Kind() == reflect.String {
		v.SetString(n.Value) // kept as written: block text keeps its lines
		return nil
	}
	return setValue(v, n.Value)
}

// unknownEnv is an error for an ENEWS_ variable that names no setting, so
// a misspelling is not silently ignored.
func unknownEnv(fs []field, env map[string]string) error {
	// ENEWS_ variables that are not settings: the config file's path and
	// what the tests and the development scripts read.
	nonConfig := []string{"ENEWS_CONFIG", "ENEWS_TEST_", "ENEWS_BENCH_", "ENEWS_DEV_", "ENEWS_PG_"}
	known := map[string]field{}
	for _, f := range fs {
		known[f.env] = f
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	slices.Sort(names)
next:
	for _, k := range names {
		if _, ok := known[k]; ok {
			continue
		}
		for _, p := range nonConfig {
			if k == p || (strings.HasSuffix(p, "_") && strings.HasPrefix(k, p)) {
				continue next
			}
		}
		return fmt.Errorf("config: %s is not a setting%s", k, nearest(k, known))
	}
	return nil
}

// nearest suggests the closest of names to s, when one is close.
func nearest[V any](s string, names map[string]V) string {
	best, bestD := "", len(s)/3+1
	for n := range names {
		if d := editDistance(s, n); d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return ": did you mean " + best + "?"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func applyEnv(cfg *Config, env map[string]string) error {
	if err := unknownEnv(fields(cfg), env); err != nil {
		return err
	}
	for _, f := range fields(cfg) {
		raw, ok := env[f.env]
		if !ok {
			continue
		}
		if err := setValue(f.v, raw); err != nil {
			return &KeyError{Key: f.key, Env: f.env, Reason: err.Error()}
		}
	}
	return nil
}

func setValue(v reflect.Value, raw string) error {
	raw = strings.TrimSpace(raw)
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("want a duration like 30s or 5m, got %q", raw)
		}
		v.SetInt(int64(d))
		return nil
	case []string:
		var parts []string
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		v.Set(reflect.ValueOf(parts))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", raw)
		}
		v.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", raw)
		}
		v.SetFloat(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", raw)
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

func readSecretFiles(cfg *Config) error {
	pairs := []struct {
		dst  *string
		path string
		key  string
	}{
		{&cfg.SMTP.Password, cfg.SMTP.PasswordFile, "smtp.password_file"},
		{&cfg.Web.SecretKey, cfg.Web.SecretKeyFile, "web.secret_key_file"},
		{&cfg.Bounces.WebhookSecret, cfg.Bounces.WebhookSecretFile, "bounces.webhook_secret_file"},
		{&cfg.Bounces.PostmarkPassword, cfg.Bounces.PostmarkPasswordFile, "bounces.postmark_password_file"},
		{&cfg.Bounces.MailgunSigningKey, cfg.Bounces.MailgunSigningKeyFile, "bounces.mailgun_signing_key_file"},
	}
	for _, p := range pairs {
		if p.path == "" || *p.dst != "" {
			continue
		}
		b, err := readPrivateFile(p.path)
		if err != nil {
			return &KeyError{Key: p.key, Env: envName(p.key), Reason: err.Error()}
		}
		*p.dst = strings.TrimSpace(string(b))
	}
	if k := cfg.DKIM.KeyFile; k != "" {
		if err := checkPrivate(k); err != nil {
			return &KeyError{Key: "dkim.key_file", Env: envName("dkim.key_file"), Reason: err.Error()}
		}
	}
	return nil
}

// readPrivateFile reads a secret file, refusing one that others than its
// owner could read: a secret the whole machine can see is no secret.
func readPrivateFile(path string) ([]byte, error) {
	if err := checkPrivate(path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s is readable by group or others (mode %04o): a secret file must be private to its owner; run chmod 600 %s", path, perm, path)
	}
	return nil
}

// Redacted returns the effective configuration as YAML with secrets and
// database passwords hidden, for `enews config`.
func (c Config) Redacted() ([]byte, error) {
	cp := c
	for _, f := range fields(&cp) {
		if f.secret && !f.v.IsZero() {
			f.v.SetString("REDACTED")
		}
	}
	cp.Database.URL = redactURL(cp.Database.URL)
	return yaml.Marshal(cp)
}

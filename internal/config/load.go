package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
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
		dec := yaml.NewDecoder(bytes.NewReader(b))
		// A misspelt key is an error, not a silent default; an empty file
		// (io.EOF) is fine.
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("config: parse %s: %w", path, err)
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

func applyEnv(cfg *Config, env map[string]string) error {
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
		b, err := os.ReadFile(p.path)
		if err != nil {
			return &KeyError{Key: p.key, Env: "ENEWS_" + strings.ToUpper(strings.ReplaceAll(p.key, ".", "_")), Reason: err.Error()}
		}
		*p.dst = strings.TrimSpace(string(b))
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

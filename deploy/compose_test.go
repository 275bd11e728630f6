package deploy

import (
	"bufio"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// compose is the part of docker-compose.yml the tests read.
type compose struct {
	Services map[string]service `yaml:"services"`
}

type service struct {
	Image       string               `yaml:"image"`
	Build       string               `yaml:"build"`
	Entrypoint  []string             `yaml:"entrypoint"`
	Command     []string             `yaml:"command"`
	Environment map[string]string    `yaml:"environment"`
	Ports       []string             `yaml:"ports"`
	DependsOn   map[string]dependsOn `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

type dependsOn struct {
	Condition string `yaml:"condition"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	for _, name := range []string{"postgres", "redis", "posbot-init", "posbot"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("docker-compose.yml has no %s service", name)
		}
	}
	return c
}

// sources returns the concatenated non-test Go sources of the packages in dirs.
func sources(t *testing.T, dirs ...string) string {
	t.Helper()
	var b strings.Builder
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join("..", dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s (%v)", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(src)
		}
	}
	return b.String()
}

// readVars are the POSBOT_* variables the program reads: the string
// literals naming exactly one variable in cmd/.
func readVars(t *testing.T) []string {
	t.Helper()
	var vars []string
	for _, m := range regexp.MustCompile(`"(POSBOT_[A-Z0-9_]+)"`).FindAllStringSubmatch(sources(t, "cmd/posbot"), -1) {
		if !slices.Contains(vars, m[1]) {
			vars = append(vars, m[1])
		}
	}
	return vars
}

func TestComposeVariablesAreRead(t *testing.T) {
	c := loadCompose(t)
	read := readVars(t)
	for _, name := range []string{"posbot", "posbot-init"} {
		env := c.Services[name].Environment
		for _, v := range []string{"POSBOT_HTTP_ADDR", "POSBOT_POSTGRES_URL", "POSBOT_REDIS_URL"} {
			if env[v] == "" {
				t.Errorf("%s: %s is not set", name, v)
			}
		}
		for v, val := range env {
			if strings.HasPrefix(v, "POSBOT_") && !slices.Contains(read, v) {
				t.Errorf("%s sets %s, which no code under cmd/posbot reads", name, v)
			}
			// Optional settings must not make compose fail or warn when unset.
			for _, m := range regexp.MustCompile(`\$\{([^}]*)\}`).FindAllStringSubmatch(val, -1) {
				if !strings.Contains(m[1], ":-") {
					t.Errorf("%s: %s uses ${%s} without a default (${VAR:-default})", name, v, m[1])
				}
			}
		}
	}
	// ingest and serve must agree on the embedder and the database.
	if a, b := c.Services["posbot"].Environment, c.Services["posbot-init"].Environment; !mapsEqual(a, b) {
		t.Errorf("posbot and posbot-init have different environments:\n%v\n%v", a, b)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestComposeWiring(t *testing.T) {
	c := loadCompose(t)
	pg, rd, bot, initSvc := c.Services["postgres"], c.Services["redis"], c.Services["posbot"], c.Services["posbot-init"]

	if !regexp.MustCompile(`^pgvector/pgvector:pg(1[6-9]|[2-9][0-9])$`).MatchString(pg.Image) {
		t.Errorf("postgres image %q is not pgvector/pgvector:pg16 or later", pg.Image)
	}
	if !strings.HasPrefix(rd.Image, "redis:7") {
		t.Errorf("redis image %q is not redis:7", rd.Image)
	}
	checkHealth(t, "postgres", pg, "pg_isready")
	checkHealth(t, "redis", rd, "redis-cli", "ping")

	// The database URL points at the postgres service with its credentials.
	env := defaults(bot.Environment)
	pgEnv := defaults(pg.Environment)
	pgURL, err := url.Parse(env["POSBOT_POSTGRES_URL"])
	if err != nil {
		t.Fatalf("POSBOT_POSTGRES_URL: %v", err)
	}
	if pgURL.Scheme != "postgres" || pgURL.Hostname() != "postgres" || pgURL.Port() != "5432" {
		t.Errorf("POSBOT_POSTGRES_URL %q does not point at the postgres service on 5432", env["POSBOT_POSTGRES_URL"])
	}
	pw, _ := pgURL.User.Password()
	if pgURL.User.Username() != pgEnv["POSTGRES_USER"] || pw != pgEnv["POSTGRES_PASSWORD"] ||
		strings.TrimPrefix(pgURL.Path, "/") != pgEnv["POSTGRES_DB"] {
		t.Errorf("POSBOT_POSTGRES_URL user, password or database differ from the postgres service's POSTGRES_*")
	}
	if pgURL.Query().Get("sslmode") != "disable" {
		t.Errorf("POSBOT_POSTGRES_URL: the compose network has no TLS; want sslmode=disable")
	}
	rdURL, err := url.Parse(env["POSBOT_REDIS_URL"])
	if err != nil {
		t.Fatalf("POSBOT_REDIS_URL: %v", err)
	}
	if rdURL.Scheme != "redis" || rdURL.Hostname() != "redis" || rdURL.Port() != "6379" {
		t.Errorf("POSBOT_REDIS_URL %q does not point at the redis service on 6379", env["POSBOT_REDIS_URL"])
	}

	// posbot listens where it is published and checked.
	_, port, err := net.SplitHostPort(env["POSBOT_HTTP_ADDR"])
	if err != nil {
		t.Fatalf("POSBOT_HTTP_ADDR: %v", err)
	}
	if host, _, _ := net.SplitHostPort(env["POSBOT_HTTP_ADDR"]); host != "0.0.0.0" && host != "" {
		t.Errorf("POSBOT_HTTP_ADDR %q: listen on all interfaces in a container", env["POSBOT_HTTP_ADDR"])
	}
	published := false
	for _, p := range bot.Ports {
		if strings.HasSuffix(p, ":"+port) {
			published = true
		}
	}
	if !published {
		t.Errorf("posbot ports %v do not publish container port %s", bot.Ports, port)
	}
	checkHealth(t, "posbot", bot, "/dev/tcp/127.0.0.1/"+port, "GET /healthz ", " 200 ")
	if !strings.Contains(sources(t, "httpapi"), `"GET /healthz"`) {
		t.Error(`httpapi has no "GET /healthz" route for the health check`)
	}

	// The one-shot service migrates then ingests; posbot starts after it.
	script := strings.Join(append(slices.Clone(initSvc.Entrypoint), initSvc.Command...), " ")
	mi, ii := strings.Index(script, "posbot migrate"), strings.Index(script, "posbot ingest")
	if mi < 0 || ii < mi || !strings.Contains(script, "&&") {
		t.Errorf("posbot-init runs %q, want posbot migrate && posbot ingest", script)
	}
	checkDepends(t, "posbot-init", initSvc, map[string]string{"postgres": "service_healthy"})
	checkDepends(t, "posbot", bot, map[string]string{
		"postgres": "service_healthy", "redis": "service_healthy", "posbot-init": "service_completed_successfully"})
	if bot.Image == "" || bot.Image != initSvc.Image || bot.Build != "." || initSvc.Build != "." {
		t.Errorf("posbot and posbot-init must build the same image from the Dockerfile (build: ., one image name)")
	}

	// Every command compose runs exists.
	main := sources(t, "cmd/posbot")
	cmds := slices.Concat(bot.Command, []string{"migrate", "ingest"})
	for _, cmd := range cmds {
		if !strings.Contains(main, `case "`+cmd+`"`) {
			t.Errorf("compose runs posbot %s, but cmd/posbot has no %q command", cmd, cmd)
		}
	}
}

// defaults returns env as compose runs it with nothing set in the
// environment: every ${VAR:-default} replaced by its default.
func defaults(env map[string]string) map[string]string {
	re := regexp.MustCompile(`\$\{[A-Za-z0-9_]+:-([^}]*)\}`)
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = re.ReplaceAllString(v, "$1")
	}
	return out
}

func checkHealth(t *testing.T, name string, s service, want ...string) {
	t.Helper()
	if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 {
		t.Errorf("%s has no health check", name)
		return
	}
	test := strings.Join(s.Healthcheck.Test, " ")
	for _, w := range want {
		if !strings.Contains(test, w) {
			t.Errorf("%s health check %q does not contain %q", name, test, w)
		}
	}
}

func checkDepends(t *testing.T, name string, s service, want map[string]string) {
	t.Helper()
	for dep, cond := range want {
		if got := s.DependsOn[dep].Condition; got != cond {
			t.Errorf("%s depends on %s with condition %q, want %q", name, dep, got, cond)
		}
	}
}

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	cmd, args string
}

func loadDockerfile(t *testing.T) [][]instruction {
	t.Helper()
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages [][]instruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %s before FROM", in.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a builder and a runtime stage", len(stages))
	}
	return stages
}

func find(stage []instruction, cmd string) []string {
	var out []string
	for _, in := range stage {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	stages := loadDockerfile(t)
	build, run := stages[0], stages[len(stages)-1]

	from := strings.Fields(find(build, "FROM")[0])
	goMod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if goVersion == nil || !strings.HasPrefix(from[0], "golang:"+string(goVersion[1])) {
		t.Errorf("builder image %s does not match go.mod's go %s", from[0], goVersion[1])
	}
	if len(from) != 3 || !strings.EqualFold(from[1], "AS") {
		t.Fatalf("builder stage is not named: FROM %v", from)
	}
	stageName := from[2]
	var output string
	for _, r := range find(build, "RUN") {
		if strings.Contains(r, "go build") {
			if !strings.Contains(r, "CGO_ENABLED=0") || !strings.HasSuffix(r, "./cmd/posbot") {
				t.Errorf("build step %q must be CGO_ENABLED=0 go build ... ./cmd/posbot", r)
			}
			if m := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(r); m != nil {
				output = m[1]
			}
		}
	}
	if output == "" {
		t.Fatal("no go build -o step in the builder stage")
	}

	if got := find(run, "FROM")[0]; got != "debian:bookworm-slim" {
		t.Errorf("runtime image %s, want debian:bookworm-slim", got)
	}
	runs := strings.Join(find(run, "RUN"), " ")
	for _, pkg := range []string{"tesseract-ocr", "tesseract-ocr-chi-sim", "ca-certificates"} {
		if !regexp.MustCompile(`apt-get install .*\b` + regexp.QuoteMeta(pkg) + `(\s|$)`).MatchString(runs) {
			t.Errorf("runtime stage does not apt-get install %s", pkg)
		}
	}
	if !slices.Contains(find(run, "COPY"), "--from="+stageName+" "+output+" /usr/local/bin/posbot") {
		t.Errorf("runtime stage does not COPY --from=%s %s /usr/local/bin/posbot", stageName, output)
	}
	users := find(run, "USER")
	if len(users) == 0 || users[len(users)-1] == "root" || users[len(users)-1] == "0" {
		t.Errorf("runtime stage runs as root (USER %v)", users)
	} else if u := users[len(users)-1]; !strings.Contains(runs, "useradd") || !strings.Contains(runs, u) {
		t.Errorf("USER %s is not created with useradd", u)
	}
	if ep := find(run, "ENTRYPOINT"); len(ep) == 0 || !strings.Contains(ep[0], "/usr/local/bin/posbot") {
		t.Errorf("ENTRYPOINT %v is not /usr/local/bin/posbot", ep)
	}

	// The port the image exposes is the one compose configures.
	c := loadCompose(t)
	_, port, _ := net.SplitHostPort(c.Services["posbot"].Environment["POSBOT_HTTP_ADDR"])
	if !slices.Contains(find(run, "EXPOSE"), port) {
		t.Errorf("Dockerfile EXPOSE %v, compose listens on %s", find(run, "EXPOSE"), port)
	}
}

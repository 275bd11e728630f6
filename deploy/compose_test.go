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
	"time"

	"go.yaml.in/yaml/v3"
)

// compose is the part of docker-compose.yml the tests read.
type compose struct {
	Services map[string]service `yaml:"services"`
}

type service struct {
	Image           string               `yaml:"image"`
	StopGracePeriod string               `yaml:"stop_grace_period"`
	Build           build                `yaml:"build"`
	Entrypoint      []string             `yaml:"entrypoint"`
	Command         []string             `yaml:"command"`
	Environment     map[string]string    `yaml:"environment"`
	Ports           []string             `yaml:"ports"`
	DependsOn       map[string]dependsOn `yaml:"depends_on"`
	Healthcheck     *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

type dependsOn struct {
	Condition string `yaml:"condition"`
}

// build is a service's build section: a context path, or a map with one.
type build struct {
	Context string            `yaml:"context"`
	Args    map[string]string `yaml:"args"`
}

func (b *build) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	type plain build
	return n.Decode((*plain)(b))
}

// pinned matches an image reference pinned by digest, keeping its tag for
// the reader: name:tag@sha256:<64 hex digits>.
var pinned = regexp.MustCompile(`^([a-z0-9./-]+):([A-Za-z0-9._-]+)@sha256:[0-9a-f]{64}$`)

// imageTag returns the name:tag of a pinned reference, "" if it is not pinned.
func imageTag(ref string) string {
	m := pinned.FindStringSubmatch(ref)
	if m == nil {
		return ""
	}
	return m[1] + ":" + m[2]
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

	if !regexp.MustCompile(`^pgvector/pgvector:pg(1[6-9]|[2-9][0-9])$`).MatchString(imageTag(pg.Image)) {
		t.Errorf("postgres image %q is not pgvector/pgvector:pg16 or later, pinned by digest", pg.Image)
	}
	if !strings.HasPrefix(imageTag(rd.Image), "redis:7") {
		t.Errorf("redis image %q is not redis:7, pinned by digest", rd.Image)
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
	// The health check asks for readiness (the stores answer), over bash's
	// /dev/tcp since the image has no curl, on a route serve mounts.
	checkHealth(t, "posbot", bot, "/dev/tcp/127.0.0.1/"+port, "GET /readyz ", " 200 ")
	if !strings.Contains(sources(t, "cmd/posbot"), `"GET /readyz"`) {
		t.Error(`cmd/posbot mounts no "GET /readyz" route for the health check`)
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
	if bot.Image == "" || bot.Image != initSvc.Image || bot.Build.Context != "." || initSvc.Build.Context != "." ||
		!mapsEqual(bot.Build.Args, initSvc.Build.Args) {
		t.Errorf("posbot and posbot-init must build the same image from the Dockerfile (build context ., same args, one image name)")
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
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = withDefaults(v)
	}
	return out
}

// withDefaults replaces every ${VAR:-default} in s by its default.
func withDefaults(s string) string {
	return regexp.MustCompile(`\$\{[A-Za-z0-9_]+:-([^}]*)\}`).ReplaceAllString(s, "$1")
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

	if got := find(run, "FROM")[0]; imageTag(got) != "debian:bookworm-slim" {
		t.Errorf("runtime image %s, want debian:bookworm-slim pinned by digest", got)
	}
	if imageTag(from[0]) == "" {
		t.Errorf("builder image %s is not pinned by digest", from[0])
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

// TestImagesPinned: every image compose pulls and every base image of the
// Dockerfile is pinned by digest, so a rebuild or a new host runs the bytes
// that were tested. The tag stays for the reader; DEVELOPERS.md says how to
// refresh the digests.
func TestImagesPinned(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		if s.Build.Context != "" {
			continue // built here from the Dockerfile
		}
		if imageTag(s.Image) == "" {
			t.Errorf("%s: image %q is not pinned as name:tag@sha256:<digest>", name, s.Image)
		}
	}
	for i, stage := range loadDockerfile(t) {
		from := strings.Fields(find(stage, "FROM")[0])
		if imageTag(from[0]) == "" {
			t.Errorf("Dockerfile stage %d: FROM %s is not pinned as name:tag@sha256:<digest>", i+1, from[0])
		}
	}
	doc, err := os.ReadFile("../DEVELOPERS.md")
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, s := range c.Services {
		if s.Build.Context == "" {
			refs = append(refs, s.Image)
		}
	}
	for _, stage := range loadDockerfile(t) {
		refs = append(refs, strings.Fields(find(stage, "FROM")[0])[0])
	}
	for _, ref := range refs {
		if _, digest, _ := strings.Cut(ref, "@"); !strings.Contains(string(doc), digest) {
			t.Errorf("DEVELOPERS.md does not say where %s came from", ref)
		}
	}
}

// TestRedisMemory: Redis has a memory cap and evicts by LRU. Everything
// posbot writes there has a TTL, so volatile-lru and allkeys-lru are the
// policies that fit (the compose file says why it picks one); the default,
// noeviction, would turn a full Redis into failed writes.
func TestRedisMemory(t *testing.T) {
	c := loadCompose(t)
	args := defaultsList(c.Services["redis"].Command)
	value := func(flag string) string {
		if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	if !regexp.MustCompile(`^[1-9][0-9]*(kb|mb|gb)$`).MatchString(value("--maxmemory")) {
		t.Errorf("redis command %v: --maxmemory %q, want a size such as 256mb", args, value("--maxmemory"))
	}
	if p := value("--maxmemory-policy"); p != "volatile-lru" && p != "allkeys-lru" {
		t.Errorf("redis --maxmemory-policy %q, want volatile-lru or allkeys-lru", p)
	}
}

// TestPortBinding: with nothing set, posbot is published on 127.0.0.1 only;
// POSBOT_BIND opens it up.
func TestPortBinding(t *testing.T) {
	c := loadCompose(t)
	for _, p := range c.Services["posbot"].Ports {
		if !strings.Contains(p, "${POSBOT_BIND:-") {
			t.Errorf("posbot port %q does not take its host address from POSBOT_BIND", p)
		}
		if host := strings.Split(defaultsList([]string{p})[0], ":"); len(host) != 3 || host[0] != "127.0.0.1" {
			t.Errorf("posbot port %q publishes %v by default, want 127.0.0.1:<port>:<container port>", p, host)
		}
	}
}

// TestEnvExample: .env.example lists every variable the compose file
// interpolates and no other, with no secret filled in, and the image build
// keeps .env and .git out of its context.
func TestEnvExample(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(:?-[^}]*)?\}`).FindAllStringSubmatch(string(raw), -1) {
		if !slices.Contains(used, m[1]) {
			used = append(used, m[1])
		}
	}
	example, err := os.ReadFile("../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for i, line := range strings.Split(string(example), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf(".env.example:%d: %q is not NAME=value", i+1, line)
			continue
		}
		listed[k] = v
	}
	for _, v := range used {
		if _, ok := listed[v]; !ok {
			t.Errorf("docker-compose.yml reads %s, which .env.example does not list", v)
		}
	}
	for k, v := range listed {
		if !slices.Contains(used, k) {
			t.Errorf(".env.example lists %s, which docker-compose.yml does not read", k)
		}
		if regexp.MustCompile(`TOKEN|SECRET|KEY|PASSWORD`).MatchString(k) && v != "" {
			t.Errorf(".env.example fills in the secret %s; leave it empty", k)
		}
	}

	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(ignore), "\n")
	for _, want := range []string{".git", ".env"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not keep %s out of the image's build context", want)
		}
	}
}

// defaultsList is withDefaults for each item of list.
func defaultsList(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = withDefaults(s)
	}
	return out
}

// TestStopGracePeriod: docker stop kills posbot after stop_grace_period
// (10 s unless set); it must outlast the drain bound, or a stopping
// replica is killed with messages it accepted.
func TestStopGracePeriod(t *testing.T) {
	c := loadCompose(t)
	grace, err := time.ParseDuration(c.Services["posbot"].StopGracePeriod)
	if err != nil {
		t.Fatalf("posbot has no stop_grace_period (Docker's default, 10 s, is below the drain bound): %v", err)
	}
	drain, err := time.ParseDuration(defaults(c.Services["posbot"].Environment)["POSBOT_DRAIN_TIMEOUT"])
	if err != nil {
		t.Fatalf("POSBOT_DRAIN_TIMEOUT: %v", err)
	}
	if grace < drain+5*time.Second {
		t.Errorf("stop_grace_period %v leaves less than 5 s beyond POSBOT_DRAIN_TIMEOUT %v", grace, drain)
	}
}

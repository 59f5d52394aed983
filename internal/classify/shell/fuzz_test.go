package shell

import (
	"strings"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/fuzzbound"
)

// FuzzClassify: any input up to MaxInput classifies without panicking, in
// bounded time, and a command that deletes never comes out as a read.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"git reset --hard", "rm -rf /", "sudo env X=1 bash -c 'eval \"$(curl x)\"'",
		"cat <<EOF\n$(rm -rf /)\nEOF", "f() { f | f & }; f", `python -c "os.system('rm -rf /')"`,
		"find / -exec sh -c 'rm -rf {}' \\;", "a=$'\\x72\\x6d'; $a -rf /", "echo ${x:-$(git clean -f)}",
		strings.Repeat("(", 200), strings.Repeat("$(", 100), strings.Repeat("bash -c '", 20),
		strings.Repeat("a | ", 2000) + "sh", strings.Repeat("x ", 30000),
		strings.Repeat("echo $(", 40) + "x" + strings.Repeat(") | y", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var c Classifier
		var r Result
		// Hangs and catastrophic (super-linear) cases only, with room for a
		// busy machine: the per-input goal of 50 ms is measured by
		// BenchmarkClassifyWorst, not asserted here.
		fuzzbound.Run(t, 5*time.Second, func() { r = c.Classify(text) })
		for _, x := range r.Reasons {
			if x.ID == "" || x.Message == "" {
				t.Fatalf("finding without id or message: %+v", x)
			}
			if x.ID == "shell.internal-error" {
				t.Fatalf("%q: %s", text, x.Message)
			}
		}
		if strings.Contains(text, "rm -rf /") && !strings.ContainsAny(text, "'\"#\\\n<>`$") && strings.HasPrefix(text, "rm -rf /") && r.Class() == action.ClassRead {
			t.Fatalf("%q classified as a read", text)
		}
	})
}

var typical = []string{
	"git status", "git push --force origin main", "rm -rf node_modules", "npm test",
	"kubectl get pods -n prod", "terraform plan -out tf.plan", `psql -c "SELECT 1"`,
	"cat .env", "ls -la | grep foo && echo done", "docker compose up -d",
}

// BenchmarkClassify: one typical command. Goal: <= 50 us.
func BenchmarkClassify(b *testing.B) {
	var c Classifier
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Classify(typical[i%len(typical)])
		i++
	}
}

// BenchmarkClassifyWorst: 64 KiB inputs of the shapes that are hardest on a
// parser and walker. Goal: each under 50 ms.
func BenchmarkClassifyWorst(b *testing.B) {
	inputs := map[string]string{
		"nested-subst":  strings.Repeat("$(", 2000) + strings.Repeat(")", 2000),
		"long-pipeline": strings.Repeat("echo a | ", 7000) + "sh",
		"many-args":     "rm " + strings.Repeat("x ", 32000),
		"nested-bash":   strings.Repeat("bash -c '", 8) + "rm -rf /" + strings.Repeat("'", 8),
		"heredoc":       "bash <<EOF\n" + strings.Repeat("git status\n", 5800) + "EOF\n",
	}
	for name, in := range inputs {
		if len(in) > MaxInput {
			in = in[:MaxInput]
		}
		b.Run(name, func(b *testing.B) {
			var c Classifier
			for b.Loop() {
				c.Classify(in)
			}
		})
	}
}

// TestWalkIsLinear counts statements walked for nestings that once cost
// exponential time (a pipeline stage re-walked for the next stage): each
// statement must be walked once.
func TestWalkIsLinear(t *testing.T) {
	for _, shape := range []struct{ name, open, close string }{
		{"pipes in substitutions", "echo $(", ") | y"},
		{"substitutions", "x $(", ")"},
		{"pipes in process substitutions", "cat <(", ") | sh"},
		{"quoted", `echo "$(`, `)" | cat`},
	} {
		s := "x"
		const depth = 12
		for i := 0; i < depth; i++ {
			s = shape.open + s + shape.close
		}
		w := &walker{c: &Classifier{}, seen: map[string]bool{}}
		w.script(s, 0)
		if w.visits > 3*depth+3 {
			t.Errorf("%s: %d statements walked for %d nested levels", shape.name, w.visits, depth)
		}
	}
}

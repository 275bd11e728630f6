package knowledge

import (
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite snapshot.gob from the YAML")

// TestSnapshotFresh: snapshot.gob holds exactly what the YAML loads to;
// with -update (go generate ./knowledge) it is rewritten.
func TestSnapshotFresh(t *testing.T) {
	parsed, err := Load(embedded)
	if err != nil {
		t.Fatal(err)
	}
	want, err := encodeSnapshot(parsed, parsed.Source())
	if err != nil {
		t.Fatal(err)
	}
	snap, ok := fromSnapshot(snapshotData, parsed.Source())
	same := ok && sameKnowledge(t, snap, parsed)
	if *update {
		if !same { // gob writes maps in random order: rewrite only on change
			if err := os.WriteFile("snapshot.gob", want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if !same {
		t.Fatal("snapshot.gob is stale: run go generate ./knowledge")
	}
}

// sameKnowledge reports whether two bases hold the same knowledge (gob
// does not tell a nil slice from an empty one).
func sameKnowledge(t *testing.T, a, b *Base) bool {
	t.Helper()
	opt := cmpopts.EquateEmpty()
	for _, d := range []string{
		cmp.Diff(a.passages, b.passages, opt), cmp.Diff(a.lexicons, b.lexicons, opt),
		cmp.Diff(a.dialogue, b.dialogue, opt), cmp.Diff(a.texts, b.texts, opt),
		cmp.Diff(a.handoff, b.handoff, opt, cmpopts.IgnoreUnexported(Handoff{})),
		cmp.Diff(a.channels, b.channels, opt),
	} {
		if d != "" {
			t.Logf("snapshot differs (-snapshot +yaml):\n%.2000s", d)
			return false
		}
	}
	return true
}

// TestStaleSnapshotIgnored: a snapshot of other data files is not used.
func TestStaleSnapshotIgnored(t *testing.T) {
	t.Parallel()
	if _, ok := fromSnapshot(snapshotData, "not-the-hash"); ok {
		t.Fatal("a snapshot was used for other data files")
	}
	if _, ok := fromSnapshot([]byte("garbage"), ""); ok {
		t.Fatal("garbage was read as a snapshot")
	}
}

package channeltest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/posbot/posbot/channel"
)

// InboxOpen returns two stores on one fresh key space, as two replicas
// have them (a and b may be the same for an in-memory store), the lease
// after which an owner that stopped renewing loses a conversation (0 for
// never) and the way to let that time pass.
type InboxOpen func(t *testing.T) (a, b channel.InboxStore, lease time.Duration, advance func(time.Duration))

// InboxStore runs the channel.InboxStore contract.
func InboxStore(t *testing.T, open InboxOpen) {
	t.Helper()
	ctx := context.Background()
	push := func(t *testing.T, s channel.InboxStore, key string, msgs ...string) {
		t.Helper()
		for _, m := range msgs {
			if err := s.Push(ctx, key, []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
	}
	claim := func(t *testing.T, s channel.InboxStore, max int) []string {
		t.Helper()
		keys, err := s.Claim(ctx, max)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		return keys
	}
	// drain answers n of key's messages in order, as an owner does; a
	// trailing "(more)" says the last Pop found more waiting.
	drain := func(t *testing.T, s channel.InboxStore, key string, n int) (got []string) {
		t.Helper()
		for i := range n {
			e, ok, err := s.Head(ctx, key)
			if err != nil || !ok {
				t.Fatalf("Head(%s) = %v, %v after %v", key, ok, err, got)
			}
			got = append(got, string(e.Payload))
			more, err := s.Pop(ctx, key, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if more && i == n-1 {
				got = append(got, "(more)")
			}
		}
		return got
	}

	t.Run("one owner at a time, messages in order", func(t *testing.T) {
		t.Parallel()
		a, b, _, _ := open(t)
		push(t, a, "c1", "m0", "m1")
		push(t, b, "c1", "m2") // arrived at the other replica
		push(t, b, "c2", "x0")
		if got := claim(t, a, 10); !slices.Equal(got, []string{"c1", "c2"}) {
			t.Fatalf("a claimed %v, want c1 and c2", got)
		}
		if got := claim(t, b, 10); len(got) != 0 {
			t.Fatalf("b claimed %v while a owns them", got)
		}
		if got := drain(t, a, "c1", 3); !slices.Equal(got, []string{"m0", "m1", "m2"}) {
			t.Fatalf("c1 answered %v, want m0 m1 m2 and nothing more", got)
		}
		// Empty: given up; a new message is claimable again, by anyone.
		push(t, b, "c1", "m3")
		if got := claim(t, b, 10); !slices.Equal(got, []string{"c1"}) {
			t.Fatalf("b claimed %v, want c1", got)
		}
		if got := drain(t, b, "c1", 1); got[0] != "m3" {
			t.Fatalf("c1 then answered %v", got)
		}
	})

	t.Run("a message pushed while owned goes to the owner", func(t *testing.T) {
		t.Parallel()
		a, b, _, _ := open(t)
		push(t, a, "c", "m0")
		claim(t, a, 1)
		e, _, err := a.Head(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		push(t, b, "c", "m1")
		more, err := a.Pop(ctx, "c", e.ID)
		if err != nil || !more {
			t.Fatalf("Pop = %v, %v; want more", more, err)
		}
		if got := claim(t, b, 1); len(got) != 0 {
			t.Fatalf("b claimed %v", got)
		}
		if got := drain(t, a, "c", 1); got[0] != "m1" {
			t.Fatalf("then %v", got)
		}
	})

	t.Run("released: the next owner gets the rest in order", func(t *testing.T) {
		t.Parallel()
		a, b, _, _ := open(t)
		push(t, a, "c", "m0", "m1", "m2")
		claim(t, a, 1)
		drain(t, a, "c", 1)
		if err := a.Release(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Head(ctx, "c"); !errors.Is(err, channel.ErrNotOwner) {
			t.Fatalf("Head after Release = %v, want ErrNotOwner", err)
		}
		if got := claim(t, b, 1); !slices.Equal(got, []string{"c"}) {
			t.Fatalf("b claimed %v", got)
		}
		if got := drain(t, b, "c", 2); !slices.Equal(got, []string{"m1", "m2"}) {
			t.Fatalf("b answered %v", got)
		}
	})

	t.Run("a message is removed only by its id", func(t *testing.T) {
		t.Parallel()
		a, _, _, _ := open(t)
		push(t, a, "c", "m0", "m1")
		claim(t, a, 1)
		if more, err := a.Pop(ctx, "c", "not-an-id"); err != nil || !more {
			t.Fatalf("Pop(wrong id) = %v, %v", more, err)
		}
		if got := drain(t, a, "c", 2); !slices.Equal(got, []string{"m0", "m1"}) {
			t.Fatalf("answered %v", got)
		}
	})

	t.Run("claim takes at most max", func(t *testing.T) {
		t.Parallel()
		a, _, _, _ := open(t)
		for i := range 5 {
			push(t, a, fmt.Sprint("c", i), "m")
		}
		if got := claim(t, a, 2); len(got) != 2 {
			t.Fatalf("claimed %v, want 2", got)
		}
		if got := claim(t, a, 10); len(got) != 3 {
			t.Fatalf("then claimed %v, want the other 3", got)
		}
	})

	t.Run("an owner that stops renewing loses the conversation", func(t *testing.T) {
		t.Parallel()
		a, b, lease, advance := open(t)
		if lease == 0 {
			t.Skip("ownership does not expire in this store")
		}
		push(t, a, "c", "m0", "m1")
		claim(t, a, 1)
		advance(lease / 2)
		if err := a.Renew(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		advance(lease * 3 / 4)
		if got := claim(t, b, 1); len(got) != 0 {
			t.Fatalf("b claimed %v within the renewed lease", got)
		}
		advance(lease)
		if got := claim(t, b, 1); !slices.Equal(got, []string{"c"}) {
			t.Fatalf("b claimed %v after the lease, want c", got)
		}
		if _, _, err := a.Head(ctx, "c"); !errors.Is(err, channel.ErrNotOwner) {
			t.Errorf("the old owner's Head = %v, want ErrNotOwner", err)
		}
		if _, err := a.Pop(ctx, "c", "x"); !errors.Is(err, channel.ErrNotOwner) {
			t.Errorf("the old owner's Pop = %v, want ErrNotOwner", err)
		}
		if got := drain(t, b, "c", 2); !slices.Equal(got, []string{"m0", "m1"}) {
			t.Fatalf("b answered %v", got)
		}
	})
}

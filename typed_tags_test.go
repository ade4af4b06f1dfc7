package hitbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
)

// userTags tags user 9 with nothing and every other user with "user=ID"
// and "team=ID%2".
func userTags(id string, _ user) []string {
	n, _ := strconv.Atoi(id)
	if n == 9 {
		return nil
	}
	return []string{"user=" + id, "team=" + strconv.Itoa(n%2)}
}

// idLoader returns a loader of user id named "v"+N for the Nth call of
// all the loaders sharing calls.
func idLoader(id string, calls *atomic.Int64) func(context.Context) (user, error) {
	n, _ := strconv.Atoi(id)
	return func(context.Context) (user, error) {
		return user{ID: n, Name: "v" + strconv.FormatInt(calls.Add(1), 10)}, nil
	}
}

// get calls GetOrFetch for id and checks its name and status.
func (e typedEnv) get(t *testing.T, id string, calls *atomic.Int64, name string, status hitbox.Status) {
	t.Helper()
	u, res, err := e.users.GetOrFetch(t.Context(), id, idLoader(id, calls))
	if err != nil || u.Name != name || res.Status != status {
		t.Fatalf("GetOrFetch(%s) = %+v %v %v; want %s %v", id, u, res.Status, err, name, status)
	}
}

// TestTypedTagsPurgeLayer checks that a tagged value served by the
// in-process layer is fetched again after Cache.InvalidateTags of one of
// its tags, and the new value is then served by the layer, while a value
// with other tags and an untagged one keep being served by the layer.
func TestTypedTagsPurgeLayer(t *testing.T) {
	t.Parallel()
	e := newTypedEnv(t, hitbox.TypedOptions[user]{Policy: hitbox.Enabled(time.Hour, 0), Tags: userTags})
	var calls atomic.Int64
	e.get(t, "7", &calls, "v1", hitbox.Miss)
	e.get(t, "8", &calls, "v2", hitbox.Miss)
	e.get(t, "9", &calls, "v3", hitbox.Miss)
	if st, ok, _ := e.m.Get(t.Context(), e.users.Key("7")); !ok || !slices.Equal(st.Tags, []string{"user=7", "team=1"}) {
		t.Fatalf("stored entry of 7 = %+v, %v; want it tagged user=7 and team=1", st, ok)
	}
	e.clock.Advance(time.Second)
	e.get(t, "7", &calls, "v1", hitbox.Hit)
	if err := e.c.InvalidateTags(t.Context(), "team=1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	e.get(t, "7", &calls, "v4", hitbox.Miss)
	hits := e.m.Stats().Hits
	e.get(t, "7", &calls, "v4", hitbox.Hit)
	e.get(t, "8", &calls, "v2", hitbox.Hit)
	e.get(t, "9", &calls, "v3", hitbox.Hit)
	if got := e.m.Stats().Hits; got != hits {
		t.Errorf("backend hits rose by %d, want 0: the layer answers v4, 8 and 9", got-hits)
	}
	if got := e.decodes.Load(); got != 0 {
		t.Errorf("decodes = %d, want 0", got)
	}
}

// TestTypedInvalidateTagsLayerOnly checks that Typed.InvalidateTags hides
// the layer's values of its tags only, and leaves the backend alone: the
// next call reads the still valid entry through the flow.
func TestTypedInvalidateTagsLayerOnly(t *testing.T) {
	t.Parallel()
	e := newTypedEnv(t, hitbox.TypedOptions[user]{Policy: hitbox.Enabled(time.Hour, 0), Tags: userTags})
	var calls atomic.Int64
	e.get(t, "7", &calls, "v1", hitbox.Miss)
	e.clock.Advance(time.Second)
	hits := e.m.Stats().Hits
	e.users.InvalidateTags([]string{"user=8", "team=0"}, e.clock.Now())
	e.get(t, "7", &calls, "v1", hitbox.Hit)
	if got := e.m.Stats().Hits; got != hits {
		t.Fatalf("backend hits rose by %d after a purge of other tags, want 0", got-hits)
	}
	e.users.InvalidateTags([]string{"user=7"}, e.clock.Now())
	e.clock.Advance(time.Second)
	for i := range 2 {
		e.get(t, "7", &calls, "v1", hitbox.Hit)
		if got := e.m.Stats().Hits; got != hits+uint64(i)+1 {
			t.Fatalf("call %d after the purge: backend hits rose by %d, want %d", i, got-hits, i+1)
		}
	}
	if n := e.m.TagMarks(); n != 0 {
		t.Errorf("backend tag marks = %d, want 0: Typed.InvalidateTags does not touch the backend", n)
	}
}

// TestTypedTagsPurgeDuringFetch checks that a purge of a tag landing while
// the value's fetch runs keeps that value out of the layer (as the flow
// keeps it out of the backend): the next call fetches again.
func TestTypedTagsPurgeDuringFetch(t *testing.T) {
	t.Parallel()
	for _, layerOnly := range []bool{false, true} {
		e := newTypedEnv(t, hitbox.TypedOptions[user]{Policy: hitbox.Enabled(time.Hour, 0), Tags: userTags})
		var calls atomic.Int64
		called, release := make(chan struct{}), make(chan struct{})
		slow := func(ctx context.Context) (user, error) {
			close(called)
			<-release
			return idLoader("7", &calls)(ctx)
		}
		type answer struct {
			u   user
			res hitbox.Result
			err error
		}
		done := make(chan answer)
		go func() {
			u, res, err := e.users.GetOrFetch(t.Context(), "7", slow)
			done <- answer{u, res, err}
		}()
		<-called
		e.clock.Advance(time.Second)
		if layerOnly {
			e.users.InvalidateTags([]string{"user=7"}, e.clock.Now())
		} else if err := e.c.InvalidateTags(t.Context(), "user=7"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		close(release)
		a := <-done
		if a.err != nil || a.u.Name != "v1" || a.res.Status != hitbox.Miss || a.res.Stored != layerOnly {
			t.Fatalf("layerOnly=%v: the answer begun before the purge = %+v %+v %v; want v1, a MISS, stored %v",
				layerOnly, a.u, a.res, a.err, layerOnly)
		}
		if layerOnly {
			// The backend did not hear of the purge: its entry, written
			// after it, answers through the flow and fills the layer.
			hits := e.m.Stats().Hits
			e.get(t, "7", &calls, "v1", hitbox.Hit)
			e.get(t, "7", &calls, "v1", hitbox.Hit)
			if got := e.m.Stats().Hits; got != hits+1 {
				t.Errorf("backend hits rose by %d, want 1: the entry read fills the layer", got-hits)
			}
			continue
		}
		e.get(t, "7", &calls, "v2", hitbox.Miss)
		e.get(t, "7", &calls, "v2", hitbox.Hit)
	}
}

// TestTypedTagsNilStoresAsBefore checks that a Typed without Tags stores
// the bytes the flow stores for an untagged Fetched of the same value.
func TestTypedTagsNilStoresAsBefore(t *testing.T) {
	t.Parallel()
	e := newTypedEnv(t, hitbox.TypedOptions[user]{Policy: hitbox.Enabled(time.Hour, time.Minute)})
	var calls atomic.Int64
	e.get(t, "7", &calls, "v1", hitbox.Miss)
	b, err := json.Marshal(user{ID: 7, Name: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.Do(t.Context(), hitbox.Request{Key: "plain", Policy: hitbox.Enabled(time.Hour, time.Minute)},
		func(context.Context) (hitbox.Fetched, error) { return hitbox.Fetched{Value: b, Store: true}, nil })
	if err != nil {
		t.Fatal(err)
	}
	var raw [2][]byte
	for i, k := range []string{e.users.Key("7"), "plain"} {
		st, ok, err := e.m.Get(t.Context(), k)
		if !ok || err != nil {
			t.Fatalf("stored entry %q: %v %v", k, ok, err)
		}
		if raw[i], err = (backend.Codec{}).Encode(nil, st); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(raw[0], raw[1]) {
		t.Errorf("Typed stored %q, want %q as an untagged Fetched stores", raw[0], raw[1])
	}
}

// TestTypedTagsConcurrent runs tagged hits and misses of a few keys while
// their tags are purged (for -race), and checks every answer is a value of
// its own key and that, once the purges stop, a purged key is fetched
// again.
func TestTypedTagsConcurrent(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t)
	users, err := hitbox.NewTyped(c, hitbox.TypedOptions[user]{
		Policy: hitbox.Enabled(time.Hour, 0), Namespace: "users", Tags: userTags,
	})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			if err := c.InvalidateTags(t.Context(), "user="+strconv.Itoa(i%5)); err != nil {
				t.Error(err)
				return
			}
			users.InvalidateTags([]string{"team=" + strconv.Itoa(i%2)}, time.Now())
		}
	})
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				id := strconv.Itoa((g + i) % 5)
				u, _, err := users.GetOrFetch(t.Context(), id, idLoader(id, &calls))
				if err != nil || strconv.Itoa(u.ID) != id {
					t.Errorf("id %s: %+v %v", id, u, err)
					return
				}
			}
		})
	}
	wg.Wait()
	before := calls.Load()
	if err := c.InvalidateTags(t.Context(), "user=1"); err != nil {
		t.Fatal(err)
	}
	_, res, err := users.GetOrFetch(t.Context(), "1", idLoader("1", &calls))
	if err != nil || res.Status != hitbox.Miss || calls.Load() != before+1 {
		t.Errorf("after the last purge: %v %v, %d fetches; want a MISS fetching once", res.Status, err, calls.Load()-before)
	}
}

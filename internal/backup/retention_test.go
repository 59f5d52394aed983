package backup

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"testing"
	"time"
)

func TestKeepsTheNewestOfEachDayWeekAndMonth(t *testing.T) {
	base := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC) // a Tuesday
	var ms []Manifest
	for d := 0; d < 90; d++ {
		for _, h := range []int{0, 12} { // two a day
			at := base.AddDate(0, 0, -d).Add(time.Duration(h) * time.Hour)
			ms = append(ms, Manifest{ID: at.Format("20060102T15"), Time: at})
		}
	}
	keep := Keep{Daily: 3, Weekly: 2, Monthly: 3}.Keeps(ms)
	var got []string
	for id := range keep {
		got = append(got, id)
	}
	sort.Strings(got)
	want := []string{
		"20260930T15",                // newest of September
		"20261031T15",                // newest of October
		"20261122T15",                // newest of ISO week 47 (Sunday)
		"20261124T15", "20261123T15", // daily
		"20261122T15", // (also daily)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(got, want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
}

func TestPruneDeletesOnlyWhatIsUnkeptAndUnlocked(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	st := &Local{Dir: t.TempDir(), Now: func() time.Time { return now }}
	put := func(id string, at time.Time, until time.Time) {
		m := Manifest{ID: id, Upstream: "u", Time: at}
		o, err := st.Put(ctx, "u/"+id+".dump.zst.age", bytes.NewReader([]byte("dump")), until)
		if err != nil {
			t.Fatal(err)
		}
		m.Object = o
		b, _ := json.Marshal(m)
		if _, err := st.Put(ctx, "u/"+id+".manifest.json", bytes.NewReader(b), until); err != nil {
			t.Fatal(err)
		}
	}
	put("a-today", now.Add(-time.Hour), now.Add(time.Hour))           // kept (newest)
	put("b-old-unlocked", now.AddDate(0, 0, -3), now.Add(-time.Hour)) // not kept, unlocked: goes
	put("c-old-locked", now.AddDate(0, 0, -4), now.Add(time.Hour))    // not kept, but still locked: stays
	deleted, err := Prune(ctx, st, "u", Keep{Daily: 1}, now)
	if err != nil || !slices.Equal(deleted, []string{"b-old-unlocked"}) {
		t.Fatalf("deleted %v %v", deleted, err)
	}
	left, _ := st.List(ctx, "u/")
	if len(left) != 4 {
		t.Fatalf("left %+v", left)
	}
}

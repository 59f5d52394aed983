package http

import (
	"encoding/json"
	"strings"
	"testing"
)

// A machine update that leaves out a volume the machine mounts now - in
// any spelling - is held in staging, where plain updates go through; the
// machine's current mounts are asked of Fly. One that keeps the volume
// where it was is forwarded, and one for a machine Fly cannot show is held.
func TestFlyUpdateThatDropsAVolumeIsHeld(t *testing.T) {
	e := setup(t)
	const m1 = "/u/fly-staging/apps/a/machines/m1"
	for _, body := range []string{
		`{"config":{"image":"app","mounts":[]}}`,
		`{"config":{"image":"app","mounts":null}}`,
		`{"config":{"image":"app","Mounts":null}}`,
		`{"config":{"image":"app"}}`,
		`{"config":null}`,
		`{}`,
		`{"config":{"image":"app","mounts":[{}]}}`,
		`{"config":{"image":"app","mounts":[{"volume":"","path":"/data"}]}}`,
		`{"config":{"image":"app","mounts":[{"volume":"vol_1","path":"/elsewhere"}]}}`,
		`{"config":{"image":"app","mounts":[{"volume":"vol_2","path":"/data"}]}}`,
		`{"CONFIG":{"image":"app","MOUNTS":[{"VOLUME":"vol_2","PATH":"/data"}]}}`,
		// The volume kept, but something else mounted over its path.
		`{"config":{"image":"app","mounts":[{"volume":"vol_1","path":"/data"},{"volume":"vol_2","path":"/data"}]}}`,
		`{"config":{"image":"app","mounts":[{"volume":"vol_1","path":"/data"}],"volumes":[{"name":"scratch","temp_dir":{"size_mb":10}}],"containers":[{"name":"app","image":"app","mounts":[{"name":"scratch","path":"/data"}]}]}}`,
	} {
		before := e.prov.count()
		status, out := e.send(t, e.stage, "POST", m1, body)
		if status != 403 || !strings.Contains(toString(out), "vol_1") {
			t.Errorf("%s: %d %v", body, status, out)
		}
		if e.sentSince(before, "POST") {
			t.Errorf("%s reached Fly", body)
		}
	}
	for _, c := range []struct{ path, body string }{
		{m1, `{"config":{"image":"app2","mounts":[{"volume":"vol_1","path":"/data"}]}}`},
		{m1, `{"config":{"image":"app2","mounts":[{"volume":"vol_1","path":"/data/"},{"volume":"vol_3","path":"/cache"}]}}`},
		{"/u/fly-staging/apps/a/machines/m2", `{"config":{"image":"app2"}}`},
	} {
		before := e.prov.count()
		if status, out := e.send(t, e.stage, "POST", c.path, c.body); status != 200 || !e.sentSince(before, "POST") {
			t.Errorf("%s %s: %d %v", c.path, c.body, status, out)
		}
	}
	before := e.prov.count()
	if status, out := e.send(t, e.stage, "POST", "/u/fly-staging/apps/a/machines/m9", `{"config":{"image":"app"}}`); status != 403 || e.sentSince(before, "POST") {
		t.Errorf("a machine Fly cannot show: %d %v", status, out)
	}
	// The path in another case is the same endpoint, and asked about.
	for _, path := range []string{"/u/fly-staging/Apps/a/machines/m1", "/u/fly-staging/apps/a/MACHINES/m1"} {
		before := e.prov.count()
		if status, out := e.send(t, e.stage, "POST", path, `{"config":{"image":"app2"}}`); status != 403 || e.sentSince(before, "POST") {
			t.Errorf("%s: %d %v", path, status, out)
		}
	}
	// Services dropped take what the machine serves offline.
	before = e.prov.count()
	if status, out := e.send(t, e.stage, "POST", "/u/fly-staging/apps/a/machines/m3", `{"config":{"image":"app2","services":[]}}`); status != 403 || e.sentSince(before, "POST") {
		t.Errorf("services dropped: %d %v", status, out)
	}
	for _, body := range []string{
		`{"config":{"image":"app2","services":[{"internal_port":8080,"protocol":"tcp","ports":[]}]}}`,
		`{"config":{"image":"app2","services":[{"internal_port":8080,"protocol":"tcp"}]}}`,
		`{"config":{"image":"app2","services":[{"internal_port":9090,"protocol":"tcp","ports":[{"port":443}]}]}}`,
		`{"config":{"image":"app2","services":[{"internal_port":8080,"protocol":"udp","ports":[{"port":443}]}]}}`,
		`{"skip_service_registration":true,"config":{"image":"app2","services":[{"internal_port":8080,"protocol":"tcp","ports":[{"port":443}]}]}}`,
	} {
		before = e.prov.count()
		if status, out := e.send(t, e.stage, "POST", "/u/fly-staging/apps/a/machines/m3", body); status != 403 || e.sentSince(before, "POST") {
			t.Errorf("%s: %d %v", body, status, out)
		}
	}
	before = e.prov.count()
	if status, out := e.send(t, e.stage, "POST", "/u/fly-staging/apps/a/machines/m3?skip_service_registration=true", `{"config":{"image":"app2","services":[{"internal_port":8080,"protocol":"tcp","ports":[{"port":443}]}]}}`); status != 403 || e.sentSince(before, "POST") {
		t.Errorf("skip_service_registration in the query: %d %v", status, out)
	}
	before = e.prov.count()
	if status, out := e.send(t, e.stage, "POST", "/u/fly-staging/apps/a/machines/m3", `{"config":{"image":"app2","services":[{"internal_port":8080,"protocol":"tcp","ports":[{"port":443,"handlers":["tls","http"]},{"port":80}]}]}}`); status != 200 || !e.sentSince(before, "POST") {
		t.Errorf("services kept: %d %v", status, out)
	}
	// A volume mounted under the volume's path hides what is there.
	before = e.prov.count()
	if status, out := e.send(t, e.stage, "POST", m1, `{"config":{"image":"app","mounts":[{"volume":"vol_1","path":"/data"},{"volume":"vol_9","path":"/data/sub"}]}}`); status != 403 || e.sentSince(before, "POST") {
		t.Errorf("nested mount: %d %v", status, out)
	}
	// A body that is not an object is answered, not dropped.
	for _, body := range []string{`[]`, `1`, `null`, `"x"`} {
		for _, path := range []string{"/u/fly-staging/apps/a/machines", "/u/fly-staging/apps/a/machines/m1"} {
			before := e.prov.count()
			if status, out := e.send(t, e.stage, "POST", path, body); status < 400 && e.sentSince(before, "POST") && path != "/u/fly-staging/apps/a/machines" {
				t.Errorf("%s %s: %d %v", path, body, status, out)
			}
		}
	}
}

// sentSince says whether a request of method reached the provider after
// the first n it saw.
func (e *env) sentSince(n int, method string) bool {
	e.prov.mu.Lock()
	defer e.prov.mu.Unlock()
	for _, s := range e.prov.seen[n:] {
		if strings.HasPrefix(s, method+" ") {
			return true
		}
	}
	return false
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

package strictjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRefusesWhatReadersDisagreeAbout(t *testing.T) {
	for _, doc := range []string{
		`{"query":"a","query":"b"}`,
		`{"query":"a","QUERY":"b"}`,
		`{"variables":{},"Variables":{}}`,
		`{"query":"a","\u0071uery":"b"}`,
		`{"kind":1,"\u212aind":2}`, // the Kelvin sign folds to k
		`{"s":1,"ſ":2}`,            // long s folds to s
		`[{"a":{"b":[{"id":1,"Id":2}]}}]`,
		`{"__proto__":{"query":"x"}}`,
		"\xef\xbb\xbf{}",
		"{\"a\":\"\xff\"}",
		`{"a":"\ud800"}`,
		`{"a":"\udc00\ud800"}`,
		`{"a":"\ud800\u0041"}`,
		`{"a":1} {"b":2}`,
		`{"a":1,}`,
		`[1,]`,
		`{'a':1}`,
		`{"a":01}`,
		`{"a":NaN}`,
		"{\"a\":\"\t\"}",
		`"\x"`,
		``,
		strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2),
	} {
		if v, err := Decode([]byte(doc)); err == nil {
			t.Errorf("%q was read as %v", doc, v)
		}
	}
}

func TestReadsWhatEveryReaderReadsAlike(t *testing.T) {
	for _, doc := range []string{
		`{"query":"q","extensions":{"x":1},"other":[1,2.5e3,-0,true,false,null]}`,
		`{"a":{"a":{"a":1}},"b":"\u00e9\ud83d\ude00\n\"\\\/"}`,
		`[{"query":"a"},{"query":"b"}]`,
		` 123456789012345678901234567890 `,
		`{"id":"vol_1","ID_2":"x"}`,
	} {
		got, err := Decode([]byte(doc))
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		d := json.NewDecoder(strings.NewReader(doc))
		d.UseNumber()
		var want any
		if err := d.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %#v, encoding/json reads %#v", doc, got, want)
		}
	}
}

func TestUnmarshalMatchesFieldsExactly(t *testing.T) {
	type in struct {
		Command json.RawMessage `json:"command"`
		Path    string          `json:"path"`
		Nested  *struct {
			Name string `json:"name"`
		} `json:"nested"`
	}
	var v in
	if err := Unmarshal([]byte(`{"command":"ls","path":"/x","nested":{"name":"n"},"extra":1}`), &v); err != nil || v.Path != "/x" || v.Nested.Name != "n" {
		t.Fatalf("%v %+v", err, v)
	}
	for _, doc := range []string{`{"Command":"rm -rf /"}`, `{"nested":{"NAME":"x"}}`, `{"PATH":"y"}`, `{"command":"ls","command":"rm"}`} {
		if err := Unmarshal([]byte(doc), &in{}); err == nil {
			t.Errorf("%s was read", doc)
		}
	}
}

// FuzzDecode: what Decode accepts, encoding/json reads the same way, and
// Decode never accepts a document with two keys encoding/json would merge.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[{"query":"x","Query":"y"}]`, `{"a":"\ud83d\ude00"}`, `1e5`, `{"K":1,"k":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(data)
		if err != nil {
			return
		}
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var want any
		if err := d.Decode(&want); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %#v, encoding/json reads %#v", data, got, want)
		}
	})
}

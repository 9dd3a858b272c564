package wgkey

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// leaks returns the spellings of priv that must never appear in output:
// base64, hex (either case), and the decimal bytes %v of a [32]byte would
// print.
func leaks(t *testing.T, priv Private) []string {
	t.Helper()
	b := priv.bytes()
	return []string{
		priv.Base64Secret(),
		base64.RawStdEncoding.EncodeToString(b[:]),
		base64.URLEncoding.EncodeToString(b[:]),
		hex.EncodeToString(b[:]),
		strings.ToUpper(hex.EncodeToString(b[:])),
		fmt.Sprint(b[:8])[1:20], // "119 7 109 ..." as [32]byte or []byte would print
		fmt.Sprintf("% x", b[:6]),
		string(b[:6]), // %s of raw bytes
	}
}

func checkNoLeak(t *testing.T, priv Private, what, out string) {
	t.Helper()
	for _, l := range leaks(t, priv) {
		if strings.Contains(out, l) {
			t.Errorf("%s leaks the private key (%q) in %q", what, l, out)
		}
	}
}

// holders are structs a Private is commonly kept in: exported fields (fmt
// calls the key's Format), an unexported field (fmt cannot call methods
// and walks the value by reflection) and a pointer.
type exported struct {
	Name string
	Key  Private
	Ptr  *Private
}

type unexported struct {
	name string
	key  Private
	ptr  *Private
}

type nested struct {
	cfg   unexported
	Cfg   exported
	keys  []Private
	byID  map[string]Private
	iface any
}

func testKey(t *testing.T) Private {
	t.Helper()
	priv, err := ParsePrivate(vectors[1].priv)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func TestPrivateFmt(t *testing.T) {
	priv := testKey(t)
	values := map[string]any{
		"Private":     priv,
		"*Private":    &priv,
		"exported":    exported{"x", priv, &priv},
		"*exported":   &exported{"x", priv, &priv},
		"unexported":  unexported{"x", priv, &priv},
		"*unexported": &unexported{"x", priv, &priv},
		"nested": nested{unexported{"x", priv, &priv}, exported{"x", priv, &priv},
			[]Private{priv}, map[string]Private{"a": priv}, priv},
		"[]Private":  []Private{priv, priv},
		"[1]Private": [1]Private{priv},
		"map":        map[Public]Private{priv.Public(): priv},
		"interface":  []any{priv, &priv},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%T", "%p", "%50v", "%-8s", "%08x", "%!", "%U", "%c", "%b", "%o", "%t", "%e"}
	for name, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			checkNoLeak(t, priv, name+" with "+verb, out)
		}
		checkNoLeak(t, priv, name+" with Sprint", fmt.Sprint(v))
		checkNoLeak(t, priv, name+" with Sprintln", fmt.Sprintln(v, v))
		var buf bytes.Buffer
		log.New(&buf, "", 0).Printf("key %v %+v", v, v)
		checkNoLeak(t, priv, name+" with log.Printf", buf.String())
	}
	// The key itself prints as the marker, whatever the verb.
	for _, verb := range []string{"%v", "%s", "%+v", "%#v", "%x", "%X", "%q", "%d", "%10v"} {
		if got := fmt.Sprintf(verb, priv); got != redacted {
			t.Errorf("Sprintf(%q, priv) = %q, want %q", verb, got, redacted)
		}
	}
	if got := priv.GoString(); got != redacted {
		t.Errorf("GoString() = %q", got)
	}
	// Errors that wrap a key with %v keep it out too.
	err := fmt.Errorf("configuring %v: %w", exported{Key: priv}, errors.New("boom"))
	checkNoLeak(t, priv, "fmt.Errorf", err.Error())
}

func TestPrivateSlog(t *testing.T) {
	priv := testKey(t)
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		l := slog.New(h.new(&buf))
		l.Info("direct", "key", priv, "ptr", &priv)
		l.Info("any", slog.Any("key", priv))
		l.Info("group", slog.Group("g", "key", priv))
		l.With("key", priv).Info("with")
		l.Info("struct", "exported", exported{"x", priv, &priv}, "unexported", unexported{"x", priv, &priv})
		l.Info("nested", "n", nested{unexported{"x", priv, &priv}, exported{"x", priv, &priv}, []Private{priv}, map[string]Private{"a": priv}, priv})
		l.Info("slice", "keys", []Private{priv})
		l.Info("fmt", "msg", fmt.Sprintf("%v", priv))
		out := buf.String()
		checkNoLeak(t, priv, h.name+" handler", out)
		if !strings.Contains(out, `key=[redacted]`) && !strings.Contains(out, `"key":"[redacted]"`) {
			t.Errorf("%s handler: no [redacted] marker for a direct key in %s", h.name, out)
		}
	}
	if v := priv.LogValue(); v.Kind() != slog.KindString || v.String() != redacted {
		t.Errorf("LogValue() = %v", v)
	}
}

func TestPrivateEncoders(t *testing.T) {
	priv := testKey(t)
	for name, v := range map[string]any{
		"Private":    priv,
		"*Private":   &priv,
		"exported":   exported{"x", priv, &priv},
		"*exported":  &exported{"x", priv, &priv},
		"unexported": unexported{"x", priv, &priv},
		"nested":     nested{Cfg: exported{"x", priv, &priv}},
		"map":        map[string]Private{"a": priv},
		"slice":      []Private{priv},
		"tagged": struct {
			K Private `json:"k,omitempty"`
		}{priv},
	} {
		b, err := json.Marshal(v)
		checkNoLeak(t, priv, "json.Marshal("+name+")", string(b))
		if err != nil {
			checkNoLeak(t, priv, "json.Marshal("+name+") error", err.Error())
		}
		var buf bytes.Buffer
		err = json.NewEncoder(&buf).Encode(v)
		checkNoLeak(t, priv, "json.Encoder("+name+")", buf.String())
		if err != nil {
			checkNoLeak(t, priv, "json.Encoder("+name+") error", err.Error())
		}
		b, err = xml.Marshal(v)
		checkNoLeak(t, priv, "xml.Marshal("+name+")", string(b))
		if err != nil {
			checkNoLeak(t, priv, "xml.Marshal("+name+") error", err.Error())
		}
	}
	// A struct with an exported Private refuses to marshal rather than
	// writing a placeholder that would later be read back as a key.
	if b, err := json.Marshal(exported{Key: priv}); err == nil {
		t.Errorf("json.Marshal of a struct with a Private = %s, want an error", b)
	} else if !errors.Is(err, errMarshal) {
		t.Errorf("json.Marshal error = %v, want errMarshal", err)
	}
}

// TestPrivateMethodSet fails when someone gives Private a way to print
// itself: a String or Error method, or any new method returning the key's
// text or bytes. The only such methods are the explicit secret accessors
// and the redacting ones.
func TestPrivateMethodSet(t *testing.T) {
	var priv any = Private{}
	var ptr any = &Private{}
	for _, v := range []any{priv, ptr} {
		if _, ok := v.(fmt.Stringer); ok {
			t.Errorf("%T implements fmt.Stringer: a private key must not print itself", v)
		}
		if _, ok := v.(error); ok {
			t.Errorf("%T implements error", v)
		}
		if _, ok := v.(interface{ AppendText([]byte) ([]byte, error) }); ok {
			t.Errorf("%T implements encoding.TextAppender", v)
		}
		if _, ok := v.(json.Marshaler); ok {
			t.Errorf("%T implements json.Marshaler; MarshalText's refusal is the one path", v)
		}
		for _, iface := range []any{
			(*fmt.Formatter)(nil), (*fmt.GoStringer)(nil), (*slog.LogValuer)(nil), (*encoding.TextMarshaler)(nil),
		} {
			if it := reflect.TypeOf(iface).Elem(); !reflect.TypeOf(v).Implements(it) {
				t.Errorf("%T does not implement %v", v, it)
			}
		}
	}
	allowed := map[string]bool{
		"UAPIHex": true, "Base64Secret": true, // the explicit secret accessors
		"GoString": true, "LogValue": true, "MarshalText": true, // redact or refuse
		"Format": true, "Public": true, "IsZero": true, "Equal": true,
	}
	pt := reflect.TypeOf(ptr)
	for i := range pt.NumMethod() {
		if m := pt.Method(i); !allowed[m.Name] {
			t.Errorf("Private has a new method %s%v: review it for leaking the key, then add it to this list", m.Name, m.Type)
		}
	}
	// Private is deliberately not comparable: use Equal.
	if reflect.TypeOf(priv).Comparable() {
		t.Error("Private is comparable")
	}
	// The bytes are held by a closure, so that reflection-based printing
	// of an unexported field shows an address, not the key: an array
	// prints its bytes, and fmt's %!verb(...) fallback dereferences a
	// pointer to one. TestPrivateFmt checks the output; this names the
	// cause.
	st := reflect.TypeOf(priv)
	for i := range st.NumField() {
		if f := st.Field(i); f.Type.Kind() != reflect.Func {
			t.Errorf("Private field %s is a %v; fmt can print it from an unexported field", f.Name, f.Type)
		}
	}
}

func TestPrivateRoundTrip(t *testing.T) {
	priv, err := NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivate(priv.Base64Secret())
	if err != nil || !back.Equal(priv) || back.Public() != priv.Public() {
		t.Fatalf("ParsePrivate(Base64Secret()) = %v, %v", back, err)
	}
	h, err := hex.DecodeString(priv.UAPIHex())
	if b := priv.bytes(); err != nil || !bytes.Equal(h, b[:]) {
		t.Fatalf("UAPIHex does not decode to the key: %v", err)
	}
	var zero Private
	if zero.Base64Secret() != strings.Repeat("A", 43)+"=" || zero.UAPIHex() != strings.Repeat("0", 64) {
		t.Fatal("zero Private does not spell as zeros")
	}
	if zero.Equal(priv) || !zero.Equal(Private{}) {
		t.Fatal("Equal on the zero key")
	}
}

func TestPublicRoundTrip(t *testing.T) {
	for _, v := range vectors {
		pub, err := ParsePublic(v.pub)
		if err != nil {
			t.Fatal(err)
		}
		if pub.String() != v.pub || fmt.Sprint(pub) != v.pub || fmt.Sprintf("%v", pub) != v.pub {
			t.Fatalf("Public prints as %q, want %q", pub.String(), v.pub)
		}
		text, _ := pub.MarshalText()
		var back Public
		if err := back.UnmarshalText(text); err != nil || back != pub {
			t.Fatalf("UnmarshalText(MarshalText()) = %v, %v", back, err)
		}
		h, _ := hex.DecodeString(pub.Hex())
		if Public(h) != pub {
			t.Fatal("Hex does not decode to the key")
		}
	}
	// A public key is fine in logs: slog shows it as wg does.
	var buf bytes.Buffer
	pub, _ := ParsePublic(vectors[0].pub)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("peer", "key", pub)
	if !strings.Contains(buf.String(), `"key":"`+vectors[0].pub+`"`) {
		t.Fatalf("slog JSON of a Public = %s", buf.String())
	}
}

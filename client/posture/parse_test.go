package posture

import (
	"encoding/base64"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"

	"github.com/opensvpn/svpn/api"
)

func TestDecodeProductState(t *testing.T) {
	tests := []struct {
		name  string
		state uint32
		want  productState
	}{
		{"Defender on, current", 397568, productState{Enabled: true, UpToDate: true}},      // 0x061100
		{"Defender off, current", 393472, productState{Enabled: false, UpToDate: true}},    // 0x060100
		{"Defender on, out of date", 397584, productState{Enabled: true, UpToDate: false}}, // 0x061110
		{"Defender off, out of date", 393488, productState{}},                              // 0x060110
		{"third party on, current", 266240, productState{Enabled: true, UpToDate: true}},   // 0x041000
		{"third party off, current", 262144, productState{Enabled: false, UpToDate: true}}, // 0x040000
		{"third party on, out of date", 266256, productState{Enabled: true}},               // 0x041010
		{"third party off, out of date", 262160, productState{}},                           // 0x040010
		{"AV+auto-update on, current", 0x061000, productState{Enabled: true, UpToDate: true}},
		{"snoozed", 0x042000, productState{UpToDate: true}},
		{"expired", 0x043000, productState{UpToDate: true}},
		{"unknown definitions byte", 0x041001, productState{Enabled: true}},
		{"zero", 0, productState{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeProductState(tt.state); got != tt.want {
				t.Errorf("decodeProductState(%#06x) = %+v, want %+v", tt.state, got, tt.want)
			}
		})
	}
}

func b64(s string) []byte { return []byte(base64.StdEncoding.EncodeToString([]byte(s)) + "\r\n") }

func TestParseWSC(t *testing.T) {
	tests := []struct {
		name    string
		out     []byte
		want    []api.Antivirus
		wantErr bool
	}{
		{
			name: "two products",
			out:  b64(`[{"displayName":"Windows Defender","productState":393472},{"displayName":"알약","productState":266240}]`),
			want: []api.Antivirus{
				{Name: "Windows Defender", Enabled: false, UpToDate: true},
				{Name: "알약", Enabled: true, UpToDate: true},
			},
		},
		{
			name: "single object",
			out:  b64(`{"displayName":"AhnLab V3 Internet Security 9.0","productState":266256}`),
			want: []api.Antivirus{{Name: "AhnLab V3 Internet Security 9.0", Enabled: true}},
		},
		{name: "empty array", out: b64(`[]`), want: []api.Antivirus{}},
		{name: "null", out: b64(`null`)},
		{name: "nothing", out: nil},
		{name: "not base64", out: []byte("Get-CimInstance : Invalid namespace"), wantErr: true},
		{name: "not json", out: b64(`<xml/>`), wantErr: true},
		{name: "negative state", out: b64(`[{"displayName":"x","productState":-1}]`), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWSC(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEncodePowerShell(t *testing.T) {
	script := "Write-Output '알약 \"quoted\"'"
	raw, err := base64.StdEncoding.DecodeString(encodePowerShell(script))
	if err != nil || len(raw)%2 != 0 {
		t.Fatalf("not base64 of UTF-16: %v", err)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	if got := string(utf16.Decode(u)); got != script {
		t.Errorf("round trip = %q, want %q", got, script)
	}
}

// TestWSCScriptContract checks that the Windows probe produces what
// parseWSC reads: the fields it decodes, base64 of UTF-8, always an array.
func TestWSCScriptContract(t *testing.T) {
	for _, s := range []string{"displayName", "productState", "ToBase64String", "UTF8", "@(Get-CimInstance", "-InputObject $p"} {
		if !strings.Contains(wscScript, s) {
			t.Errorf("wscScript lacks %q", s)
		}
	}
	if strings.Contains(wscScript, `"`) {
		t.Error("wscScript should not need double quotes")
	}
}

func TestWindowsVersion(t *testing.T) {
	tests := []struct {
		product, display string
		build, ubr       uint64
		want             string
	}{
		{"Windows 10 Pro", "23H2", 22631, 3007, "Windows 11 Pro 23H2 (build 22631.3007)"},
		{"Windows 10 Enterprise", "22H2", 19045, 4291, "Windows 10 Enterprise 22H2 (build 19045.4291)"},
		{"Windows 11 Pro", "24H2", 26100, 0, "Windows 11 Pro 24H2 (build 26100)"},
		{"Windows Server 2022 Standard", "21H2", 20348, 2340, "Windows Server 2022 Standard 21H2 (build 20348.2340)"},
		{"", "", 0, 0, "Windows"},
	}
	for _, tt := range tests {
		if got := windowsVersion(tt.product, tt.display, tt.build, tt.ubr); got != tt.want {
			t.Errorf("windowsVersion(%q, %q, %d, %d) = %q, want %q", tt.product, tt.display, tt.build, tt.ubr, got, tt.want)
		}
	}
	if parseUint(" 22631 ") != 22631 || parseUint("x") != 0 {
		t.Error("parseUint")
	}
}

func TestParseOSRelease(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"debian", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n", "Debian GNU/Linux 12 (bookworm)"},
		{"single quotes", "PRETTY_NAME='Gooroom 3.0'\n", "Gooroom 3.0"},
		{"bare", "# comment\nPRETTY_NAME=Arch\n", "Arch"},
		{"escapes", `PRETTY_NAME="Ubuntu \"Noble\" \\o/ \$x"` + "\n", `Ubuntu "Noble" \o/ $x`},
		{"no pretty", "NAME=Fedora\nVERSION_ID=40\n", "Fedora 40"},
		{"name only", "NAME=Alpine\n", "Alpine"},
		{"empty", "", ""},
		{"garbage", "\x00\x01===\n\"", ""},
	}
	for _, tt := range tests {
		if got := parseOSRelease([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: parseOSRelease = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseSwVers(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ProductName:\t\tmacOS\nProductVersion:\t\t14.4.1\nBuildVersion:\t\t23E224\n", "macOS 14.4.1 (23E224)"},
		{"ProductName:\tMac OS X\nProductVersion:\t10.15.7\n", "Mac OS X 10.15.7"},
		{"", ""},
		{"BuildVersion: 23E224\n", ""},
	}
	for _, tt := range tests {
		if got := parseSwVers([]byte(tt.in)); got != tt.want {
			t.Errorf("parseSwVers(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

const xprotectPlist = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>BuildMachineOSBuild</key>
	<string>22A380021</string>
	<key>Nested</key>
	<dict>
		<key>CFBundleShortVersionString</key>
		<string>wrong</string>
	</dict>
	<key>CFBundleIdentifier</key>
	<string>com.apple.XProtectFramework.plugin-bundle</string>
	<key>CFBundleShortVersionString</key>
	<string>5287</string>
</dict>
</plist>`

func TestPlistString(t *testing.T) {
	tests := []struct {
		name, in, key, want string
		ok                  bool
	}{
		{"version", xprotectPlist, "CFBundleShortVersionString", "5287", true},
		{"identifier", xprotectPlist, "CFBundleIdentifier", "com.apple.XProtectFramework.plugin-bundle", true},
		{"missing", xprotectPlist, "CFBundleVersion", "", false},
		{"key then non-string", `<plist><dict><key>K</key><integer>1</integer><key>L</key><string>x</string></dict></plist>`, "K", "", false},
		{"binary plist", "bplist00\xd1\x01\x02", "CFBundleShortVersionString", "", false},
		{"empty", "", "K", "", false},
	}
	for _, tt := range tests {
		got, ok := plistString(strings.NewReader(tt.in), tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: plistString = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMatchName(t *testing.T) {
	nfd := norm.NFD.String("알약.app")
	if nfd == "알약.app" {
		t.Fatal("test needs a decomposed name")
	}
	tests := []struct {
		patterns []string
		name     string
		want     bool
	}{
		{[]string{"알약*.app"}, nfd, true},
		{[]string{"ALYac*.app", "알약*.app"}, "알약 for Mac.app", true},
		{[]string{"V3.app"}, "V3.app", true},
		{[]string{"V3.app"}, "V3 Lite.app", false},
		{[]string{"clamd"}, "clamd", true},
		{[]string{"clamd"}, "clamdscan", false},
		{[]string{"esets*"}, "esets_daemon", true},
		{[]string{"[bad"}, "[bad", false},
		{nil, "anything", false},
	}
	for _, tt := range tests {
		if got := matchName(tt.patterns, tt.name); got != tt.want {
			t.Errorf("matchName(%q, %q) = %v, want %v", tt.patterns, tt.name, got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	in := []api.Antivirus{
		{Name: " Windows Defender ", Enabled: true, UpToDate: true},
		{Name: "Windows Defender", Enabled: true, UpToDate: true},
		{Name: ""},
		{Name: "Windows Defender", Enabled: false, UpToDate: true},
	}
	want := []api.Antivirus{
		{Name: "Windows Defender", Enabled: true, UpToDate: true},
		{Name: "Windows Defender", Enabled: false, UpToDate: true},
	}
	if got := normalize(in); !reflect.DeepEqual(got, want) {
		t.Errorf("normalize = %+v, want %+v", got, want)
	}
	if got := normalize(nil); got == nil || len(got) != 0 {
		t.Errorf("normalize(nil) = %#v, want empty non-nil", got)
	}
}

func FuzzParseWSC(f *testing.F) {
	f.Add(b64(`[{"displayName":"Windows Defender","productState":397568}]`))
	f.Add(b64(`{"displayName":"V3","productState":266240}`))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, out []byte) {
		av, err := parseWSC(out)
		if err != nil && av != nil {
			t.Fatal("result with an error")
		}
	})
}

func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"))
	f.Add([]byte(`NAME="a\"b\\"` + "\nVERSION_ID='1'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = parseOSRelease(data)
		_ = parseSwVers(data)
	})
}

func FuzzPlistString(f *testing.F) {
	f.Add([]byte(xprotectPlist))
	f.Add([]byte("<plist><dict><key>K</key><string>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = plistString(strings.NewReader(string(data)), "CFBundleShortVersionString")
	})
}

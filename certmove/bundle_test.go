package certmove

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
)

func testUser(t *testing.T) *certgen.User {
	t.Helper()
	pki, err := certgen.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "홍길동"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestBundleNPKIAndGPKI: both kinds read, seal, open and install where the
// picker finds them, byte for byte, the key still encrypted; the sender's
// copy is deleted on request.
func TestBundleNPKIAndGPKI(t *testing.T) {
	u := testUser(t)
	src := t.TempDir()
	npkiDir, err := u.WriteNPKI(filepath.Join(src, "NPKI"), "pw-1234!", certstore.SchemeSEEDLegacy)
	if err != nil {
		t.Fatal(err)
	}
	gpkiPath, err := u.WriteGPKI(filepath.Join(src, "GPKI"), "홍길동_1234", "pw-1234!", certstore.SchemeSEEDLegacy)
	if err != nil {
		t.Fatal(err)
	}
	isk, sid := bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 16)
	for _, path := range []string{npkiDir, gpkiPath} {
		b, cert, err := ReadBundle(path)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := b.seal(isk, sid, []byte("ad"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, b.Key[:32]) {
			t.Fatal("sealed payload holds the key file in the clear")
		}
		if _, err := openBundle(isk, sid, []byte("other ad"), sealed); api.CodeOf(err) != api.CodeCertMoveProtocol {
			t.Fatalf("opened under other associated data: %v", err)
		}
		if _, err := openBundle(bytes.Repeat([]byte{3}, 64), sid, []byte("ad"), sealed); api.CodeOf(err) != api.CodeCertMoveProtocol {
			t.Fatalf("opened under another key: %v", err)
		}
		got, err := openBundle(isk, sid, []byte("ad"), sealed)
		if err != nil {
			t.Fatal(err)
		}
		drive := t.TempDir()
		out, err := got.Install(Removable(drive))
		if err != nil {
			t.Fatal(err)
		}
		res := certstore.Scan(t.Context(), certstore.SourcesForDrive(drive, certstore.LocationRemovable))
		if len(res.Certificates) != 1 || res.Certificates[0].Path != out || res.Certificates[0].Kind != cert.Kind {
			t.Fatalf("%s: the picker finds %+v (errors %v), want %s", cert.Kind, res.Certificates, res.Errors, out)
		}
		key, _ := os.ReadFile(res.Certificates[0].KeyPath)
		if !bytes.Equal(key, b.Key) {
			t.Fatal("installed key differs")
		}
		if _, err := res.Certificates[0].Unlock([]byte("pw-1234!")); err != nil {
			t.Fatalf("the moved key does not open with the certificate password: %v", err)
		}
		if err := Delete(cert); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{cert.Path, cert.KeyPath} {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Fatalf("%s not deleted", p)
			}
		}
	}
}

func TestBundleRefusals(t *testing.T) {
	u := testUser(t)
	dir := t.TempDir()
	p12, _ := u.PKCS12("pw")
	pfx := filepath.Join(dir, "a.pfx")
	os.WriteFile(pfx, p12, 0o600)
	if _, _, err := ReadBundle(pfx); api.CodeOf(err) != api.CodeCertMoveUnsupported {
		t.Fatalf("PKCS#12: %v", err)
	}
	npkiDir, _ := u.WriteNPKI(filepath.Join(dir, "NPKI"), "pw-1234!", certstore.SchemeSEEDLegacy)
	os.Remove(filepath.Join(npkiDir, "signPri.key"))
	if _, _, err := ReadBundle(npkiDir); api.CodeOf(err) != api.CodeCertNotFound {
		t.Fatalf("missing key: %v", err)
	}
	// A received GPKI name cannot climb out of the folder.
	b := &Bundle{Kind: certstore.KindGPKI, Name: "../../evil", Cert: u.Cert.Raw, Key: []byte("k")}
	drive := t.TempDir()
	out, err := b.Install(Removable(drive))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(out) != Removable(drive).GPKIDir {
		t.Fatalf("installed outside the GPKI folder: %s", out)
	}
	if _, err := (&Bundle{Kind: "pkcs12", Cert: u.Cert.Raw, Key: []byte("k")}).Install(Removable(drive)); api.CodeOf(err) != api.CodeCertMoveProtocol {
		t.Fatalf("unknown kind: %v", err)
	}
}
